#include "finish_event.hpp"

#include <jq/core/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <string>

namespace jq::queue {

namespace {

using json = nlohmann::json;

// Keeps the top-level fields an event may have and skips the rest; refuses
// text nesting deeper than k_max_json_depth.
class EventReader final : public nlohmann::json_sax<json>
{
public:
  EventReader(FinishEvent& event, const JobIdFilter& is_wanted)
    : m_event(event),
      m_is_wanted(is_wanted)
  {
  }

  bool has_job_id() const noexcept
  {
    return m_has_job_id;
  }

  bool null() override
  {
    return scalar();
  }
  bool boolean(bool /*value*/) override
  {
    return scalar();
  }
  bool number_integer(number_integer_t value) override
  {
    return integer(value);
  }
  bool number_unsigned(number_unsigned_t value) override
  {
    // Beyond int64: not a sane count or time, and a job id never is one.
    return value <= static_cast<number_unsigned_t>(INT64_MAX)
             ? integer(static_cast<std::int64_t>(value))
             : scalar();
  }
  bool number_float(number_float_t /*value*/, const string_t& /*text*/) override
  {
    return scalar();
  }
  bool string(string_t& value) override
  {
    if (m_depth == 1) {
      if (m_key == "jobId") {
        return take_job_id(std::move(value));
      }
      if (m_key == "val") {
        m_event.val = std::move(value);
      } else if (m_key == "stack") {
        m_event.stack = std::move(value);
      }
    }
    return scalar();
  }
  bool binary(binary_t& /*value*/) override
  {
    return scalar();
  }
  bool start_object(std::size_t /*size*/) override
  {
    return open();
  }
  bool key(string_t& value) override
  {
    if (m_depth == 1) {
      m_key = std::move(value);
    }
    return true;
  }
  bool end_object() override
  {
    return close();
  }
  bool start_array(std::size_t /*size*/) override
  {
    // The event itself must be an object.
    return m_depth > 0 && open();
  }
  bool end_array() override
  {
    return close();
  }
  bool parse_error(std::size_t /*position*/,
                   const std::string& /*last_token*/,
                   const nlohmann::detail::exception& /*error*/) override
  {
    return false;
  }

private:
  bool scalar() const noexcept
  {
    return m_depth > 0;
  }
  bool open() noexcept
  {
    return ++m_depth <= k_max_json_depth;
  }
  bool close() noexcept
  {
    --m_depth;
    return true;
  }
  bool integer(std::int64_t value)
  {
    if (m_depth != 1) {
      return scalar();
    }
    // Anything past 2^53 is not a time or count a worker wrote.
    const auto sane = std::clamp<std::int64_t>(value, 0, std::int64_t{1} << 53);
    if (m_key == "jobId") {
      return take_job_id(std::to_string(value));
    }
    if (m_key == "attempts") {
      m_event.attempts = sane;
      m_has_attempts = true;
    } else if (m_key == "processedOn") {
      m_event.processed_on = sane;
    } else if (m_key == "finishedOn") {
      m_event.finished_on = sane;
      m_has_finished_on = true;
    }
    m_event.is_whole = m_has_attempts && m_has_finished_on;
    return true;
  }

  // Both Bull and jq-worker write jobId first: another caller's event is
  // dropped before its `val` is read.
  bool take_job_id(std::string id)
  {
    m_event.job_id = std::move(id);
    m_has_job_id = true;
    return !m_is_wanted || m_is_wanted(m_event.job_id);
  }

  FinishEvent& m_event;
  const JobIdFilter& m_is_wanted;
  std::size_t m_depth = 0;
  std::string m_key;
  bool m_has_job_id = false;
  bool m_has_attempts = false;
  bool m_has_finished_on = false;
};

} // namespace

std::string encode_finish_event(FinishEvent& event)
{
  // Written member by member, in the order a JSON object's members are
  // dumped (by name); one allocation for the text rather than one per
  // member. `val` is the reply itself: moved out and back, never copied.
  std::string text;
  text.reserve(96 + event.job_id.size() + (event.val ? event.val->size() : 0)
               + event.stack.size());
  fmt::format_to(std::back_inserter(text),
                 R"({{"attempts":{},"finishedOn":{},"jobId":)",
                 event.attempts,
                 event.finished_on);
  append_json_string(text, event.job_id);
  fmt::format_to(
    std::back_inserter(text), R"(,"processedOn":{})", event.processed_on);
  if (!event.is_completed) {
    text += R"(,"stack":)";
    append_json_string(text, event.stack);
  }
  if (event.val) {
    text += R"(,"val":)";
    append_json_string(text, *event.val);
  }
  text += '}';
  return text;
}

std::optional<FinishEvent> decode_finish_event(std::string_view text,
                                               bool is_completed,
                                               const JobIdFilter& is_wanted)
{
  FinishEvent event;
  event.is_completed = is_completed;
  EventReader reader(event, is_wanted);
  if (!json::sax_parse(text, &reader) || !reader.has_job_id()) {
    return std::nullopt;
  }
  return event;
}

Outcome to_outcome(FinishEvent event)
{
  Outcome outcome;
  outcome.id = std::move(event.job_id);
  outcome.attempts =
    static_cast<int>(std::clamp<std::int64_t>(event.attempts, 1, 1'000'000));
  outcome.processed_on = event.processed_on;
  outcome.finished_on = event.finished_on;
  outcome.stack = std::move(event.stack);
  if (event.is_completed) {
    outcome.status = Outcome::Status::completed;
    // Left out of Bull's event when the returnvalue was undefined.
    outcome.result = parse_returnvalue(event.val);
  } else {
    outcome.status = Outcome::Status::failed;
    outcome.failed_reason = std::move(event.val).value_or("");
  }
  return outcome;
}

} // namespace jq::queue
