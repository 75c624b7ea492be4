#pragma once

#include <jq/queue/job.hpp>
#include <jq/queue/lock_book.hpp>
#include <jq/queue/producer.hpp>
#include <jq/queue/round_gate.hpp>
#include <jq/queue/transitions.hpp>
#include <jq/redis/backoff.hpp>
#include <jq/redis/connection.hpp>
#include <jq/redis/url.hpp>

#include <atomic>
#include <optional>
#include <string>
#include <vector>

namespace jq::metrics {
class WorkerMetrics;
}

namespace jq::queue {

// A connection a worker's rounds run on (see JobExchange): one call
// records the ends of finished jobs and takes the next ones, and the locks
// of what it took go into the LockBook. A worker has two, sharing one
// RoundGate. Used by one thread at a time.
class RoundLink
{
public:
  RoundLink(const redis::Url& url,
            const Transitions& transitions,
            LockBook& book,
            RoundGate& gate,
            const std::atomic<bool>& stop,
            const std::atomic<bool>& cancel);

  // Record `ends` and take up to `want` jobs (or start the jobs `moved`
  // into active by a BRPOPLPUSH, and take the rest of `want`); see the
  // definition for what happens when Redis is away.
  std::vector<Job> exchange(const std::vector<JobEnd>& ends,
                            int want,
                            const std::vector<std::string>& moved);

  // Count the connections that break in `metrics` (none: nullptr; not
  // owned). Call before the first round.
  void count_in(metrics::WorkerMetrics* metrics) noexcept
  {
    m_metrics = metrics;
  }

private:
  bool reclaim();
  void release(const std::vector<JobEnd>& ends);
  void log_refusals(const std::vector<JobEnd>& ends,
                    const std::vector<Refusal>& refusals);
  void schedule_next_runs(const std::vector<Job>& taken);

  const redis::Url& url;
  const Transitions& transitions;
  LockBook& book;
  RoundGate& gate;
  const std::atomic<bool>& m_stop;
  const std::atomic<bool>& cancel;
  // Adds the next runs of repeatable jobs.
  Producer producer;
  std::optional<redis::Connection> commands;
  redis::Backoff io_backoff;
  metrics::WorkerMetrics* m_metrics = nullptr;
};

} // namespace jq::queue
