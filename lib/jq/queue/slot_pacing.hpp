#pragma once

#include <chrono>

namespace jq::queue {

// How many of a worker's slots are worth running at once. A slot that
// waits for a job costs two context switches to wake, and while jobs keep
// the CPUs busy (an SQLite select), slots beyond the CPUs only take turns on
// them: at -c 16 on 2 CPUs, waking one slot per job cost the worker 40% of
// its time. Jobs that wait instead (for a database server, a lock) leave
// the CPUs free for more slots; a wait for another slot's commit does not,
// and is left out (inner_wait.hpp). So the worker keeps about cpus / share
// slots running, where share is the part of a job's time spent on a CPU,
// averaged over the last jobs. Not thread-safe.
class SlotPacing
{
public:
  SlotPacing(int slots, int cpus) noexcept;

  // A job ended after `ran`, of which `cpu` on a CPU.
  void job_ended(std::chrono::nanoseconds ran,
                 std::chrono::nanoseconds cpu) noexcept;

  // How many slots may run at once: from the number of CPUs up to every
  // slot (every slot until a job has ended).
  int running_wanted() const noexcept;

  // The CPUs this process may run on, within a container's CPU limit (at
  // least 1).
  static int usable_cpus() noexcept;

private:
  int m_slots;
  int m_cpus;
  double m_share = 0; // from 0: every slot runs until jobs are measured
};

// One measured run of a slot: how long it ran, less what it waited for
// the process's own threads (inner_wait.hpp), and its CPU time.
struct PaceSample
{
  std::chrono::nanoseconds ran;
  std::chrono::nanoseconds cpu;
};

// The CPU time the calling thread has used.
std::chrono::nanoseconds thread_cpu_time() noexcept;

} // namespace jq::queue
