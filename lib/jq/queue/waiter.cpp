#include "waiter.hpp"

#include <jq/core/error.hpp>
#include <jq/queue/scripts.hpp>

#include <charconv>

namespace jq::queue {

namespace {

// How often a waiter re-checks the job's state in case a pub/sub message
// was lost (Bull's finished() watchdog uses the same period).
constexpr std::chrono::seconds k_watchdog(5);

std::int64_t to_int64(std::optional<std::string_view> text)
{
  std::int64_t value = 0;
  if (text) {
    std::from_chars(text->data(), text->data() + text->size(), value);
  }
  return value;
}

// A returnvalue is JSON text; a foreign worker may store anything, so text
// that is not JSON is kept as a string.
nlohmann::json parse_result(std::optional<std::string_view> text)
{
  if (!text) {
    return nullptr;
  }
  auto parsed = nlohmann::json::parse(*text, nullptr, false);
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
  const auto parsed = nlohmann::json::parse(*text, nullptr, false);
  if (parsed.is_array() && !parsed.empty() && parsed.back().is_string()) {
    return parsed.back().get<std::string>();
  }
  return {};
}

} // namespace

std::optional<Outcome> fetch_outcome(redis::Connection& commands,
                                     const Keys& keys,
                                     std::string_view id,
                                     bool& exists)
{
  const redis::Reply reply =
    scripts::job_outcome().run(commands,
                               {keys.job(id), keys.completed(), keys.failed()},
                               {std::string(id)});
  const std::string_view state = reply[0].str();
  exists = state != "missing";
  if (state == "missing" || state == "pending") {
    return std::nullopt;
  }
  const redis::ReplyView fields = reply[1];
  Outcome outcome;
  outcome.id = std::string(id);
  const int failures = static_cast<int>(to_int64(fields[2].opt_str()));
  outcome.processed_on = to_int64(fields[5].opt_str());
  outcome.finished_on = to_int64(fields[4].opt_str());
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

Outcome outcome_from_event(std::string_view id,
                           bool is_completed,
                           const nlohmann::json& event)
{
  Outcome outcome;
  outcome.id = std::string(id);
  outcome.attempts = 1;
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

ReplyWaiter::ReplyWaiter(const redis::Url& url, Keys keys)
  : m_subscriber(redis::Connection::open(url)),
    m_keys(std::move(keys))
{
  m_subscriber.append({"SUBSCRIBE", m_keys.completed(), m_keys.failed()});
  // Both confirmations must arrive before anything is added: from then on
  // no event for our jobs can be missed.
  for (int i = 0; i < 2; ++i) {
    redis::checked(m_subscriber.get_reply());
  }
}

Waited ReplyWaiter::wait(redis::Connection& commands,
                         std::string_view id,
                         std::chrono::steady_clock::time_point deadline)
{
  bool seen = false;
  for (;;) {
    bool exists = false;
    if (auto outcome = fetch_outcome(commands, m_keys, id, exists)) {
      return {Waited::Kind::finished, std::move(outcome)};
    }
    if (!exists) {
      return {seen ? Waited::Kind::gone : Waited::Kind::missing, {}};
    }
    seen = true;
    const auto check_at =
      std::min(deadline, std::chrono::steady_clock::now() + k_watchdog);
    // Read events until ours arrives or it is time to re-check.
    for (;;) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) {
        return {Waited::Kind::timed_out, {}};
      }
      if (now >= check_at) {
        break;
      }
      auto message = m_subscriber.read_reply(
        std::chrono::duration_cast<std::chrono::milliseconds>(check_at - now)
        + std::chrono::milliseconds(1));
      if (!message) {
        continue;
      }
      // ["message", channel, payload]
      if (!message->is_array() || message->size() != 3
          || message->at(0).str() != "message") {
        continue;
      }
      const auto event =
        nlohmann::json::parse(message->at(2).str(), nullptr, false);
      if (!event.is_object()) {
        continue;
      }
      const auto job_id = event.find("jobId");
      if (job_id == event.end()
          || !((job_id->is_string() && job_id->get<std::string>() == id)
               || (job_id->is_number() && job_id->dump() == id))) {
        continue;
      }
      const bool is_completed = message->at(1).str() == m_keys.completed();
      bool still_exists = false;
      if (auto outcome = fetch_outcome(commands, m_keys, id, still_exists)) {
        return {Waited::Kind::finished, std::move(outcome)};
      }
      // Removed as it finished (removeOnComplete): the event is all there is.
      return {Waited::Kind::finished,
              outcome_from_event(id, is_completed, event)};
    }
  }
}

} // namespace jq::queue
