#include "repeat.hpp"

#include <jq/core/cron.hpp>
#include <jq/core/error.hpp>
#include <jq/core/json.hpp>

#include <fmt/core.h>

#include <date/date.h>
#include <nettle/md5.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <sstream>

namespace jq::queue {

namespace {

std::string md5_hex(std::string_view text)
{
  md5_ctx context{};
  md5_init(&context);
  md5_update(
    &context, text.size(), reinterpret_cast<const std::uint8_t*>(text.data()));
  std::array<std::uint8_t, MD5_DIGEST_SIZE> digest{};
  md5_digest(&context, digest.size(), digest.data());
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  for (const std::uint8_t byte : digest) {
    out.push_back(k_hex[byte >> 4]);
    out.push_back(k_hex[byte & 0x0F]);
  }
  return out;
}

std::optional<double> number(const nlohmann::json& object, const char* name)
{
  const auto it = object.find(name);
  if (it == object.end() || !it->is_number()) {
    return std::nullopt;
  }
  const double value = it->get<double>();
  return std::isfinite(value) ? std::optional<double>(value) : std::nullopt;
}

// date::parse trips GCC 12's -Wmaybe-uninitialized inside its own code.
#if defined(__GNUC__) && !defined(__clang__)
#  pragma GCC diagnostic push
#  pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

// A date as JavaScript's `new Date(x)` takes it from a Bull producer: epoch
// ms, or ISO 8601 text (`2026-12-31`, `2026-12-31T08:00:00Z`, with
// fractions or an offset). std::nullopt when absent or unreadable.
std::optional<std::int64_t> date_ms(const nlohmann::json& object,
                                    const char* name)
{
  const auto it = object.find(name);
  if (it == object.end()) {
    return std::nullopt;
  }
  if (it->is_number()) {
    const double value = it->get<double>();
    return std::isfinite(value)
             ? std::optional<std::int64_t>(static_cast<std::int64_t>(value))
             : std::nullopt;
  }
  if (!it->is_string()) {
    return std::nullopt;
  }
  const std::string text = it->get<std::string>();
  for (const char* format : {"%FT%T%Ez", "%FT%TZ", "%FT%T", "%F"}) {
    std::istringstream in(text);
    date::sys_time<std::chrono::milliseconds> at;
    in >> date::parse(format, at);
    if (!in.fail() && in.peek() == std::char_traits<char>::eof()) {
      return at.time_since_epoch().count();
    }
  }
  return std::nullopt;
}

#if defined(__GNUC__) && !defined(__clang__)
#  pragma GCC diagnostic pop
#endif

} // namespace

std::optional<Repetition> next_repetition(const Job& job, std::int64_t now_ms)
{
  if (!job.opts.repeatable_text) {
    return std::nullopt;
  }
  // Bull's defaultsDeep below: the next run's opts are this run's, all of
  // them, with a few members replaced.
  nlohmann::json opts = parse_untrusted_json(*job.opts.repeatable_text);
  const auto repeat_it = opts.find("repeat");
  if (!opts.is_object() || repeat_it == opts.end() || !repeat_it->is_object()) {
    return std::nullopt;
  }
  nlohmann::json repeat = *repeat_it;
  const std::int64_t prev_millis =
    static_cast<std::int64_t>(number(opts, "prevMillis").value_or(0));
  if (prev_millis == 0 && opts.contains("jobId") && opts["jobId"].is_string()) {
    repeat["jobId"] = opts["jobId"];
  }
  const std::int64_t count =
    static_cast<std::int64_t>(number(repeat, "count").value_or(0)) + 1;
  if (const auto limit = number(repeat, "limit");
      limit && static_cast<double>(count) > *limit) {
    return std::nullopt;
  }
  const auto end_ms = date_ms(repeat, "endDate");
  if (end_ms && now_ms > *end_ms) {
    return std::nullopt;
  }
  const std::int64_t from = std::max(prev_millis, now_ms);

  const bool has_cron = repeat.contains("cron") && repeat["cron"].is_string();
  const auto every = number(repeat, "every");
  if (has_cron && every) {
    throw UsageError("a repeatable job has both cron and every");
  }
  std::int64_t next_ms = 0;
  std::string schedule;
  if (every && *every > 0) {
    const auto step = static_cast<std::int64_t>(*every);
    next_ms = from / step * step + step;
    schedule = repeat["every"].dump(); // String(every) in JavaScript
  } else if (has_cron) {
    const std::string cron = repeat["cron"].get<std::string>();
    const std::string tz = repeat.contains("tz") && repeat["tz"].is_string()
                             ? repeat["tz"].get<std::string>()
                             : std::string();
    std::int64_t after = from;
    if (const auto start = date_ms(repeat, "startDate");
        start && *start > after) {
      after = *start;
    }
    const auto next =
      CronSchedule::parse(cron).next_after(after, find_time_zone(tz));
    if (!next || (end_ms && *next > *end_ms)) {
      return std::nullopt;
    }
    next_ms = *next;
    schedule = (tz.empty() ? ":" : tz + ":") + cron;
  } else {
    return std::nullopt;
  }

  const std::string job_id_part =
    repeat.contains("jobId") && repeat["jobId"].is_string()
      ? repeat["jobId"].get<std::string>() + ":"
      : ":";
  Repetition next;
  next.repeat_key = fmt::format("{}:{}{}{}",
                                job.name,
                                job_id_part,
                                end_ms ? fmt::format("{}:", *end_ms) : ":",
                                schedule);
  next.next_ms = next_ms;
  const std::string id =
    fmt::format("repeat:{}:{}",
                md5_hex(job.name + job_id_part + md5_hex(next.repeat_key)),
                next_ms);
  const std::int64_t delay = std::max<std::int64_t>(0, next_ms - now_ms);
  // Bull's defaultsDeep: these win, the rest is the current run's opts.
  repeat["count"] = count;
  repeat["key"] = next.repeat_key;
  opts["repeat"] = repeat;
  opts["jobId"] = id;
  opts["delay"] = delay;
  opts["timestamp"] = now_ms;
  opts["prevMillis"] = next_ms;

  next.job.name = job.name;
  next.job.data = job.data;
  next.job.timestamp = now_ms;
  next.job.options.job_id = id;
  next.job.options.delay = std::chrono::milliseconds(delay);
  next.job.options.priority = static_cast<int>(
    std::clamp<std::int64_t>(job.priority, 0, std::numeric_limits<int>::max()));
  next.job.options.lifo = job.lifo();
  next.job.bull_opts = std::move(opts);
  return next;
}

} // namespace jq::queue
