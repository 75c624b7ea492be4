#include "attempt_policy.hpp"

#include <jq/core/json.hpp>
#include <jq/queue/finish_event.hpp>
#include <jq/queue/outcome.hpp>

#include <fmt/core.h>

#include <algorithm>

namespace jq::queue {

namespace {

using std::chrono::milliseconds;

// The end of an attempt that is not retried: its event is the whole
// outcome (Bull reads jobId and val; a jq-submit needs nothing else).
JobEnd final_end(const Job& job,
                 bool is_completed,
                 std::string value,
                 const std::string& stack,
                 std::int64_t now_ms)
{
  JobEnd end;
  end.kind = is_completed ? JobEnd::Kind::completed : JobEnd::Kind::failed;
  end.id = job.id;
  end.keep = is_completed ? job.keep_completed() : job.keep_failed();
  end.finished_on = now_ms;
  FinishEvent event;
  event.job_id = job.id;
  event.is_completed = is_completed;
  event.attempts = job.attempts_made + 1;
  event.processed_on = job.processed_on;
  event.finished_on = now_ms;
  event.val = std::move(value);
  if (!is_completed) {
    event.stack = stack;
    nlohmann::json stacktrace = job.stacktrace;
    stacktrace.push_back(stack);
    end.fields = {"attemptsMade",
                  std::to_string(job.attempts_made + 1),
                  "stacktrace",
                  dump_json(stacktrace)};
  }
  end.event = encode_finish_event(event);
  end.value = std::move(*event.val);
  return end;
}

Decision expired(const Job& job,
                 std::string reason,
                 long long duration_ms,
                 std::string_view verb,
                 std::int64_t now_ms)
{
  Decision decision;
  decision.end =
    final_end(job, false, reason, "ExpiredError: " + reason, now_ms);
  decision.outcome = metrics::JobOutcome::expired;
  decision.message = fmt::format("job {} {}: {}", job.id, verb, reason);
  decision.reason = std::move(reason);
  decision.duration_ms = duration_ms;
  return decision;
}

} // namespace

std::string_view log_word(metrics::JobOutcome outcome) noexcept
{
  return outcome == metrics::JobOutcome::retried ? "retrying"
                                                 : metrics::to_string(outcome);
}

RunLimit run_limit(const Job& job,
                   std::chrono::steady_clock::time_point started,
                   std::int64_t started_ms)
{
  // Both are capped at a century: the steady clock counts nanoseconds in
  // 64 bits, so a far-off limit would overflow it.
  constexpr milliseconds k_longest_run = std::chrono::hours(24 * 365 * 100);
  RunLimit limit;
  if (const auto timeout = job.timeout()) {
    limit.at = started + std::min(*timeout, k_longest_run);
  }
  if (const auto deadline_ms = job.deadline_ms()) {
    const auto cap =
      started
      + std::min(milliseconds(*deadline_ms - started_ms), k_longest_run);
    if (!limit.at || cap < *limit.at) {
      limit.at = cap;
      limit.is_deadline = true;
    }
  }
  return limit;
}

std::optional<Decision> expire_before_start(const Job& job, std::int64_t now_ms)
{
  const auto deadline_ms = job.deadline_ms();
  if (!deadline_ms || now_ms < *deadline_ms) {
    return std::nullopt;
  }
  return expired(
    job,
    fmt::format("{}its caller stopped waiting {} ms before it could start",
                k_expired_prefix,
                now_ms - *deadline_ms),
    0,
    "not started",
    now_ms);
}

Decision decide(const Job& job,
                const AttemptResult& result,
                std::int64_t now_ms,
                std::size_t value_limit)
{
  Decision decision;
  decision.duration_ms = result.duration_ms;
  if (result.is_completed) {
    decision.end = final_end(job, true, result.value, {}, now_ms);
    // The event holds the reply as a JSON string: up to twice its length.
    const std::size_t longest =
      std::max(decision.end.value.size(), decision.end.event.size());
    if (longest > value_limit) {
      AttemptResult too_large;
      too_large.reason = fmt::format(
        "the result is too large to store: its completed event would be {} "
        "bytes, and Redis takes at most {} in one value "
        "(proto-max-bulk-len): return less, or raise that setting",
        longest,
        value_limit);
      too_large.stack = "JobError: " + too_large.reason;
      too_large.duration_ms = result.duration_ms;
      return decide(job, too_large, now_ms, value_limit);
    }
    decision.outcome = metrics::JobOutcome::completed;
    decision.message =
      fmt::format("job {} completed in {} ms", job.id, result.duration_ms);
    return decision;
  }
  if (result.is_cancelled) {
    // Back in line as it was, no attempt counted.
    decision.end.kind = JobEnd::Kind::retry;
    decision.end.id = job.id;
    decision.end.to_head = true;
    decision.outcome = metrics::JobOutcome::requeued;
    decision.level = log::Level::warn;
    decision.reason = "interrupted by shutdown";
    decision.message =
      fmt::format("job {} interrupted by shutdown; put back in line", job.id);
    return decision;
  }
  std::string reason = result.reason;
  std::string stack = result.stack;
  if (result.is_past_limit) {
    if (result.limit_is_deadline) {
      return expired(job,
                     fmt::format("{}its caller's deadline passed while it ran",
                                 k_expired_prefix),
                     result.duration_ms,
                     "interrupted",
                     now_ms);
    }
    reason = fmt::format("timed out after {} ms",
                         job.timeout().value_or(milliseconds(0)).count());
    stack = "TimeoutError: " + reason;
  }
  const int attempts_made = job.attempts_made + 1;
  if (attempts_made < job.attempts()) {
    nlohmann::json stacktrace = job.stacktrace;
    stacktrace.push_back(stack);
    const milliseconds delay = job.backoff().delay_for(attempts_made);
    decision.end.kind = JobEnd::Kind::retry;
    decision.end.id = job.id;
    decision.end.due_ms = delay.count() > 0 ? now_ms + delay.count() : 0;
    decision.end.to_head = job.lifo();
    decision.end.fields = {"attemptsMade",
                           std::to_string(attempts_made),
                           "stacktrace",
                           dump_json(stacktrace),
                           "failedReason",
                           reason};
    decision.outcome = metrics::JobOutcome::retried;
    decision.message =
      fmt::format("job {} failed attempt {}/{} in {} ms: {}; retrying in {} ms",
                  job.id,
                  attempts_made,
                  job.attempts(),
                  result.duration_ms,
                  reason,
                  delay.count());
    decision.reason = std::move(reason);
    return decision;
  }
  decision.end = final_end(job, false, reason, stack, now_ms);
  decision.outcome = metrics::JobOutcome::failed;
  decision.message = fmt::format(
    "job {} failed in {} ms: {}", job.id, result.duration_ms, reason);
  decision.reason = std::move(reason);
  return decision;
}

} // namespace jq::queue
