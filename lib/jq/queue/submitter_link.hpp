#pragma once

#include <jq/queue/keys.hpp>
#include <jq/queue/producer.hpp>
#include <jq/queue/reply_waiter.hpp>
#include <jq/redis/connection.hpp>
#include <jq/redis/url.hpp>

#include <optional>
#include <vector>

namespace jq::queue {

// The submitter's connections to Redis: the waiter's, subscribed to the
// queue's completion events, and one for commands, opened when first needed
// and used only once subscribed, so that no event of a job added or looked
// at through it can be missed.
class SubmitterLink
{
public:
  SubmitterLink(redis::Url url, Keys keys);

  // Open the waiter's connection, once Redis answers (PING). Throws
  // RedisIoError. Done by the other calls too when the link was reset.
  void connect();

  // Add `jobs` with `producer`. The first add after connecting goes out
  // with the subscription, in one MULTI/EXEC on the waiter's connection,
  // unless `then_wait` (the caller then WAITs for replicas, which counts
  // the writes of the command connection only): a lone job costs one
  // connection and one round trip after the handshake.
  std::vector<Added> add(const Producer& producer,
                         const std::vector<const NewJob*>& jobs,
                         bool then_wait);

  // The command connection, subscribed first.
  redis::Connection& commands();

  // The waiter, connected and subscribed.
  ReplyWaiter& waiter();

  // Drop both connections (after a loss); the next use opens them again.
  void reset() noexcept;

private:
  redis::Url m_url;
  Keys m_keys;
  std::optional<ReplyWaiter> m_waiter;
  std::optional<redis::Connection> m_commands;
};

} // namespace jq::queue
