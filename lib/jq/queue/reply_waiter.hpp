#pragma once

#include <jq/queue/finish_event.hpp>
#include <jq/queue/keys.hpp>
#include <jq/redis/connection.hpp>
#include <jq/redis/script.hpp>
#include <jq/redis/url.hpp>

#include <chrono>
#include <vector>

namespace jq::queue {

// A connection subscribed to a queue's `completed` and `failed` channels,
// decoding the events of the jobs its owner waits for.
class ReplyWaiter
{
public:
  // Connects and checks that Redis answers (PING), sending nothing else
  // before: a Redis that does not answer gets no job to run later. Throws
  // RedisIoError.
  ReplyWaiter(const redis::Url& url, const Keys& keys);

  // Subscribes; returns once Redis confirmed both channels, so no event of
  // a job added afterwards can be missed. Throws RedisIoError.
  void subscribe();

  // A script call's reply and the reply that holds it.
  struct CallReply
  {
    redis::Reply whole;
    redis::ReplyView call;
  };

  // Runs `call` of `script` and subscribes in one transaction (MULTI/EXEC),
  // sent in one write: no other client's command runs between the two, so
  // no event of a job the call adds can be missed either. The call's reply
  // is returned unchecked: a NOSCRIPT error is the caller's to run again
  // elsewhere, as a subscribed connection cannot send the script. Where
  // transactions are refused (an ACL without them), the commands run one
  // after the other all the same. Throws RedisReplyError when Redis refused
  // the call or the subscription (nothing ran), RedisIoError when the
  // connection fails.
  CallReply run_then_subscribe(const redis::Script& script,
                               const redis::Script::Call& call);

  bool is_subscribed() const noexcept
  {
    return m_is_subscribed;
  }

  // The events that arrive within `wait` (the first read waits, the rest
  // take only what is already there), at most `max`, of the jobs
  // `is_wanted` accepts, once subscribed. Throws RedisIoError when the
  // connection is lost.
  std::vector<FinishEvent>
  read(std::chrono::milliseconds wait, int max, const JobIdFilter& is_wanted);

private:
  redis::Connection m_connection;
  std::string m_completed_channel;
  std::string m_failed_channel;
  bool m_is_subscribed = false;
};

} // namespace jq::queue
