#include "reply_waiter.hpp"

#include <jq/core/error.hpp>

#include <vector>

namespace jq::queue {

namespace {

// A SUBSCRIBE's confirmation: ["subscribe", channel, count].
void check_subscribed(const redis::ReplyView& reply)
{
  redis::checked(reply);
  if (!reply.is_array() || reply.size() != 3 || reply[0].str() != "subscribe") {
    throw ProtocolError("Redis answered SUBSCRIBE with something else");
  }
}

} // namespace

ReplyWaiter::ReplyWaiter(const redis::Url& url, const Keys& keys)
  : m_connection(redis::Connection::open(url)),
    m_completed_channel(keys.completed()),
    m_failed_channel(keys.failed())
{
}

void ReplyWaiter::subscribe()
{
  m_connection.append({"SUBSCRIBE", m_completed_channel, m_failed_channel});
  for (int i = 0; i < 2; ++i) {
    check_subscribed(m_connection.get_reply());
  }
  m_is_subscribed = true;
}

ReplyWaiter::CallReply
ReplyWaiter::run_then_subscribe(const redis::Script& script,
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
  // step: MULTI's, the three commands' (QUEUED, or what each did when
  // MULTI was refused), then EXEC's.
  std::vector<redis::Reply> replies;
  for (int i = 0; i < 5; ++i) {
    replies.push_back(m_connection.get_reply());
  }
  if (replies[0].is_error()) {
    check_subscribed(replies[2]);
    check_subscribed(replies[3]);
    m_is_subscribed = true;
    redis::ReplyView reply = replies[1];
    return {std::move(replies[1]), reply};
  }
  redis::Reply& exec = replies[4];
  if (exec.is_error()) {
    // EXECABORT says only that something was refused: say what.
    for (const redis::ReplyView reply : replies) {
      redis::checked(reply);
    }
  }
  if (!exec.is_array() || exec.size() != 3) {
    throw ProtocolError("Redis answered a transaction with something else");
  }
  check_subscribed(exec[1]);
  check_subscribed(exec[2]);
  m_is_subscribed = true;
  redis::ReplyView reply = exec[0];
  return {std::move(exec), reply};
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
