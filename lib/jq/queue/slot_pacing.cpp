#include "slot_pacing.hpp"

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

namespace jq::queue {

namespace {

// Each measured job's share weighs this much in the average: about the
// last 16 measured jobs count (the worker measures one job in 8 of each
// slot's).
constexpr double k_weight = 1.0 / 16;

// A share below this (a job that mostly waits) lets every slot run.
constexpr double k_least_share = 1.0 / 1024;

// The CPUs' worth of time a container may use, as its runtime sets it on
// the cgroup mounted at /sys/fs/cgroup (v2's cpu.max, or v1's CFS quota);
// nullopt when unlimited or not found. A limit on a parent cgroup or a
// systemd unit's CPUQuota= is not looked for: pacing then counts every CPU.
std::optional<double> cgroup_cpu_quota()
{
  double quota = 0;
  double period = 0;
  if (std::ifstream v2("/sys/fs/cgroup/cpu.max"); v2) {
    std::string text;
    if (!(v2 >> text >> period) || text == "max") {
      return std::nullopt;
    }
    quota = std::strtod(text.c_str(), nullptr);
  } else {
    std::ifstream v1_quota("/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
    std::ifstream v1_period("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
    if (!(v1_quota >> quota) || !(v1_period >> period)) {
      return std::nullopt;
    }
  }
  if (quota <= 0 || period <= 0) {
    return std::nullopt;
  }
  return quota / period;
}

} // namespace

SlotPacing::SlotPacing(int slots, int cpus) noexcept
  : m_slots(std::max(1, slots)),
    m_cpus(std::max(1, cpus))
{
}

void SlotPacing::job_ended(std::chrono::nanoseconds ran,
                           std::chrono::nanoseconds cpu) noexcept
{
  if (ran.count() <= 0) {
    return;
  }
  // The two clocks differ a little: a job that only computes may show
  // more CPU time than time.
  const double share = std::clamp(static_cast<double>(cpu.count())
                                    / static_cast<double>(ran.count()),
                                  0.0,
                                  1.0);
  m_share += (share - m_share) * k_weight;
}

int SlotPacing::running_wanted() const noexcept
{
  if (m_share < k_least_share) {
    return m_slots;
  }
  const double wanted = std::round(m_cpus / m_share);
  return wanted >= m_slots ? m_slots : std::max(1, static_cast<int>(wanted));
}

int SlotPacing::usable_cpus() noexcept
{
  int cpus = static_cast<int>(std::thread::hardware_concurrency());
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    cpus = CPU_COUNT(&set);
  }
  // A container's CPU limit (docker --cpus), where one is set.
  if (const auto quota = cgroup_cpu_quota()) {
    cpus = static_cast<int>(std::min<double>(cpus, std::ceil(*quota)));
  }
  return std::max(1, cpus);
}

std::chrono::nanoseconds thread_cpu_time() noexcept
{
  timespec now{};
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) != 0) {
    return std::chrono::nanoseconds(0);
  }
  return std::chrono::seconds(now.tv_sec)
         + std::chrono::nanoseconds(now.tv_nsec);
}

} // namespace jq::queue
