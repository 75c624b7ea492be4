#include "job_exchange.hpp"

#include <jq/core/clock.hpp>
#include <jq/core/error.hpp>
#include <jq/core/log.hpp>
#include <jq/metrics/worker_metrics.hpp>
#include <jq/queue/repeat.hpp>

#include <fmt/core.h>

#include <algorithm>

namespace jq::queue {

namespace {

using std::chrono::milliseconds;

// How long a job taken from wait may be seen in active without a lock
// before it counts as lost: a worker locks what it takes within a round
// trip.
constexpr milliseconds k_lock_grace(1'000);

} // namespace

JobExchange::JobExchange(redis::Url url_,
                         const Transitions& transitions_,
                         LockBook& book_,
                         std::chrono::milliseconds block_timeout_,
                         const std::atomic<bool>& stop,
                         const std::atomic<bool>& cancel_)
  : url(std::move(url_)),
    transitions(transitions_),
    book(book_),
    block_timeout(block_timeout_),
    m_stop(stop),
    cancel(cancel_),
    producer(transitions_.keys())
{
}

void JobExchange::open()
{
  blocker.emplace(redis::Connection::open(url));
  blocker->command({"CLIENT", "SETNAME", keys().worker_client_name()});
}

void JobExchange::wake()
{
  const std::lock_guard lock(mutex);
  changed.notify_all();
}

// Give out `taken`: the first to `mine` if it is empty (a slot keeping
// its next job), the rest to `ready` for the idle slots.
void JobExchange::hand_out(std::vector<Job> taken,
                           int want,
                           std::optional<Job>* mine)
{
  if (want > 0) {
    wait_empty = static_cast<int>(taken.size()) < want;
  }
  for (auto& job : taken) {
    if (mine && !*mine) {
      *mine = std::move(job);
    } else {
      ready.push_back(std::move(job));
    }
  }
  // One idle slot per job waiting, not all of them: at -c 16 waking every
  // slot for each job made a lone caller's round trip half as slow again.
  for (std::size_t i = 0; i < ready.size(); ++i) {
    changed.notify_one();
  }
}

// One round trip on `commands`: send the outbox (or start `moved`) and
// take up to `want` jobs. Called and returns with `lock` held; the I/O
// happens without it.
std::vector<Job> JobExchange::round(std::unique_lock<std::mutex>& lock,
                                    int want,
                                    const std::vector<std::string>& moved)
{
  io_busy = true;
  std::vector<JobEnd> ends;
  if (moved.empty()) {
    ends.swap(outbox);
  }
  lock.unlock();
  std::vector<Job> taken = exchange(ends, want, moved);
  lock.lock();
  io_busy = false;
  // Wake the idle slots only when there is a round for one of them to
  // make, or a fetcher waiting for the connection.
  if (!outbox.empty() || io_wanted) {
    changed.notify_all();
  }
  return taken;
}

// Record `ends` and take jobs, reconnecting until Redis takes them: the
// results are in hand and must not be lost to an outage (their locks are
// renewed meanwhile). Gives up only when a stop's grace has run out; the
// locks then lapse and the stalled check puts the jobs back.
std::vector<Job> JobExchange::exchange(const std::vector<JobEnd>& ends,
                                       int want,
                                       const std::vector<std::string>& moved)
{
  for (;;) {
    try {
      if (!commands) {
        commands.emplace(redis::Connection::open(url));
        // A call whose reply was lost may have recorded ends and taken
        // jobs no slot knows of.
        for (const auto& id :
             transitions.reclaim_orphans(*commands, book.all())) {
          JQ_LOG(warn,
                 "job {} was taken by a call whose reply was lost; put it "
                 "back in line",
                 id);
        }
      }
      std::vector<Job> taken;
      if (ends.empty()) {
        taken = transitions.take(
          *commands, want - static_cast<int>(moved.size()), moved);
      } else {
        Finished finished = transitions.finish(*commands, ends, want);
        log_refusals(ends, finished.refusals);
        taken = std::move(finished.taken);
      }
      io_backoff.reset();
      release(ends);
      for (const auto& job : taken) {
        book.hold(job.id);
      }
      schedule_next_runs(taken);
      return taken;
    } catch (const RedisReplyError& error) {
      // A script refused something odd (e.g. a key of the wrong type
      // written by someone else): the locks lapse and the stalled check
      // deals with these jobs.
      const auto pause = io_backoff.next();
      JQ_LOG(error,
             "Redis refused a command: {}; trying again in {} ms",
             error.what(),
             pause.count());
      release(ends);
      redis::Backoff::sleep_unless(cancel, pause);
      return {};
    } catch (const RedisError& error) {
      if (commands && m_metrics != nullptr) {
        m_metrics->count_reconnect();
      }
      commands.reset();
      if (cancel.load() || (ends.empty() && stopping())) {
        release(ends);
        return {};
      }
      const auto pause = io_backoff.next();
      JQ_LOG(warn,
             "Redis error: {}; {} {} job end(s) in {} ms",
             error.what(),
             ends.empty() ? "retrying" : "recording",
             ends.size(),
             pause.count());
      redis::Backoff::sleep_unless(cancel, pause);
    }
  }
}

void JobExchange::release(const std::vector<JobEnd>& ends)
{
  for (const auto& end : ends) {
    book.release(end.id);
  }
}

void JobExchange::log_refusals(const std::vector<JobEnd>& ends,
                               const std::vector<Refusal>& refusals)
{
  for (std::size_t i = 0; i < ends.size() && i < refusals.size(); ++i) {
    if (refusals[i] != Refusal::none) {
      JQ_LOG(warn,
             "job {}: could not record its end ({}); another worker may "
             "have taken it back",
             ends[i].id,
             describe(refusals[i]));
    }
  }
}

// As Bull's worker does when it takes a run of a repeatable job: add the
// next run, unless the repeatable job was removed meanwhile. A failure is
// logged: the jobs taken are in hand whatever happens here.
void JobExchange::schedule_next_runs(const std::vector<Job>& taken)
{
  for (const auto& job : taken) {
    if (!job.opts.contains("repeat")) {
      continue;
    }
    try {
      const auto next = next_repetition(job, now_ms());
      if (!next
          || commands->command({"ZSCORE", keys().repeat(), next->repeat_key})
               .is_nil()) {
        continue;
      }
      commands->command({"ZADD",
                         keys().repeat(),
                         std::to_string(next->next_ms),
                         next->repeat_key});
      producer.add(*commands, next->job);
    } catch (const std::exception& error) {
      JQ_LOG(error,
             "job {}: cannot schedule its next repetition: {}",
             job.id,
             error.what());
      if (commands->is_broken()) {
        commands.reset();
      }
    }
  }
}

// A slot's end goes out, in this slot's round or the current owner's;
// returns the slot's next job when its round took one.
std::optional<Job> JobExchange::deliver(JobEnd end)
{
  book.mark_finishing(end.id);
  std::unique_lock lock(mutex);
  outbox.push_back(std::move(end));
  std::optional<Job> mine;
  while (!io_busy && !outbox.empty()) {
    const int want =
      stopping()
        ? 0
        : std::max(0, idle + (mine ? 0 : 1) - static_cast<int>(ready.size()));
    hand_out(round(lock, want), want, &mine);
    // Ends that came in meanwhile go with an idle slot's round.
    if (mine && idle > 0) {
      break;
    }
  }
  return mine;
}

// The next job for an idle slot, or std::nullopt when the worker stops.
std::optional<Job> JobExchange::obtain()
{
  std::unique_lock lock(mutex);
  ++idle;
  for (;;) {
    if (!ready.empty()) {
      Job job = std::move(ready.front());
      ready.pop_front();
      --idle;
      return job;
    }
    const int want = stopping() ? 0 : idle;
    if (!io_busy && (!outbox.empty() || (want > 0 && !wait_empty))) {
      hand_out(round(lock, want), want, nullptr);
      continue;
    }
    if (stopping()) {
      if (outbox.empty() && !io_busy && !fetching) {
        --idle;
        changed.notify_all();
        return std::nullopt;
      }
    } else if (wait_empty && !fetching) {
      fetching = true;
      lock.unlock();
      const auto moved = fetch();
      lock.lock();
      fetching = false;
      std::optional<Job> mine;
      if (moved) {
        mine = start_moved(lock, *moved);
      }
      if (mine) {
        // Another idle slot blocks for the next job now: one is enough.
        changed.notify_one();
        --idle;
        return mine;
      }
      continue;
    }
    // Everything that matters notifies; the timeout is a safety net.
    changed.wait_for(lock, milliseconds(250));
  }
}

// Start job `id`, which a BRPOPLPUSH moved into active, with as many
// more as there are idle slots; the fetching slot keeps the first.
std::optional<Job> JobExchange::start_moved(std::unique_lock<std::mutex>& lock,
                                            const std::string& id)
{
  if (stopping()) {
    // Taken by a BRPOPLPUSH that was already waiting when the stop came:
    // back to the head of the line, untouched.
    try {
      transitions.requeue_unlocked(*blocker, {id});
    } catch (const RedisError& error) {
      JQ_LOG(warn, "job {}: not put back ({})", id, error.what());
    }
    return std::nullopt;
  }
  io_wanted = true;
  changed.wait(lock, [this] { return !io_busy; });
  io_wanted = false;
  const int want = std::max(1, idle - static_cast<int>(ready.size()));
  std::optional<Job> mine;
  hand_out(round(lock, want, {id}), want, &mine);
  return mine;
}

// Block up to the block timeout on `blocker` for the next job's id.
std::optional<std::string> JobExchange::fetch()
{
  bool sent = false;
  try {
    if (!blocker) {
      open();
      if (blocker_lost_reply) {
        requeue_unlocked_after_grace(*blocker);
        blocker_lost_reply = false;
      }
    }
    const auto seconds = fmt::format(
      "{:.3f}", static_cast<double>(block_timeout.count()) / 1000.0);
    sent = true;
    const redis::Reply reply =
      blocker->command({"BRPOPLPUSH", keys().wait(), keys().active(), seconds});
    fetch_backoff.reset();
    if (reply.is_nil()) {
      return std::nullopt;
    }
    return std::string(reply.str());
  } catch (const RedisReplyError& error) {
    const auto pause = fetch_backoff.next();
    JQ_LOG(error,
           "Redis refused a command: {}; trying again in {} ms",
           error.what(),
           pause.count());
    redis::Backoff::sleep_unless(m_stop, pause);
  } catch (const RedisError& error) {
    if (blocker && m_metrics != nullptr) {
      m_metrics->count_reconnect();
    }
    blocker.reset();
    blocker_lost_reply = blocker_lost_reply || sent;
    const auto pause = fetch_backoff.next();
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
void JobExchange::requeue_unlocked_after_grace(redis::Connection& connection)
{
  const auto unlocked = transitions.unlocked_active(connection);
  if (unlocked.empty()) {
    return;
  }
  redis::Backoff::sleep_unless(m_stop, k_lock_grace);
  for (const auto& id : transitions.requeue_unlocked(connection, unlocked)) {
    JQ_LOG(warn,
           "job {} was left in active without a lock; put it back in line",
           id);
  }
}

} // namespace jq::queue
