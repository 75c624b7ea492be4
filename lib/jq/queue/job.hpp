#pragma once

#include <jq/queue/keys.hpp>
#include <jq/redis/reply.hpp>

#include <nlohmann/json.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jq::queue {

// How long to wait before retrying a failed attempt (Bull's opts.backoff).
struct Backoff
{
  enum class Kind { none, fixed, exponential };
  Kind kind = Kind::none;
  std::chrono::milliseconds delay{0};

  // Parse `fixed:DUR` or `exp:DUR` (also `exponential:DUR`). Throws
  // UsageError.
  static Backoff parse(std::string_view text);
  // Read Bull's stored form: a number (fixed) or {"type", "delay"}. Unknown
  // types give `none` (retry at once).
  static Backoff from_opts(const nlohmann::json& value);
  nlohmann::json to_opts() const;
  // The wait before the next try after `attempts_made` failed attempts:
  // fixed d, or Bull's exponential (2^n - 1) * d.
  std::chrono::milliseconds delay_for(int attempts_made) const;
};

// How many finished jobs to keep (Bull's removeOnComplete/removeOnFail).
struct KeepPolicy
{
  long long count = -1;      // -1: all, 0: none, n: the newest n
  long long age_seconds = 0; // 0: any age

  // true -> none; false/null -> all; n -> newest n; {age, count}.
  static KeepPolicy from_opts(const nlohmann::json& value);
};

// What a producer asks for when adding a job.
struct JobOptions
{
  std::optional<std::string> job_id;
  int attempts = 1;
  Backoff backoff;
  std::chrono::milliseconds delay{0};
  int priority = 0;
  bool lifo = false;
  // Bull's opts.timeout: the longest one attempt may run.
  std::optional<std::chrono::milliseconds> timeout;
  // When the caller stops waiting (epoch ms, opts.deadline): a worker does
  // not start the job after it and caps the run at it.
  std::optional<std::int64_t> deadline_ms;
  // Bull's removeOnComplete / removeOnFail values, written as given.
  nlohmann::json remove_on_complete;
  nlohmann::json remove_on_fail;

  // Bull's stored `opts` JSON text (docs/bull-layout.md section 2), as
  // dump_json writes the object: written member by member, since a
  // submitter writes one for every job.
  std::string opts_text(std::int64_t timestamp) const;
};

// What a worker acts on in a job's stored `opts`, read once as the job is
// taken, leniently (jobs may come from any producer): opts that are not a
// JSON object give the defaults, a member of the wrong type its default.
struct StoredOpts
{
  int attempts = 1;
  Backoff backoff;
  bool lifo = false;
  long long timeout_ms = 0;  // 0: none
  long long deadline_ms = 0; // 0: none
  KeepPolicy keep_completed;
  KeepPolicy keep_failed;
  // The whole opts text of a repeatable job (one whose `repeat` is an
  // object): its next run copies what the text holds. None for any other.
  std::optional<std::string> repeatable_text;

  // From the stored text. Only the members above are built as JSON, not
  // the whole document: this runs once for every job a worker takes.
  static StoredOpts parse(std::string_view text);
  static StoredOpts from_json(const nlohmann::json& opts);
};

// A job as a worker takes it: the fields of its hash the worker uses,
// decoded leniently (jobs may come from any producer).
struct Job
{
  std::string id;
  std::string name;
  std::string data; // JSON text, as stored
  StoredOpts opts;
  std::int64_t timestamp = 0;
  std::int64_t processed_on = 0;
  // When an operator last retried it (Bull's job.retry()), 0 if never.
  std::int64_t retried_on = 0;
  int attempts_made = 0;
  std::int64_t priority = 0;
  // One entry a failure; null (no allocation) until the first.
  nlohmann::json stacktrace;

  int attempts() const;
  Backoff backoff() const;
  bool lifo() const;
  std::optional<std::chrono::milliseconds> timeout() const;
  // The caller's deadline (opts.deadline), none once an operator retried
  // the job after it.
  std::optional<std::int64_t> deadline_ms() const;
  KeepPolicy keep_completed() const;
  KeepPolicy keep_failed() const;

  // The fields a start returns (take_jobs.lua), in order: START_FIELDS in
  // lib/jq/queue/lua/include/queue.lua (a unit test keeps the two alike).
  static constexpr std::array<std::string_view, 8> start_fields = {
    "name",
    "data",
    "opts",
    "timestamp",
    "attemptsMade",
    "priority",
    "retriedOn",
    "stacktrace"};

  // Build from `id` and the values a start returns, started at
  // `processed_on`. Throws ProtocolError for another count of values.
  static Job from_fields(std::string id,
                         const redis::ReplyView& fields,
                         std::int64_t processed_on);
};

// The job's identity across deliveries, under which a handler records that
// it applied a write (the SQL ledger): the same whenever this job comes
// back (after a stall, a retry by an operator, or added again by jq-submit
// after Redis lost it), and different for another job that reuses its id.
// It is `<prefix>:<queue>:<id>:` and a digest of the queue, the id and the
// data; for an id of digits also of the creation time, since Bull numbers
// jobs from a counter that Redis loses with its data, so job 7 after a
// restart is not job 7 before it.
std::string identity_key(const Keys& keys, const Job& job);

} // namespace jq::queue
