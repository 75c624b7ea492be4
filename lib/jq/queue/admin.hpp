#pragma once

#include <jq/queue/inspector.hpp>
#include <jq/queue/keys.hpp>
#include <jq/redis/connection.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace jq::queue {

enum class Action { retry, remove, promote, clean, pause, resume };

std::string_view to_string(Action action) noexcept;

// What an action did to one job (or would do, in a dry run).
enum class ActionResult {
  applied,     // retried, removed, promoted
  missing,     // no such job
  locked,      // a worker holds its lock: refused
  wrong_state, // not failed (retry) or not delayed (promote): refused
};

// One job's result. In JSON: {"id", "action", "result", "dryRun"}, where
// result is retried, removed (remove and clean) or promoted (would_retry,
// would_remove, would_promote in a dry run), missing, locked, not_failed
// or not_delayed.
struct JobResult
{
  std::string id;
  Action action = Action::retry;
  ActionResult outcome = ActionResult::applied;
  bool is_dry_run = false;

  std::string result() const;
  nlohmann::ordered_json to_json() const;
};

// The result of pause or resume.
struct PauseResult
{
  Action action = Action::pause;
  bool changed = false; // false: the queue already was paused / running
  long long jobs_moved = 0;
  bool is_dry_run = false;

  // {"action", "result" (paused, resumed, already_paused, not_paused;
  // would_pause, would_resume in a dry run), "jobsMoved", "dryRun"}.
  nlohmann::ordered_json to_json() const;
};

// The operator's actions on one queue. Each step is one Lua script, so it
// is atomic and agrees with Bull (docs/bull-layout.md 3.8, 3.9, 3.11, 3.7).
// With `dry_run` the scripts decide exactly as they would and write
// nothing. Borrows `connection`; not thread-safe.
class Admin
{
public:
  Admin(redis::Connection& connection, Keys keys, bool dry_run);

  // Put failed job `id` back in line (Bull's job.retry()); refused while
  // locked.
  JobResult retry(std::string_view id);

  // Retry every job that is failed now, oldest first, in atomic batches of
  // `batch`; `on_job` gets each job's result as its batch is done. Jobs that
  // fail again meanwhile are not retried twice. Returns how many.
  long long
  retry_all_failed(const std::function<void(const JobResult&)>& on_job,
                   long long batch = 1000);

  // Remove job `id` from every list and set, with its hash and logs
  // (job.remove()); refused while locked.
  JobResult remove(std::string_view id);

  // Move delayed job `id` into line now (job.promote()).
  JobResult promote(std::string_view id);

  // Remove `state`'s unlocked jobs older than `grace` (Bull's clean(), see
  // cleanJobsInSet), at most `limit` of them (0: no limit), oldest first.
  // Works in atomic steps that look at most at `batch` entries each, so
  // Redis is never blocked for long. `on_job` gets each removed id.
  long long clean(JobState state,
                  std::chrono::milliseconds grace,
                  long long limit,
                  const std::function<void(const JobResult&)>& on_job,
                  long long batch = 1000);

  // Pause or resume the queue for every worker (Bull's queue.pause() /
  // resume(), global).
  PauseResult pause();
  PauseResult resume();

  // The token published with `waiting@` events (one per Admin).
  const std::string& token() const noexcept
  {
    return m_token;
  }

private:
  PauseResult pause_or_resume(Action action);
  JobResult
  job_result(std::string_view id, Action action, ActionResult outcome);

  redis::Connection& m_connection;
  Keys m_keys;
  bool m_dry_run;
  std::string m_token;
};

} // namespace jq::queue
