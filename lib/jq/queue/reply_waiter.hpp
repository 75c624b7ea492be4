#pragma once

#include <jq/queue/finish_event.hpp>
#include <jq/queue/keys.hpp>
#include <jq/redis/connection.hpp>
#include <jq/redis/url.hpp>

#include <chrono>
#include <vector>

namespace jq::queue {

// A connection subscribed to a queue's `completed` and `failed` channels,
// decoding the events of the jobs its owner waits for.
class ReplyWaiter
{
public:
  // Connects and subscribes; returns once Redis confirmed both channels, so
  // no event of a job added afterwards can be missed. Throws RedisIoError.
  ReplyWaiter(const redis::Url& url, const Keys& keys);

  // The events that arrive within `wait` (the first read waits, the rest
  // take only what is already there), at most `max`, of the jobs
  // `is_wanted` accepts. Throws RedisIoError when the connection is lost.
  std::vector<FinishEvent>
  read(std::chrono::milliseconds wait, int max, const JobIdFilter& is_wanted);

private:
  redis::Connection m_connection;
  std::string m_completed_channel;
};

} // namespace jq::queue
