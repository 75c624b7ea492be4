#include "outcome.hpp"

#include <jq/core/error.hpp>
#include <jq/core/json.hpp>
#include <jq/queue/field_number.hpp>
#include <jq/queue/scripts.hpp>

#include <algorithm>

namespace jq::queue {

namespace {

// A returnvalue is JSON text; a foreign worker may store anything, so text
// that is not JSON is kept as a string.
nlohmann::json parse_result(std::optional<std::string_view> text)
{
  if (!text) {
    return nullptr;
  }
  auto parsed = jq::parse_untrusted_json(*text);
  if (parsed.is_discarded()) {
    return std::string(*text);
  }
  return parsed;
}

std::string last_stack_entry(std::optional<std::string_view> text)
{
  if (!text) {
    return {};
  }
  const auto parsed = jq::parse_untrusted_json(*text);
  if (parsed.is_array() && !parsed.empty() && parsed.back().is_string()) {
    return parsed.back().get<std::string>();
  }
  return {};
}

} // namespace

redis::Script::Call outcome_call(const Keys& keys, std::string_view id)
{
  return {{keys.job(id), keys.completed(), keys.failed(), keys.trimmed()},
          {std::string(id)}};
}

std::optional<Outcome> parse_outcome(std::string_view id,
                                     const redis::ReplyView& reply,
                                     Presence& presence)
{
  const std::string_view state = reply[0].str();
  presence = state == "missing" ? Presence::missing
             : state == "gone"  ? Presence::gone
                                : Presence::known;
  if (state != "completed" && state != "failed") {
    return std::nullopt;
  }
  const redis::ReplyView fields = reply[1];
  Outcome outcome;
  outcome.id = std::string(id);
  // Written by anyone: a huge or negative count must not overflow.
  const int failures = static_cast<int>(std::clamp<std::int64_t>(
    field_number(fields[2].opt_str()).value_or(0), 0, 1'000'000));
  outcome.processed_on = field_number(fields[5].opt_str()).value_or(0);
  outcome.finished_on = field_number(fields[4].opt_str()).value_or(0);
  if (state == "completed") {
    outcome.status = Outcome::Status::completed;
    outcome.result = parse_result(fields[0].opt_str());
    outcome.attempts = failures + 1;
  } else {
    outcome.status = Outcome::Status::failed;
    outcome.failed_reason = std::string(fields[1].opt_str().value_or(""));
    outcome.stack = last_stack_entry(fields[3].opt_str());
    outcome.attempts = std::max(failures, 1);
  }
  return outcome;
}

bool is_whole_event(const nlohmann::json& event)
{
  return event.is_object() && event.contains("attempts")
         && event["attempts"].is_number_integer()
         && event.contains("finishedOn")
         && event["finishedOn"].is_number_integer();
}

Outcome outcome_from_event(std::string_view id,
                           bool is_completed,
                           const nlohmann::json& event)
{
  Outcome outcome;
  outcome.id = std::string(id);
  outcome.attempts = 1;
  // Written by anyone: numbers are taken only when they are sane.
  const auto number = [&event](const char* name) -> std::int64_t {
    const auto found = event.find(name);
    if (found == event.end() || !found->is_number_integer()) {
      return 0;
    }
    return std::clamp<std::int64_t>(
      found->get<std::int64_t>(), 0, std::int64_t{1} << 53);
  };
  if (event.is_object()) {
    outcome.attempts = static_cast<int>(
      std::clamp<std::int64_t>(number("attempts"), 1, 1'000'000));
    outcome.processed_on = number("processedOn");
    outcome.finished_on = number("finishedOn");
    const auto stack = event.find("stack");
    if (stack != event.end() && stack->is_string()) {
      outcome.stack = stack->get<std::string>();
    }
  }
  const auto val = event.find("val");
  if (is_completed) {
    outcome.status = Outcome::Status::completed;
    // `val` is the returnvalue's JSON text; left out when it was undefined.
    if (val != event.end() && val->is_string()) {
      outcome.result = parse_result(val->get<std::string>());
    }
  } else {
    outcome.status = Outcome::Status::failed;
    if (val != event.end() && val->is_string()) {
      outcome.failed_reason = val->get<std::string>();
    }
  }
  return outcome;
}

} // namespace jq::queue
