#include "job.hpp"

#include <jq/core/duration.hpp>
#include <jq/core/error.hpp>
#include <jq/core/json.hpp>
#include <jq/core/sha1.hpp>
#include <jq/queue/field_number.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>

namespace jq::queue {

namespace {

// A number from opts, which anyone may have written: kept within about
// 292,000 years of milliseconds, so that adding it to a clock reading or
// casting it cannot overflow, and NaN or infinity gives `fallback`.
long long json_int(const nlohmann::json& value, long long fallback)
{
  constexpr auto k_limit = static_cast<long long>(9.2e15); // as durations
  if (value.is_number_integer()) {
    if (value.is_number_unsigned()) {
      return std::min<unsigned long long>(value.get<unsigned long long>(),
                                          k_limit);
    }
    return std::clamp(value.get<long long>(), -k_limit, k_limit);
  }
  if (value.is_number_float()) {
    const double number = value.get<double>();
    if (!std::isfinite(number)) {
      return fallback;
    }
    return static_cast<long long>(std::clamp(
      number, -static_cast<double>(k_limit), static_cast<double>(k_limit)));
  }
  return fallback;
}

} // namespace

Backoff Backoff::parse(std::string_view text)
{
  const auto colon = text.find(':');
  const std::string_view type = text.substr(0, colon);
  if (colon == std::string_view::npos) {
    throw UsageError(fmt::format(
      "invalid backoff '{}' (expected fixed:DUR or exp:DUR)", text));
  }
  Backoff backoff;
  backoff.delay = parse_duration(text.substr(colon + 1));
  if (type == "fixed") {
    backoff.kind = Kind::fixed;
  } else if (type == "exp" || type == "exponential") {
    backoff.kind = Kind::exponential;
  } else {
    throw UsageError(
      fmt::format("invalid backoff type '{}' (expected fixed or exp)", type));
  }
  return backoff;
}

Backoff Backoff::from_opts(const nlohmann::json& value)
{
  Backoff backoff;
  if (value.is_number()) {
    backoff.kind = Kind::fixed;
    backoff.delay = std::chrono::milliseconds(json_int(value, 0));
  } else if (value.is_object()) {
    const auto& type_field = value.contains("type") ? value["type"] : value;
    const std::string type =
      type_field.is_string() ? type_field.get<std::string>() : std::string();
    backoff.delay = std::chrono::milliseconds(
      json_int(value.value("delay", nlohmann::json()), 0));
    if (type == "fixed") {
      backoff.kind = Kind::fixed;
    } else if (type == "exponential") {
      backoff.kind = Kind::exponential;
    }
  }
  if (backoff.delay.count() < 0) {
    backoff.delay = std::chrono::milliseconds(0);
  }
  return backoff;
}

nlohmann::json Backoff::to_opts() const
{
  return {{"type", kind == Kind::exponential ? "exponential" : "fixed"},
          {"delay", delay.count()}};
}

std::chrono::milliseconds Backoff::delay_for(int attempts_made) const
{
  switch (kind) {
  case Kind::none:
    return std::chrono::milliseconds(0);
  case Kind::fixed:
    return delay;
  case Kind::exponential: {
    // 2^n by ldexp, which libc has: pow is libm's (round_milliseconds).
    const double factor = std::ldexp(1.0, std::min(attempts_made, 40)) - 1.0;
    // At most about 292 years (as parse_duration), within int64.
    return round_milliseconds(
      std::min(factor * static_cast<double>(delay.count()), 9.2e15));
  }
  }
  return std::chrono::milliseconds(0);
}

KeepPolicy KeepPolicy::from_opts(const nlohmann::json& value)
{
  KeepPolicy keep;
  if (value.is_boolean()) {
    keep.count = value.get<bool>() ? 0 : -1;
  } else if (value.is_number()) {
    // As Bull's scripts: 0 keeps none, a negative count keeps all.
    keep.count = std::max(-1LL, json_int(value, -1));
  } else if (value.is_object()) {
    keep.count = value.contains("count")
                   ? std::max(-1LL, json_int(value["count"], -1))
                   : -1;
    keep.age_seconds =
      std::max(0LL, json_int(value.value("age", nlohmann::json()), 0));
    // {age} alone keeps any count; {count: 0} with an age keeps none.
  }
  return keep;
}

std::string JobOptions::opts_text(std::int64_t timestamp) const
{
  // In the order dump_json writes an object's members: by name.
  std::string text;
  text.reserve(160 + (job_id ? job_id->size() : 0));
  const auto out = std::back_inserter(text);
  fmt::format_to(out, R"({{"attempts":{})", attempts);
  if (backoff.kind != Backoff::Kind::none) {
    text += R"(,"backoff":)";
    append_json(text, backoff.to_opts());
  }
  if (deadline_ms) {
    fmt::format_to(out, R"(,"deadline":{})", *deadline_ms);
  }
  fmt::format_to(out, R"(,"delay":{})", delay.count());
  if (job_id) {
    text += R"(,"jobId":)";
    append_json_string(text, std::string_view(*job_id));
  }
  if (lifo) {
    text += R"(,"lifo":true)";
  }
  if (priority != 0) {
    fmt::format_to(out, R"(,"priority":{})", priority);
  }
  if (!remove_on_complete.is_null()) {
    text += R"(,"removeOnComplete":)";
    append_json(text, remove_on_complete);
  }
  if (!remove_on_fail.is_null()) {
    text += R"(,"removeOnFail":)";
    append_json(text, remove_on_fail);
  }
  if (timeout) {
    fmt::format_to(out, R"(,"timeout":{})", timeout->count());
  }
  fmt::format_to(out, R"(,"timestamp":{}}})", timestamp);
  return text;
}

namespace {

// The members of Bull's opts that StoredOpts reads, in this order.
constexpr std::array<std::string_view, 8> k_read_members = {"attempts",
                                                            "backoff",
                                                            "lifo",
                                                            "timeout",
                                                            "deadline",
                                                            "removeOnComplete",
                                                            "removeOnFail",
                                                            "repeat"};
using ReadMembers = std::array<nlohmann::json, k_read_members.size()>;

StoredOpts from_members(const ReadMembers& members)
{
  const auto& [attempts,
               backoff,
               lifo,
               timeout,
               deadline,
               keep_completed,
               keep_failed,
               repeat] = members;
  StoredOpts read;
  read.attempts =
    static_cast<int>(std::clamp(json_int(attempts, 1), 1LL, 1'000'000LL));
  read.backoff = Backoff::from_opts(backoff);
  read.lifo = lifo.is_boolean() && lifo.get<bool>();
  read.timeout_ms = std::max(0LL, json_int(timeout, 0));
  read.deadline_ms = std::max(0LL, json_int(deadline, 0));
  read.keep_completed = KeepPolicy::from_opts(keep_completed);
  read.keep_failed = KeepPolicy::from_opts(keep_failed);
  return read;
}

} // namespace

StoredOpts StoredOpts::from_json(const nlohmann::json& opts)
{
  if (!opts.is_object()) {
    return {};
  }
  ReadMembers members;
  for (std::size_t i = 0; i < k_read_members.size(); ++i) {
    const auto found = opts.find(k_read_members[i]);
    if (found != opts.end()) {
      members[i] = *found;
    }
  }
  StoredOpts read = from_members(members);
  if (members.back().is_object()) {
    read.repeatable_text = dump_json(opts);
  }
  return read;
}

StoredOpts StoredOpts::parse(std::string_view text)
{
  ReadMembers members;
  if (!pick_json_members(text, k_read_members, members)) {
    return {};
  }
  StoredOpts read = from_members(members);
  if (members.back().is_object()) {
    read.repeatable_text = std::string(text);
  }
  return read;
}

int Job::attempts() const
{
  return opts.attempts;
}

Backoff Job::backoff() const
{
  return opts.backoff;
}

bool Job::lifo() const
{
  return opts.lifo;
}

std::optional<std::chrono::milliseconds> Job::timeout() const
{
  if (opts.timeout_ms <= 0) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(opts.timeout_ms);
}

std::optional<std::int64_t> Job::deadline_ms() const
{
  // A retry by an operator (Bull's job.retry(), bull-board, Arena,
  // jq-inspect retry) is a new request, whoever asked first: the first
  // caller's deadline bounded only the attempts made for that caller.
  if (opts.deadline_ms <= 0 || retried_on > opts.deadline_ms) {
    return std::nullopt;
  }
  return opts.deadline_ms;
}

KeepPolicy Job::keep_completed() const
{
  return opts.keep_completed;
}

KeepPolicy Job::keep_failed() const
{
  return opts.keep_failed;
}

Job Job::from_fields(std::string id,
                     const redis::ReplyView& fields,
                     std::int64_t processed_on)
{
  // Positions in start_fields; a missing field is nil.
  enum Field : std::size_t {
    name,
    data,
    opts,
    timestamp,
    attempts_made,
    priority,
    retried_on,
    stacktrace,
  };
  static_assert(start_fields[name] == "name" && start_fields[data] == "data"
                && start_fields[opts] == "opts"
                && start_fields[timestamp] == "timestamp"
                && start_fields[attempts_made] == "attemptsMade"
                && start_fields[priority] == "priority"
                && start_fields[retried_on] == "retriedOn"
                && start_fields[stacktrace] == "stacktrace");
  if (fields.size() != start_fields.size()) {
    throw ProtocolError(fmt::format("job {}: {} fields where {} were asked",
                                    id,
                                    fields.size(),
                                    start_fields.size()));
  }
  const auto text = [&](Field field) { return fields[field].opt_str(); };
  const auto number = [&](Field field) {
    return field_number(text(field)).value_or(0);
  };
  Job job;
  job.id = std::move(id);
  job.name = text(name).value_or("__default__");
  job.data = text(data).value_or("");
  if (const auto value = text(opts)) {
    job.opts = StoredOpts::parse(*value);
  }
  job.timestamp = number(timestamp);
  job.processed_on = processed_on;
  job.retried_on = number(retried_on);
  // Written by anyone: a negative or huge count must not mean endless
  // retries.
  job.attempts_made = static_cast<int>(
    std::clamp<std::int64_t>(number(attempts_made), 0, 1'000'000));
  job.priority = number(priority);
  if (const auto value = text(stacktrace)) {
    auto parsed = jq::parse_untrusted_json(*value);
    if (parsed.is_array()) {
      job.stacktrace = std::move(parsed);
    }
  }
  return job;
}

std::string identity_key(const Keys& keys, const Job& job)
{
  const bool is_counted =
    !job.id.empty() && std::all_of(job.id.begin(), job.id.end(), [](char c) {
      return c >= '0' && c <= '9';
    });
  // The parts, each with its length, so that no two tuples read the same
  // (queue `a`, id `b:c` against queue `a:b`, id `c`); 128 bits of their
  // digest, after a readable prefix for people.
  const std::string identity =
    fmt::format("{}:{}{}:{}{}:{}",
                keys.base().size(),
                keys.base(),
                job.id.size(),
                job.id,
                is_counted ? std::to_string(job.timestamp) : std::string(),
                job.data);
  return fmt::format(
    "{}{}:{}", keys.base(), job.id, sha1_hex(identity).substr(0, 32));
}

} // namespace jq::queue
