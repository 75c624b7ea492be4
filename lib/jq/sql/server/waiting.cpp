#include "waiting.hpp"

namespace jq::sql::server {

Interrupt deadline_in(std::chrono::seconds timeout)
{
  using Clock = std::chrono::steady_clock;
  return [give_up = Clock::now() + timeout] { return Clock::now() >= give_up; };
}

std::optional<std::string> failure_within_abandon_timeout(
  const std::function<void(const Interrupt&)>& step) noexcept
{
  try {
    step(deadline_in(k_abandon_timeout));
    return std::nullopt;
  } catch (const std::exception& e) {
    return std::string(e.what());
  } catch (...) {
    return std::string("an unknown error");
  }
}

std::string trimmed(std::string_view message)
{
  while (!message.empty()
         && (message.back() == '\n' || message.back() == ' ')) {
    message.remove_suffix(1);
  }
  return std::string(message);
}

} // namespace jq::sql::server
