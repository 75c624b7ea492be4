#include "waiting.hpp"

namespace jq::sql::server {

Interrupt deadline_in(std::chrono::seconds timeout)
{
  using Clock = std::chrono::steady_clock;
  return [give_up = Clock::now() + timeout] { return Clock::now() >= give_up; };
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
