#pragma once

#include <jq/queue/job.hpp>
#include <jq/queue/lock_book.hpp>
#include <jq/queue/producer.hpp>
#include <jq/queue/transitions.hpp>
#include <jq/redis/backoff.hpp>
#include <jq/redis/connection.hpp>
#include <jq/redis/url.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace jq::metrics {
class WorkerMetrics;
}

namespace jq::queue {

// How a worker's slots get their jobs and send their ends, sharing two
// connections. Jobs are taken and ends recorded in rounds: one slot at a
// time (the one that finds the connection free) sends every end waiting in
// the outbox and asks for as many jobs as there are idle slots, in one
// script call; what comes back goes to the slots. A slot that finds the
// connection busy leaves its end to that round's owner or to the next idle
// slot. When wait is empty, one idle slot blocks in BRPOPLPUSH on the
// second connection, so a lone job starts at once. Thread-safe.
class JobExchange
{
public:
  JobExchange(redis::Url url,
              const Transitions& transitions,
              LockBook& book,
              std::chrono::milliseconds block_timeout,
              const std::atomic<bool>& stop,
              const std::atomic<bool>& cancel);

  // The next job for an idle slot, or std::nullopt once the worker stops
  // and nothing it took is left to run.
  std::optional<Job> obtain();

  // Send a slot's end (in its own round or the current owner's); returns
  // the slot's next job when its round took one.
  std::optional<Job> deliver(JobEnd end);

  // Open and name the blocking connection, so the worker is listed from
  // the start (even while it has work, when it does not block). Throws
  // RedisIoError when Redis cannot be reached; call before any slot runs.
  void open();

  // Wake the idle slots, e.g. to notice a stop.
  void wake();

  // Count the connections that break in `metrics` (none: nullptr; not
  // owned). Call before any slot runs.
  void count_in(metrics::WorkerMetrics* metrics) noexcept
  {
    m_metrics = metrics;
  }

private:
  const Keys& keys() const
  {
    return transitions.keys();
  }
  bool stopping() const
  {
    return m_stop.load();
  }
  void hand_out(std::vector<Job> taken, int want, std::optional<Job>* mine);
  std::vector<Job> round(std::unique_lock<std::mutex>& lock,
                         int want,
                         const std::vector<std::string>& moved = {});
  std::vector<Job> exchange(const std::vector<JobEnd>& ends,
                            int want,
                            const std::vector<std::string>& moved);
  void release(const std::vector<JobEnd>& ends);
  void log_refusals(const std::vector<JobEnd>& ends,
                    const std::vector<Refusal>& refusals);
  void schedule_next_runs(const std::vector<Job>& taken);
  std::optional<Job> start_moved(std::unique_lock<std::mutex>& lock,
                                 const std::string& id);
  std::optional<std::string> fetch();
  void requeue_unlocked_after_grace(redis::Connection& connection);

  redis::Url url;
  const Transitions& transitions;
  LockBook& book;
  std::chrono::milliseconds block_timeout;
  const std::atomic<bool>& m_stop;
  const std::atomic<bool>& cancel;
  // Adds the next runs of repeatable jobs.
  Producer producer;

  std::mutex mutex; // guards everything below but the connections
  std::condition_variable changed;
  std::deque<Job> ready;      // taken and locked, not yet started
  std::vector<JobEnd> outbox; // ends not yet sent
  int idle = 0;               // slots waiting for a job
  bool io_busy = false;       // a slot is in a round on `commands`
  bool io_wanted = false;     // the fetcher waits for `commands`
  bool fetching = false;      // a slot is blocked on `blocker`
  bool wait_empty = false;    // the last round found wait empty

  // Used by the owner of the round (io_busy) alone.
  std::optional<redis::Connection> commands;
  redis::Backoff io_backoff;
  // Used by the fetching slot alone; named, so Bull's getWorkers() and
  // `jq-inspect workers` list the worker.
  std::optional<redis::Connection> blocker;
  redis::Backoff fetch_backoff;
  bool blocker_lost_reply = false;
  metrics::WorkerMetrics* m_metrics = nullptr;
};

} // namespace jq::queue
