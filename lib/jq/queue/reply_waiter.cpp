#include "reply_waiter.hpp"

namespace jq::queue {

ReplyWaiter::ReplyWaiter(const redis::Url& url, const Keys& keys)
  // The PING is answered with the first reply read: one round trip in all.
  : m_connection(
    redis::Connection::open(url,
                            redis::Connection::k_connect_timeout,
                            redis::Connection::Handshake::overlap)),
    m_completed_channel(keys.completed()),
    m_failed_channel(keys.failed())
{
}

void ReplyWaiter::append_subscribe()
{
  m_connection.append({"SUBSCRIBE", m_completed_channel, m_failed_channel});
}

void ReplyWaiter::read_subscribed()
{
  for (int i = 0; i < 2; ++i) {
    redis::checked(m_connection.get_reply());
  }
  m_is_subscribed = true;
}

void ReplyWaiter::subscribe()
{
  append_subscribe();
  read_subscribed();
}

redis::Reply ReplyWaiter::subscribe_after(const redis::Script& script,
                                          const redis::Script::Call& call)
{
  script.append(m_connection, call);
  append_subscribe();
  redis::Reply reply = m_connection.get_reply();
  read_subscribed();
  return reply;
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
