#include "maintenance.hpp"

#include <jq/core/clock.hpp>
#include <jq/core/error.hpp>
#include <jq/core/log.hpp>
#include <jq/metrics/worker_metrics.hpp>
#include <jq/queue/field_number.hpp>
#include <jq/redis/backoff.hpp>
#include <jq/redis/connection.hpp>

#include <algorithm>
#include <optional>

namespace jq::queue {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Longest gap between delayed-job promotions (Bull's guardInterval).
constexpr milliseconds k_guard_interval(5'000);

} // namespace

Maintenance::Maintenance(redis::Url url,
                         const Transitions& transitions,
                         const LockBook& book,
                         MaintenanceOptions options)
  : m_url(std::move(url)),
    m_transitions(transitions),
    m_book(book),
    m_options(options)
{
}

void Maintenance::renew_locks(redis::Connection& connection)
{
  for (const auto& id :
       m_transitions.extend_locks(connection, m_book.to_renew())) {
    // A job that finished since the snapshot has no lock to renew.
    if (m_book.is_running(id)) {
      JQ_LOG(warn, "job {}: lost its lock (it may run elsewhere too)", id);
    }
  }
}

milliseconds Maintenance::check_stalled(redis::Connection& connection)
{
  const StalledCheck check = m_transitions.check_stalled(
    connection, m_options.max_stalled, m_options.stalled_interval);
  for (const auto& id : check.failed) {
    JQ_LOG(warn, "job {} stalled too often; failed it", id);
  }
  for (const auto& id : check.requeued) {
    JQ_LOG(warn, "job {} stalled; put it back in line", id);
  }
  return check.next_due;
}

void Maintenance::run(const std::atomic<bool>& done)
{
  const bool checks_stalled = m_options.stalled_interval.count() > 0;
  std::optional<redis::Connection> commands;
  std::optional<redis::Connection> subscriber;
  const milliseconds renew_every = m_options.lock_duration / 2;
  auto next_renew = Clock::now() + renew_every;
  auto next_stalled = Clock::now();
  auto next_promote = Clock::now();
  redis::Backoff backoff;
  while (!done.load()) {
    try {
      if (!commands) {
        commands.emplace(redis::Connection::open(m_url));
        subscriber.emplace(redis::Connection::open(m_url));
        // Subscribed before the first promotion: a job delayed between
        // the two would be announced to no one and wait for the guard
        // interval.
        subscriber->append({"SUBSCRIBE", m_transitions.keys().delayed()});
        if (!subscriber->read_reply(std::chrono::seconds(5))) {
          throw RedisTimeoutError("no answer to SUBSCRIBE");
        }
        backoff.reset();
        next_promote = Clock::now();
      }
      auto now = Clock::now();
      if (now >= next_renew) {
        renew_locks(*commands);
        next_renew = now + renew_every;
      }
      if (checks_stalled && now >= next_stalled) {
        next_stalled = now + check_stalled(*commands);
      }
      if (now >= next_promote) {
        next_promote = now + k_guard_interval;
        if (const auto due = m_transitions.promote_delayed(*commands)) {
          next_promote = std::min(
            next_promote,
            now + milliseconds(std::max<std::int64_t>(0, *due - now_ms())));
        }
      }
      if (m_options.tend_slots) {
        // It waits out Redis outages itself; nothing else may end this
        // thread.
        try {
          m_options.tend_slots();
        } catch (const std::exception& error) {
          JQ_LOG(error, "tending the worker's slots: {}", error.what());
        }
      }
      now = Clock::now();
      auto until =
        std::min({next_renew, next_promote, now + milliseconds(250)});
      if (checks_stalled) {
        until = std::min(until, next_stalled);
      }
      const auto wait = std::max(
        milliseconds(1), std::chrono::duration_cast<milliseconds>(until - now));
      if (auto message = subscriber->read_reply(wait)) {
        // A `delayed` message carries the due time of a newly delayed job.
        if (message->is_array() && message->size() == 3
            && message->at(0).str() == "message") {
          const std::int64_t due =
            parse_field_number(message->at(2).str()).value_or(0);
          const auto in =
            milliseconds(std::max<std::int64_t>(0, due - now_ms()));
          next_promote = std::min(next_promote, Clock::now() + in);
        }
      }
    } catch (const RedisError& error) {
      if (commands && m_options.metrics != nullptr) {
        m_options.metrics->count_reconnect();
      }
      commands.reset();
      subscriber.reset();
      const auto pause = backoff.next();
      JQ_LOG(warn,
             "Redis error in maintenance: {}; reconnecting in {} ms",
             error.what(),
             pause.count());
      redis::Backoff::sleep_unless(done, pause);
    }
  }
}

} // namespace jq::queue
