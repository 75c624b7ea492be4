#pragma once

#include <jq/core/log.hpp>
#include <jq/metrics/worker_metrics.hpp>
#include <jq/queue/job.hpp>
#include <jq/queue/transitions.hpp>
#include <jq/queue/value_limit.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jq::queue {

// When a run must stop: at the job's own timeout or its caller's deadline,
// whichever comes first.
struct RunLimit
{
  std::optional<std::chrono::steady_clock::time_point> at;
  bool is_deadline = false; // `at` is the caller's deadline
};

RunLimit run_limit(const Job& job,
                   std::chrono::steady_clock::time_point started,
                   std::int64_t started_ms);

// How one run of a handler went.
struct AttemptResult
{
  bool is_completed = false;
  std::string value;          // completed: the reply text
  std::string reason;         // failed: one line
  std::string stack;          // failed: the error's kind and details
  bool is_cancelled = false;  // the grace after a stop ran out
  bool is_past_limit = false; // the RunLimit passed while it ran
  bool limit_is_deadline = false;
  long long duration_ms = 0;
};

// What to record for one attempt, and how to tell the log.
struct Decision
{
  JobEnd end;
  metrics::JobOutcome outcome = metrics::JobOutcome::completed;
  log::Level level = log::Level::info;
  std::string reason;  // empty when completed
  std::string message; // one line for people
  long long duration_ms = 0;
};

// The attempt policy, free of Redis and clocks so it is tested alone:
// complete, retry after the backoff, fail for good, expire (the caller's
// deadline passed) or requeue (interrupted by a stop, no attempt counted).

// The outcome as the log's `outcome` field and README.md name it:
// `completed`, `failed`, `retrying`, `expired` or `requeued`.
std::string_view log_word(metrics::JobOutcome outcome) noexcept;

// A job whose caller's deadline passed before it could start.
std::optional<Decision> expire_before_start(const Job& job,
                                            std::int64_t now_ms);

// The decision after a run that ended at `now_ms`. A completed run whose
// reply or event would be longer than `value_limit` (what Redis takes in
// one value: read_value_limit()) fails as a JobError instead: Redis would
// close the connection on its end rather than record it.
Decision decide(const Job& job,
                const AttemptResult& result,
                std::int64_t now_ms,
                std::size_t value_limit = k_default_value_limit);

} // namespace jq::queue
