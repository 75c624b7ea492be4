#pragma once

#include <jq/queue/lock_book.hpp>
#include <jq/queue/transitions.hpp>
#include <jq/redis/url.hpp>

#include <atomic>
#include <chrono>
#include <functional>

namespace jq::metrics {
class WorkerMetrics;
}

namespace jq::queue {

struct MaintenanceOptions
{
  std::chrono::milliseconds lock_duration{30'000};
  std::chrono::milliseconds stalled_interval{30'000}; // 0: no stalled check
  int max_stalled = 1;
  // Counts broken connections, or none; not owned.
  metrics::WorkerMetrics* metrics = nullptr;
  // Called on every pass (at least every 250 ms): gives back the jobs
  // held ahead that found no slot; none: no call.
  std::function<void()> tend_slots;
};

// A worker's chores besides running jobs, on two connections of its own:
// renewing the locks of every job held (one call for all, every half lock
// duration), Bull's stalled check, promoting delayed jobs when they are
// due (woken by the `delayed` channel, at least every 5 s), and giving back
// the jobs held ahead too long.
class Maintenance
{
public:
  Maintenance(redis::Url url,
              const Transitions& transitions,
              const LockBook& book,
              MaintenanceOptions options);

  // Work until `done` turns true; Redis outages are waited out.
  void run(const std::atomic<bool>& done);

private:
  void renew_locks(redis::Connection& connection);
  std::chrono::milliseconds check_stalled(redis::Connection& connection);

  redis::Url m_url;
  const Transitions& m_transitions;
  const LockBook& m_book;
  MaintenanceOptions m_options;
};

} // namespace jq::queue
