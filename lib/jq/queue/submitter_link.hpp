#pragma once

#include <jq/queue/keys.hpp>
#include <jq/queue/producer.hpp>
#include <jq/queue/reply_waiter.hpp>
#include <jq/redis/connection.hpp>
#include <jq/redis/url.hpp>

#include <optional>
#include <vector>

namespace jq::queue {

// The submitter's connections to Redis, each opened when first needed: the
// waiter's, subscribed to the queue's completion events, and one for
// commands, used only once subscribed, so that no event of a job added or
// looked at through it can be missed.
class SubmitterLink
{
public:
  SubmitterLink(redis::Url url, Keys keys);

  // Add `jobs` with `producer`. The first add after connecting goes out
  // with the subscription, in one MULTI/EXEC on the waiter's connection,
  // unless `alone_on_commands` (the caller then WAITs for replicas, which
  // counts the writes of the command connection only): a lone job costs one
  // connection and one round trip.
  std::vector<Added> add(const Producer& producer,
                         const std::vector<const NewJob*>& jobs,
                         bool alone_on_commands);

  // The command connection, subscribed first.
  redis::Connection& commands();

  // The waiter, connected and subscribed.
  ReplyWaiter& waiter();

  // Whether Redis answered since the start: a connection lost from then on
  // is worth waiting for; before, Redis is unreachable or frozen.
  bool has_answered() const noexcept;

  // Drop both connections (after a loss); the next use opens them again.
  void reset() noexcept;

private:
  ReplyWaiter& connected_waiter();

  redis::Url m_url;
  Keys m_keys;
  std::optional<ReplyWaiter> m_waiter;
  std::optional<redis::Connection> m_commands;
  bool m_has_answered = false;
};

} // namespace jq::queue
