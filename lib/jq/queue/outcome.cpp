#include "outcome.hpp"

#include <jq/core/error.hpp>
#include <jq/core/json.hpp>
#include <jq/queue/field_number.hpp>
#include <jq/queue/scripts.hpp>

#include <algorithm>

namespace jq::queue {

namespace {

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
    outcome.result = parse_returnvalue(fields[0].opt_str());
    outcome.attempts = failures + 1;
  } else {
    outcome.status = Outcome::Status::failed;
    outcome.failed_reason = std::string(fields[1].opt_str().value_or(""));
    outcome.stack = last_stack_entry(fields[3].opt_str());
    outcome.attempts = std::max(failures, 1);
  }
  return outcome;
}

nlohmann::json parse_returnvalue(std::optional<std::string_view> text)
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

} // namespace jq::queue
