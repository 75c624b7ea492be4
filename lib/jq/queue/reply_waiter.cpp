#include "reply_waiter.hpp"

namespace jq::queue {

ReplyWaiter::ReplyWaiter(const redis::Url& url, const Keys& keys)
  // PING and SUBSCRIBE in one round trip.
  : m_connection(
    redis::Connection::open(url,
                            redis::Connection::k_connect_timeout,
                            redis::Connection::Handshake::overlap)),
    m_completed_channel(keys.completed())
{
  m_connection.append({"SUBSCRIBE", keys.completed(), keys.failed()});
  for (int i = 0; i < 2; ++i) {
    redis::checked(m_connection.get_reply());
  }
}

std::vector<FinishEvent> ReplyWaiter::read(std::chrono::milliseconds wait,
                                           int max,
                                           const JobIdFilter& is_wanted)
{
  std::vector<FinishEvent> events;
  for (int i = 0; i < max; ++i) {
    auto message =
      m_connection.read_reply(i == 0 ? wait : std::chrono::milliseconds(0));
    if (!message) {
      break;
    }
    // ["message", channel, payload]
    if (!message->is_array() || message->size() != 3
        || message->at(0).str() != "message") {
      continue;
    }
    const bool is_completed = message->at(1).str() == m_completed_channel;
    if (auto event =
          decode_finish_event(message->at(2).str(), is_completed, is_wanted)) {
      events.push_back(std::move(*event));
    }
  }
  return events;
}

} // namespace jq::queue
