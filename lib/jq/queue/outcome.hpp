#pragma once

#include <jq/queue/keys.hpp>
#include <jq/redis/connection.hpp>
#include <jq/redis/script.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jq::queue {

// How a job ended, as its waiter reports it.
struct Outcome
{
  enum class Status { completed, failed };
  Status status = Status::completed;
  std::string id;
  nlohmann::json result;     // the parsed returnvalue (completed)
  std::string failed_reason; // one human line (failed)
  std::string stack;         // the last stack trace entry, if any (failed)
  int attempts = 0;          // attempts made
  std::int64_t processed_on = 0;
  std::int64_t finished_on = 0;
};

// How jq-worker's failedReason starts when a job failed because its
// caller's deadline passed (opts.deadline): for that caller it is a timeout.
inline constexpr std::string_view k_expired_prefix = "expired: ";

// What waiting for one job gave.
struct Waited
{
  enum class Kind {
    finished,  // `outcome` is set
    missing,   // no such job (never existed, or removed before we looked)
    gone,      // the job existed but its reply is no longer kept
    timed_out, // still pending at the deadline
  };
  Kind kind = Kind::timed_out;
  std::optional<Outcome> outcome;
};

// The job_outcome script's call for job `id`.
redis::Script::Call outcome_call(const Keys& keys, std::string_view id);

// Whether Redis knows a job: it does (pending or finished), never did (or
// lost it), or deleted its reply under retention.
enum class Presence { known, missing, gone };

// Decode the job_outcome script's reply for job `id`: a finished job's
// outcome, std::nullopt otherwise; `presence` says which case it is.
std::optional<Outcome> parse_outcome(std::string_view id,
                                     const redis::ReplyView& reply,
                                     Presence& presence);

// A returnvalue's JSON text parsed; a foreign worker may store anything, so
// text that is not JSON is kept as a string, and none gives null.
nlohmann::json parse_returnvalue(std::optional<std::string_view> text);

} // namespace jq::queue
