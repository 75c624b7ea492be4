#include "job_fetcher.hpp"

#include <jq/core/error.hpp>
#include <jq/core/log.hpp>
#include <jq/metrics/worker_metrics.hpp>
#include <jq/queue/value_limit.hpp>

#include <fmt/core.h>

namespace jq::queue {

namespace {

// How long a job taken from wait may be seen in active without a lock
// before it counts as lost: a worker locks what it takes within a round
// trip.
constexpr std::chrono::milliseconds k_lock_grace(1'000);

} // namespace

JobFetcher::JobFetcher(redis::Url url,
                       const Transitions& transitions,
                       std::chrono::milliseconds block_timeout,
                       const std::atomic<bool>& stop)
  : m_url(std::move(url)),
    m_transitions(transitions),
    m_block_timeout(block_timeout),
    m_stop(stop)
{
}

void JobFetcher::open()
{
  m_connection.emplace(redis::Connection::open(m_url));
  m_connection->command(
    {"CLIENT", "SETNAME", m_transitions.keys().worker_client_name()});
}

std::size_t JobFetcher::read_value_limit()
{
  return queue::read_value_limit(*m_connection);
}

std::optional<std::string> JobFetcher::fetch()
{
  bool sent = false;
  try {
    if (!m_connection) {
      open();
      if (m_lost_reply) {
        requeue_unlocked_after_grace(*m_connection);
        m_lost_reply = false;
      }
    }
    const auto seconds = fmt::format(
      "{:.3f}", static_cast<double>(m_block_timeout.count()) / 1000.0);
    sent = true;
    const redis::Reply reply =
      m_connection->command({"BRPOPLPUSH",
                             m_transitions.keys().wait(),
                             m_transitions.keys().active(),
                             seconds});
    m_backoff.reset();
    if (reply.is_nil()) {
      return std::nullopt;
    }
    return std::string(reply.str());
  } catch (const RedisReplyError& error) {
    const auto pause = m_backoff.next();
    JQ_LOG(error,
           "Redis refused a command: {}; trying again in {} ms",
           error.what(),
           pause.count());
    redis::Backoff::sleep_unless(m_stop, pause);
  } catch (const RedisError& error) {
    if (m_connection && m_metrics != nullptr) {
      m_metrics->count_reconnect();
    }
    m_connection.reset();
    m_lost_reply = m_lost_reply || sent;
    const auto pause = m_backoff.next();
    JQ_LOG(warn,
           "Redis error: {}; reconnecting in {} ms",
           error.what(),
           pause.count());
    redis::Backoff::sleep_unless(m_stop, pause);
  }
  return std::nullopt;
}

// After a BRPOPLPUSH's reply was lost: its job sits in active with no
// lock, and no one knows it. Jobs that other workers are just taking look
// the same for a round trip, so those still unlocked after a grace go
// back to the head of the line (a jq worker does not start a job that
// left active meanwhile).
void JobFetcher::requeue_unlocked_after_grace(redis::Connection& connection)
{
  const auto unlocked = m_transitions.unlocked_active(connection);
  if (unlocked.empty()) {
    return;
  }
  redis::Backoff::sleep_unless(m_stop, k_lock_grace);
  for (const auto& id : m_transitions.requeue_unlocked(connection, unlocked)) {
    JQ_LOG(warn,
           "job {} was left in active without a lock; put it back in line",
           id);
  }
}

void JobFetcher::put_back(const std::string& id)
{
  try {
    if (!m_connection) {
      open();
    }
    m_transitions.requeue_unlocked(*m_connection, {id});
  } catch (const RedisError& error) {
    JQ_LOG(warn, "job {}: not put back ({})", id, error.what());
  }
}

} // namespace jq::queue
