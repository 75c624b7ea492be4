#pragma once

#include <jq/queue/keys.hpp>
#include <jq/redis/connection.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jq::queue {

// Job counts per state, exactly as Bull's getJobCounts() computes them.
struct JobCounts
{
  long long waiting = 0;
  long long active = 0;
  long long completed = 0;
  long long failed = 0;
  long long delayed = 0;
  long long paused = 0;

  // {"waiting":..,"active":..,"completed":..,"failed":..,"delayed":..,
  //  "paused":..}, Bull's field names and order.
  nlohmann::ordered_json to_json() const;
};

// Read the counts in one pipelined round trip (LLEN / ZCARD only).
JobCounts count_jobs(redis::Connection& connection, const Keys& keys);

// Where a job is, as Bull's job.getState() names it. `stuck`: in none of
// the lists and sets.
enum class JobState {
  completed,
  failed,
  delayed,
  active,
  waiting,
  paused,
  stuck
};

std::string_view to_string(JobState state) noexcept;

// Parse a state a list or clean can work on: waiting (or Bull's `wait`),
// active, delayed, paused, completed, failed. Throws UsageError.
JobState parse_list_state(std::string_view text);

// True if `state` keeps its jobs in a list (waiting, active, paused); the
// others use a sorted set.
bool is_list_state(JobState state) noexcept;

// The list or sorted set of `state` (not `stuck`).
std::string state_key(const Keys& keys, JobState state);

// One line of `list`: a job's summary, from HMGET of a few fields.
struct JobRow
{
  std::string id;
  JobState state = JobState::stuck;
  bool has_hash = false; // false: the id is listed but its hash is gone
  std::string name;
  std::optional<std::string> data; // JSON text as stored
  std::optional<std::int64_t> timestamp;
  std::optional<std::int64_t> processed_on;
  std::optional<std::int64_t> finished_on;
  std::optional<std::int64_t> due_at; // delayed jobs: floor(score / 4096)
  long long attempts_made = 0;
  long long priority = 0;
  std::optional<std::string> failed_reason;

  // Fields (stable; null when absent): id, state, name, timestamp,
  // processedOn, finishedOn, dueAt, attemptsMade, priority, failedReason,
  // data (parsed JSON, or the stored text if it is not JSON).
  nlohmann::ordered_json to_json() const;
};

// One page of `state`'s jobs in Bull's getJobs() order: waiting, paused,
// active and delayed oldest (next) first, completed and failed newest first.
// Cost: one LRANGE/ZRANGE of the page, then one pipelined HMGET per job on
// the page; never proportional to the queue.
std::vector<JobRow> list_jobs(redis::Connection& connection,
                              const Keys& keys,
                              JobState state,
                              long long offset,
                              long long limit);

// Everything about one job, for `show`.
struct JobDetails
{
  std::string id;
  JobState state = JobState::stuck;
  bool has_hash = false;
  // The hash as stored, field by field, in Redis' order.
  std::vector<std::pair<std::string, std::string>> fields;
  std::optional<std::int64_t> due_at;
  std::optional<std::string> lock_token;
  std::optional<std::int64_t> lock_ttl_ms;
  long long log_count = 0;
  std::vector<std::string> logs; // the newest ones, oldest first

  // A hash field, or std::nullopt.
  std::optional<std::string_view> field(std::string_view name) const;

  // Fields (stable; null when absent): id, state, name, data, opts,
  // progress, returnvalue, stacktrace (each parsed as JSON when it is JSON),
  // failedReason, attemptsMade, attempts (opts.attempts, default 1),
  // priority, delay, timestamp, processedOn, finishedOn, retriedOn, dueAt,
  // stalledCounter, lockToken, lockTtlMs, logCount, logs.
  nlohmann::ordered_json to_json() const;
};

// Read job `id` in one atomic step (state decided as Bull's getState()).
// Returns std::nullopt if there is no such job: no hash, and in no list or
// set. At most `max_logs` of the newest log lines are read.
std::optional<JobDetails> find_job(redis::Connection& connection,
                                   const Keys& keys,
                                   std::string_view id,
                                   long long max_logs);

// Stored JSON text as JSON; text that is not JSON stays a string.
nlohmann::json parse_stored_json(std::string_view text);

} // namespace jq::queue
