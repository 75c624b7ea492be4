#include "batch.hpp"

#include <jq/core/clock.hpp>
#include <jq/core/duration.hpp>
#include <jq/core/error.hpp>
#include <jq/core/json.hpp>
#include <jq/core/uuid.hpp>
#include <jq/queue/keys.hpp>
#include <jq/sql/request.hpp>

#include <fmt/core.h>

#include <array>
#include <iterator>

namespace jq::cli {

namespace {

using nlohmann::json;

constexpr std::array<std::string_view, 15> k_line_fields = {
  "db",
  "dbname",
  "sql",
  "params",
  "value",
  "rows",
  "id",
  "timeout",
  "attempts",
  "backoff",
  "delay",
  "priority",
  "lifo",
  "job_timeout",
  "keep",
};

// A duration in a job line: a string with a unit as on the command line
// ("250ms", "5s"), or a bare number of milliseconds, as Bull's options and
// the seed's payloads write them ("delay": 5000 is five seconds).
std::chrono::milliseconds line_duration(const json& value,
                                        std::string_view field)
{
  if (value.is_string()) {
    return parse_duration(value.get<std::string>());
  }
  // Below 2^53 ms (285,000 years): exact in a double, far from overflow.
  if (value.is_number() && value.get<double>() >= 0
      && value.get<double>() < 9.0e15) {
    return round_milliseconds(value.get<double>());
  }
  throw UsageError(fmt::format("'{}' must be a duration like \"5s\" or "
                               "\"250ms\", or a number of milliseconds",
                               field));
}

int line_int(const json& value, std::string_view field, int low, int high)
{
  if (!value.is_number_integer() || value.get<long long>() < low
      || value.get<long long>() > high) {
    throw UsageError(fmt::format(
      "'{}' must be a whole number from {} to {}", field, low, high));
  }
  return static_cast<int>(value.get<long long>());
}

std::string_view status_name(const queue::SubmissionResult& result)
{
  switch (result.kind) {
  case queue::Waited::Kind::finished:
    return result.outcome->status == queue::Outcome::Status::completed
             ? "completed"
             : "failed";
  case queue::Waited::Kind::missing:
    return "missing";
  case queue::Waited::Kind::gone:
    return "gone";
  case queue::Waited::Kind::timed_out:
    return "timeout";
  }
  return "failed";
}

} // namespace

queue::Submission make_submission(std::uint64_t tag,
                                  std::string data,
                                  queue::JobOptions options,
                                  std::chrono::milliseconds timeout,
                                  std::chrono::milliseconds keep,
                                  bool is_waiting,
                                  std::size_t max_payload_bytes)
{
  if (data.size() > max_payload_bytes) {
    throw UsageError(fmt::format("job data is {} bytes, over "
                                 "--max-payload-bytes {}",
                                 data.size(),
                                 max_payload_bytes));
  }
  if (!options.job_id) {
    options.job_id = make_uuid();
  } else {
    queue::Keys::check_job_id(*options.job_id);
  }
  if (is_waiting && options.delay >= timeout) {
    throw UsageError(
      "the delay is not shorter than the timeout: the reply could never "
      "arrive in time (raise the timeout, or use --no-wait and --wait)");
  }
  // Keep the reply at least as long as its caller waits for it.
  const auto kept = is_waiting ? std::max(keep, timeout) : keep;
  const long long keep_seconds = (kept.count() + 999) / 1000;
  options.remove_on_complete = {{"age", keep_seconds}};
  options.remove_on_fail = {{"age", keep_seconds}};
  if (is_waiting) {
    // Nobody waits for the reply after this: a worker must not start the
    // job later, nor let it run past it.
    options.deadline_ms = now_ms() + timeout.count();
  }
  queue::Submission submission;
  submission.tag = tag;
  submission.id = *options.job_id;
  submission.timeout = timeout;
  submission.job =
    queue::NewJob{"__default__", std::move(data), std::move(options), {}, {}};
  return submission;
}

std::variant<queue::Submission, std::string> parse_job_line(
  std::string_view line, std::uint64_t line_number, const JobDefaults& defaults)
{
  const json object = jq::parse_untrusted_json(line);
  if (object.is_discarded()) {
    return std::string("not valid JSON");
  }
  if (!object.is_object()) {
    return std::string("a job line must be a JSON object");
  }
  try {
    for (const auto& [key, value] : object.items()) {
      bool known = false;
      for (const auto field : k_line_fields) {
        known = known || key == field;
      }
      if (!known) {
        throw UsageError(fmt::format("unknown field '{}'", key));
      }
    }
    const sql::Request request = sql::parse_request(object);
    queue::JobOptions options = defaults.options;
    auto timeout = defaults.timeout;
    auto keep = defaults.keep;
    if (object.contains("id")) {
      if (!object["id"].is_string()
          || object["id"].get<std::string>().empty()) {
        throw UsageError("'id' must be a non-empty string");
      }
      options.job_id = object["id"].get<std::string>();
    }
    if (object.contains("timeout")) {
      timeout = line_duration(object["timeout"], "timeout");
    }
    if (object.contains("keep")) {
      keep = line_duration(object["keep"], "keep");
    }
    if (object.contains("attempts")) {
      options.attempts = line_int(object["attempts"], "attempts", 1, 1000);
    }
    if (object.contains("backoff")) {
      if (!object["backoff"].is_string()) {
        throw UsageError("'backoff' must be \"fixed:DUR\" or \"exp:DUR\"");
      }
      options.backoff =
        queue::Backoff::parse(object["backoff"].get<std::string>());
    }
    if (object.contains("delay")) {
      options.delay = line_duration(object["delay"], "delay");
    }
    if (object.contains("priority")) {
      options.priority = line_int(object["priority"], "priority", 0, 2'097'152);
    }
    if (object.contains("lifo")) {
      if (!object["lifo"].is_boolean()) {
        throw UsageError("'lifo' must be true or false");
      }
      options.lifo = object["lifo"].get<bool>();
    }
    if (object.contains("job_timeout")) {
      options.timeout = line_duration(object["job_timeout"], "job_timeout");
    }
    return make_submission(line_number,
                           jq::dump_json(sql::to_json(request)),
                           std::move(options),
                           timeout,
                           keep,
                           defaults.is_waiting,
                           defaults.max_payload_bytes);
  } catch (const Error& error) {
    return std::string(error.what());
  }
}

std::string result_line(queue::SubmissionResult result, std::uint64_t line)
{
  // Written member by member, in the order dump_json writes an object's
  // members (by name): jq-submit writes one for every job.
  queue::Outcome* const outcome = result.outcome ? &*result.outcome : nullptr;
  const bool is_completed =
    outcome != nullptr && outcome->status == queue::Outcome::Status::completed;
  std::string text;
  const auto out = std::back_inserter(text);
  fmt::format_to(out,
                 R"({{"attempts":{},"elapsed_ms":{},"error":)",
                 outcome != nullptr ? outcome->attempts : 0,
                 result.elapsed_ms);
  if (is_completed) {
    text += "null";
  } else {
    text += R"({"message":)";
    if (outcome != nullptr) {
      append_json_string(text, outcome->failed_reason);
      if (!outcome->stack.empty()) {
        text += R"(,"stack":)";
        append_json_string(text, outcome->stack);
      }
    } else if (result.kind == queue::Waited::Kind::timed_out) {
      text += "\"timed out waiting for the reply (the job may still run)\"";
    } else if (result.kind == queue::Waited::Kind::missing) {
      text += R"("no such job")";
    } else {
      text += R"("the job finished but its reply is no longer kept")";
    }
    text += '}';
  }
  text += R"(,"id":)";
  append_json_string(text, result.id);
  if (line != 0) {
    fmt::format_to(out, R"(,"line":{})", line);
  }
  text += R"(,"result":)";
  if (is_completed) {
    append_json(text, outcome->result);
  } else {
    text += "null";
  }
  fmt::format_to(out, R"(,"status":"{}"}})", status_name(result));
  return text;
}

std::string invalid_line(std::uint64_t line, std::string_view reason)
{
  return jq::dump_json(json{{"line", line},
                            {"id", nullptr},
                            {"status", "invalid"},
                            {"result", nullptr},
                            {"error", {{"message", reason}}},
                            {"attempts", 0},
                            {"elapsed_ms", 0}});
}

LineWriter::LineWriter(std::ostream& out, bool ordered)
  : m_out(out),
    m_ordered(ordered)
{
}

void LineWriter::write(std::uint64_t line, std::string json_text)
{
  json_text += '\n';
  hold(line, std::move(json_text));
}

void LineWriter::skip(std::uint64_t line)
{
  hold(line, {});
}

void LineWriter::hold(std::uint64_t line, std::string text)
{
  if (!m_ordered) {
    m_out << text;
    return;
  }
  m_held.emplace(line, std::move(text));
  while (!m_held.empty() && m_held.begin()->first == m_next) {
    m_out << m_held.begin()->second;
    m_held.erase(m_held.begin());
    ++m_next;
  }
}

Progress::Progress(bool enabled, std::optional<std::uintmax_t> input_bytes)
  : m_enabled(enabled),
    m_input_bytes(input_bytes),
    m_started(std::chrono::steady_clock::now())
{
}

void Progress::update(const queue::SubmitterStats& stats,
                      std::uintmax_t bytes_read,
                      long long invalid)
{
  if (!m_enabled) {
    return;
  }
  const double seconds =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started)
      .count();
  const long long done = stats.completed + stats.failed + invalid;
  const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
  std::string eta;
  if (m_input_bytes && *m_input_bytes > 0 && bytes_read > 0) {
    const double fraction =
      static_cast<double>(bytes_read) / static_cast<double>(*m_input_bytes);
    if (fraction > 0.01) {
      eta = fmt::format(", ETA {:.0f}s", seconds / fraction - seconds);
    }
  }
  const std::string text =
    fmt::format("\r\033[Kjq-submit: {} done, {} failed, {} in flight, "
                "{:.0f} jobs/s{}",
                done,
                stats.failed + invalid,
                stats.in_flight,
                rate,
                eta);
  std::fputs(text.c_str(), stderr);
  std::fflush(stderr);
  m_drawn = true;
}

void Progress::finish()
{
  if (m_drawn) {
    std::fputs("\n", stderr);
  }
}

} // namespace jq::cli
