#include "reply_waiter.hpp"

#include <jq/core/error.hpp>

#include <optional>

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

void ReplyWaiter::subscribe()
{
  m_connection.append({"SUBSCRIBE", m_completed_channel, m_failed_channel});
  for (int i = 0; i < 2; ++i) {
    redis::checked(m_connection.get_reply());
  }
  m_is_subscribed = true;
}

redis::Reply ReplyWaiter::run_then_subscribe(const redis::Script& script,
                                             const redis::Script::Call& call)
{
  // One channel per SUBSCRIBE: inside a transaction each command must give
  // one reply, and a SUBSCRIBE gives one per channel.
  m_connection.append({"MULTI"});
  script.append(m_connection, call);
  m_connection.append({"SUBSCRIBE", m_completed_channel});
  m_connection.append({"SUBSCRIBE", m_failed_channel});
  m_connection.append({"EXEC"});
  // Every reply is read before any is judged, so the connection stays in
  // step: OK, three QUEUED (or the error that aborts EXEC), then EXEC's.
  std::optional<redis::Reply> refusal;
  for (int i = 0; i < 4; ++i) {
    redis::Reply reply = m_connection.get_reply();
    if (reply.is_error() && !refusal) {
      refusal = std::move(reply);
    }
  }
  redis::Reply exec = m_connection.get_reply();
  if (exec.is_error()) {
    // EXECABORT says only that something was refused: say what.
    redis::checked(std::move(refusal ? *refusal : exec));
  }
  if (!exec.is_array() || exec.size() != 3) {
    throw ProtocolError("Redis answered a transaction with something else");
  }
  m_is_subscribed = true;
  return exec;
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
