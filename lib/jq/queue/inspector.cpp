#include "inspector.hpp"

#include "scripts.hpp"

#include <jq/core/error.hpp>
#include <jq/core/json.hpp>
#include <jq/queue/field_number.hpp>

#include <fmt/core.h>

#include <algorithm>

namespace jq::queue {

namespace {

// Decode a delayed score: due ms = floor(score / 4096). Bull writes
// integer scores (due ms * 4096 + a counter); >> floors, negatives too.
std::optional<std::int64_t> decode_delayed_score(std::string_view score)
{
  const auto value = parse_field_number(score);
  return value ? std::optional<std::int64_t>(*value >> 12) : std::nullopt;
}

template<typename T> nlohmann::json or_null(const std::optional<T>& value)
{
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

std::optional<std::string> opt_string(const redis::ReplyView& reply)
{
  const auto text = reply.opt_str();
  return text ? std::optional<std::string>(*text) : std::nullopt;
}

// The fields `list` reads per job, in HMGET order.
constexpr std::array<std::string_view, 9> k_row_fields = {"name",
                                                          "data",
                                                          "timestamp",
                                                          "processedOn",
                                                          "finishedOn",
                                                          "attemptsMade",
                                                          "priority",
                                                          "failedReason",
                                                          "delay"};

} // namespace

nlohmann::ordered_json JobCounts::to_json() const
{
  return {{"waiting", waiting},
          {"active", active},
          {"completed", completed},
          {"failed", failed},
          {"delayed", delayed},
          {"paused", paused}};
}

JobCounts count_jobs(redis::Connection& connection, const Keys& keys)
{
  connection.append({"MULTI"});
  connection.append({"LLEN", keys.wait()});
  connection.append({"LLEN", keys.active()});
  connection.append({"ZCARD", keys.completed()});
  connection.append({"ZCARD", keys.failed()});
  connection.append({"ZCARD", keys.delayed()});
  connection.append({"LLEN", keys.paused()});
  connection.append({"EXEC"});
  for (int i = 0; i < 7; ++i) {
    redis::checked(connection.get_reply()); // OK, then QUEUED x6
  }
  const redis::Reply counts = redis::checked(connection.get_reply());
  JobCounts result;
  result.waiting = counts[0].integer();
  result.active = counts[1].integer();
  result.completed = counts[2].integer();
  result.failed = counts[3].integer();
  result.delayed = counts[4].integer();
  result.paused = counts[5].integer();
  return result;
}

std::string_view to_string(JobState state) noexcept
{
  switch (state) {
  case JobState::completed:
    return "completed";
  case JobState::failed:
    return "failed";
  case JobState::delayed:
    return "delayed";
  case JobState::active:
    return "active";
  case JobState::waiting:
    return "waiting";
  case JobState::paused:
    return "paused";
  case JobState::stuck:
    break;
  }
  return "stuck";
}

JobState parse_list_state(std::string_view text)
{
  if (text == "waiting" || text == "wait") {
    return JobState::waiting;
  }
  for (const auto state : {JobState::active,
                           JobState::delayed,
                           JobState::paused,
                           JobState::completed,
                           JobState::failed}) {
    if (text == to_string(state)) {
      return state;
    }
  }
  throw UsageError(
    fmt::format("unknown state '{}' (expected waiting, active, delayed, "
                "paused, completed or failed)",
                text));
}

bool is_list_state(JobState state) noexcept
{
  return state == JobState::waiting || state == JobState::active
         || state == JobState::paused;
}

std::string state_key(const Keys& keys, JobState state)
{
  switch (state) {
  case JobState::completed:
    return keys.completed();
  case JobState::failed:
    return keys.failed();
  case JobState::delayed:
    return keys.delayed();
  case JobState::active:
    return keys.active();
  case JobState::waiting:
    return keys.wait();
  case JobState::paused:
    return keys.paused();
  case JobState::stuck:
    break;
  }
  throw UsageError("a stuck job is in no list or set");
}

nlohmann::ordered_json JobRow::to_json() const
{
  nlohmann::ordered_json out;
  out["id"] = id;
  out["state"] = to_string(state);
  out["name"] = has_hash ? nlohmann::json(name) : nlohmann::json(nullptr);
  out["timestamp"] = or_null(timestamp);
  out["processedOn"] = or_null(processed_on);
  out["finishedOn"] = or_null(finished_on);
  out["dueAt"] = or_null(due_at);
  out["attemptsMade"] = attempts_made;
  out["priority"] = priority;
  out["failedReason"] = or_null(failed_reason);
  out["data"] = data ? parse_stored_json(*data) : nlohmann::json(nullptr);
  return out;
}

std::vector<JobRow> list_jobs(redis::Connection& connection,
                              const Keys& keys,
                              JobState state,
                              long long offset,
                              long long limit)
{
  if (offset < 0 || limit <= 0) {
    throw UsageError("--offset must be 0 or more and --limit 1 or more");
  }
  const std::string key = state_key(keys, state);
  const long long end = offset + limit - 1;
  std::vector<JobRow> rows;
  const auto add_row = [&](std::string_view id) -> JobRow& {
    JobRow& row = rows.emplace_back();
    row.id = std::string(id);
    row.state = state;
    return row;
  };
  if (is_list_state(state)) {
    // Bull's getRanges(asc): the tail is the oldest (next) job.
    const redis::Reply ids =
      connection.command({"LRANGE",
                          key,
                          std::to_string(-(end + 1)),
                          std::to_string(-(offset + 1))});
    for (std::size_t i = ids.size(); i > 0; --i) {
      add_row(ids[i - 1].str());
    }
  } else if (state == JobState::delayed) {
    const redis::Reply ids = connection.command({"ZRANGE",
                                                 key,
                                                 std::to_string(offset),
                                                 std::to_string(end),
                                                 "WITHSCORES"});
    for (std::size_t i = 0; i + 1 < ids.size(); i += 2) {
      add_row(ids[i].str()).due_at = decode_delayed_score(ids[i + 1].str());
    }
  } else {
    const redis::Reply ids = connection.command(
      {"ZREVRANGE", key, std::to_string(offset), std::to_string(end)});
    for (std::size_t i = 0; i < ids.size(); ++i) {
      add_row(ids[i].str());
    }
  }

  for (const auto& row : rows) {
    std::vector<std::string> command = {"HMGET", keys.job(row.id)};
    command.insert(command.end(), k_row_fields.begin(), k_row_fields.end());
    connection.append(command);
  }
  for (auto& row : rows) {
    const redis::Reply fields = redis::checked(connection.get_reply());
    for (std::size_t i = 0; i < fields.size(); ++i) {
      row.has_hash = row.has_hash || !fields[i].is_nil();
    }
    row.name = fields[0].opt_str().value_or("__default__");
    row.data = opt_string(fields[1]);
    row.timestamp = field_number(fields[2].opt_str());
    row.processed_on = field_number(fields[3].opt_str());
    row.finished_on = field_number(fields[4].opt_str());
    row.attempts_made = field_number(fields[5].opt_str()).value_or(0);
    row.priority = field_number(fields[6].opt_str()).value_or(0);
    row.failed_reason = opt_string(fields[7]);
  }
  return rows;
}

std::optional<std::string_view> JobDetails::field(std::string_view name) const
{
  for (const auto& [key, value] : fields) {
    if (key == name) {
      return value;
    }
  }
  return std::nullopt;
}

nlohmann::ordered_json JobDetails::to_json() const
{
  const auto json_field = [&](std::string_view name) {
    const auto value = field(name);
    return value ? parse_stored_json(*value) : nlohmann::json(nullptr);
  };
  const auto text_field = [&](std::string_view name) {
    const auto value = field(name);
    return value ? nlohmann::json(std::string(*value))
                 : nlohmann::json(nullptr);
  };
  const auto int_field = [&](std::string_view name) {
    return or_null(field_number(field(name)));
  };
  nlohmann::ordered_json out;
  out["id"] = id;
  out["state"] = to_string(state);
  out["name"] =
    has_hash
      ? nlohmann::json(std::string(field("name").value_or("__default__")))
      : nlohmann::json(nullptr);
  out["data"] = json_field("data");
  const nlohmann::json opts = json_field("opts");
  out["opts"] = opts;
  out["progress"] = json_field("progress");
  out["returnvalue"] = json_field("returnvalue");
  out["stacktrace"] = json_field("stacktrace");
  out["failedReason"] = text_field("failedReason");
  out["attemptsMade"] = field_number(field("attemptsMade")).value_or(0);
  long long attempts = 1;
  if (opts.is_object() && opts.contains("attempts")
      && opts["attempts"].is_number_integer()) {
    attempts = opts["attempts"].get<long long>();
  }
  out["attempts"] = attempts;
  out["priority"] = field_number(field("priority")).value_or(0);
  out["delay"] = field_number(field("delay")).value_or(0);
  out["timestamp"] = int_field("timestamp");
  out["processedOn"] = int_field("processedOn");
  out["finishedOn"] = int_field("finishedOn");
  out["retriedOn"] = int_field("retriedOn");
  out["dueAt"] = or_null(due_at);
  out["stalledCounter"] = field_number(field("stalledCounter")).value_or(0);
  out["lockToken"] = or_null(lock_token);
  out["lockTtlMs"] = or_null(lock_ttl_ms);
  out["logCount"] = log_count;
  out["logs"] = logs;
  return out;
}

std::optional<JobDetails> find_job(redis::Connection& connection,
                                   const Keys& keys,
                                   std::string_view id,
                                   long long max_logs)
{
  const std::string job_id(id);
  const redis::Reply reply =
    scripts::job_state().run(connection,
                             {keys.job(job_id),
                              keys.completed(),
                              keys.failed(),
                              keys.delayed(),
                              keys.active(),
                              keys.wait(),
                              keys.paused(),
                              keys.lock(job_id),
                              keys.logs(job_id)},
                             {job_id, std::to_string(std::max(0LL, max_logs))});
  JobDetails job;
  job.id = job_id;
  const std::string_view state = reply[0].str();
  job.state = state == "stuck" ? JobState::stuck : parse_list_state(state);
  const redis::ReplyView hash = reply[1];
  for (std::size_t i = 0; i + 1 < hash.size(); i += 2) {
    job.fields.emplace_back(hash[i].str(), hash[i + 1].str());
  }
  job.has_hash = !job.fields.empty();
  if (!job.has_hash && job.state == JobState::stuck) {
    return std::nullopt;
  }
  if (const auto score = reply[2].opt_str()) {
    job.due_at = decode_delayed_score(*score);
  }
  job.lock_token = opt_string(reply[3]);
  if (job.lock_token && reply[4].integer() >= 0) {
    job.lock_ttl_ms = reply[4].integer();
  }
  job.log_count = reply[5].integer();
  const redis::ReplyView logs = reply[6];
  for (std::size_t i = 0; i < logs.size(); ++i) {
    job.logs.emplace_back(logs[i].str());
  }
  return job;
}

nlohmann::json parse_stored_json(std::string_view text)
{
  auto parsed = jq::parse_untrusted_json(text);
  if (parsed.is_discarded()) {
    return std::string(text);
  }
  return parsed;
}

} // namespace jq::queue
