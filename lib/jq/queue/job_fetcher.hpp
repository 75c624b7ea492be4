#pragma once

#include <jq/queue/transitions.hpp>
#include <jq/redis/backoff.hpp>
#include <jq/redis/connection.hpp>
#include <jq/redis/url.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

namespace jq::metrics {
class WorkerMetrics;
}

namespace jq::queue {

// Waits for the next job once `wait` ran empty: BRPOPLPUSH from wait to
// active on a connection of its own, named so that Bull's getWorkers() and
// `jq-inspect workers` list the worker. Used by one slot at a time.
class JobFetcher
{
public:
  JobFetcher(redis::Url url,
             const Transitions& transitions,
             std::chrono::milliseconds block_timeout,
             const std::atomic<bool>& stop);

  // Open and name the connection, so the worker is listed from the start
  // (even while it has work, when it does not block). Throws RedisIoError
  // when Redis cannot be reached.
  void open();

  // Redis's longest value (read_value_limit), read on the open connection.
  std::size_t read_value_limit();

  // The id of the job BRPOPLPUSH moved into active, or std::nullopt after
  // the block timeout or a Redis error (its pause waited out).
  std::optional<std::string> fetch();

  // Put back `id`, moved into active by the last fetch, at the head of the
  // line untouched: fetched when a stop had already begun.
  void put_back(const std::string& id);

  // Count the connections that break in `metrics` (none: nullptr).
  void count_in(metrics::WorkerMetrics* metrics) noexcept
  {
    m_metrics = metrics;
  }

private:
  void requeue_unlocked_after_grace(redis::Connection& connection);

  redis::Url m_url;
  const Transitions& m_transitions;
  std::chrono::milliseconds m_block_timeout;
  const std::atomic<bool>& m_stop;
  std::optional<redis::Connection> m_connection;
  redis::Backoff m_backoff;
  bool m_lost_reply = false;
  metrics::WorkerMetrics* m_metrics = nullptr;
};

} // namespace jq::queue
