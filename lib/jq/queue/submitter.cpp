#include "submitter.hpp"

#include <jq/core/clock.hpp>
#include <jq/core/error.hpp>
#include <jq/core/log.hpp>
#include <jq/queue/pending_set.hpp>
#include <jq/queue/scripts.hpp>
#include <jq/queue/submitter_link.hpp>
#include <jq/redis/backoff.hpp>
#include <jq/redis/connection.hpp>

#include <fmt/core.h>

#include <thread>

namespace jq::queue {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The longest one wait for events lasts, so progress stays fresh.
constexpr milliseconds k_tick(250);
constexpr milliseconds k_max_reconnect_delay(2'000);
// At most this many events are read before feeding and checking again.
constexpr int k_max_events_per_round = 1'000;

} // namespace

struct Submitter::State
{
  Keys keys;
  Producer producer;
  SubmitterLink link;
  PendingSet pending;
  JobIdFilter is_pending;
  const std::function<void(SubmissionResult)>* on_result = nullptr;
  const std::function<void()>* on_pause = nullptr;
  bool reported = false; // since the last pause()
  int replicas = 0;
  milliseconds replica_timeout{5'000};

  State(redis::Url u, Keys k, int in_flight)
    : keys(k),
      producer(k),
      link(std::move(u), std::move(k)),
      pending(in_flight),
      is_pending(
        [this](const std::string& id) { return pending.find(id) != nullptr; })
  {
  }

  void report(const std::string& id,
              Waited::Kind kind,
              std::optional<Outcome> outcome)
  {
    if (auto result = pending.finish(id, kind, std::move(outcome))) {
      reported = true;
      (*on_result)(std::move(*result));
    }
  }

  // The submitter may block next: let the caller flush what it was told.
  void pause()
  {
    if (reported && on_pause != nullptr && *on_pause) {
      reported = false;
      (*on_pause)();
    }
  }

  // Read the state of `ids` in one round trip and report those that ended.
  void check(const std::vector<std::string>& ids)
  {
    if (ids.empty()) {
      return;
    }
    // A round trip: Redis may be slow to answer.
    pause();
    std::vector<redis::Script::Call> calls;
    calls.reserve(ids.size());
    for (const auto& id : ids) {
      calls.push_back(outcome_call(keys, id));
    }
    auto replies = scripts::job_outcome().run_many(link.commands(), calls);
    const auto now = Clock::now();
    std::vector<std::string> lost;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const redis::Reply reply = redis::checked(std::move(replies[i]));
      PendingJob* job = pending.find(ids[i]);
      if (!job) {
        continue;
      }
      Presence presence = Presence::known;
      if (auto outcome = parse_outcome(ids[i], reply, presence)) {
        report(ids[i], Waited::Kind::finished, std::move(outcome));
      } else if (job->event) {
        // Removed as it finished (removeOnComplete): the event is all
        // there is.
        report(
          ids[i], Waited::Kind::finished, to_outcome(std::move(*job->event)));
      } else if (presence == Presence::missing && job->may_be_lost
                 && job->submission.job) {
        JQ_LOG(warn, "job {} was lost with Redis; adding it again", ids[i]);
        job->may_be_lost = false;
        job->is_confirmed = false;
        lost.push_back(ids[i]);
      } else if (presence != Presence::known) {
        report(ids[i],
               (presence == Presence::gone || job->is_seen)
                 ? Waited::Kind::gone
                 : Waited::Kind::missing,
               std::nullopt);
      } else {
        job->is_seen = true;
        job->next_check = now + PendingSet::k_watchdog;
      }
    }
    send(lost);
  }

  // Block until `replicas` replicas have the adds just made (Redis WAIT), so
  // a failover cannot lose them. Too few acknowledgements fail the jobs.
  void wait_for_replicas(std::size_t job_count)
  {
    const redis::Reply reply =
      link.commands().command({"WAIT",
                               std::to_string(replicas),
                               std::to_string(replica_timeout.count())});
    const long long acknowledged = reply.integer();
    if (acknowledged < replicas) {
      throw RedisIoError(fmt::format("only {} of {} replica(s) acknowledged "
                                     "the add of {} job(s) within {} ms",
                                     acknowledged,
                                     replicas,
                                     job_count,
                                     replica_timeout.count()));
    }
  }

  // Send the adds (and the state checks of attachments) of `ids` in one
  // pipelined round trip, then check what needs checking.
  void send(const std::vector<std::string>& ids)
  {
    std::vector<const NewJob*> jobs;
    std::vector<std::string> added_ids;
    std::vector<bool> was_sent;
    std::vector<std::string> to_check;
    // One time for the round: jobs that share it share a run of the add.
    const std::int64_t sent_on = now_ms();
    for (const auto& id : ids) {
      PendingJob& job = *pending.find(id);
      if (job.submission.job && !job.is_confirmed) {
        if (!job.submission.job->timestamp) {
          job.submission.job->timestamp = sent_on;
        }
        jobs.push_back(&*job.submission.job);
        added_ids.push_back(id);
        was_sent.push_back(job.is_sent);
        job.is_sent = true;
      } else {
        to_check.push_back(id);
      }
    }
    if (!jobs.empty()) {
      pause(); // as in check(): the ends `check` reported may be waited for
      const auto added = link.add(producer, jobs, replicas > 0);
      if (replicas > 0) {
        wait_for_replicas(jobs.size());
      }
      const auto now = Clock::now();
      for (std::size_t i = 0; i < added.size(); ++i) {
        PendingJob& job = *pending.find(added_ids[i]);
        job.is_confirmed = true;
        job.is_seen = true;
        job.next_check = now + PendingSet::k_watchdog;
        if (!added[i].is_new) {
          // Ours from before a reconnect, or someone else's job with this
          // id: either way it may have finished already.
          job.existed = !was_sent[i];
          to_check.push_back(added_ids[i]);
        }
      }
    }
    check(to_check);
  }

  // Read the events that arrive within `wait`; report the whole ones and
  // fetch the outcomes of the others.
  void read_events(milliseconds wait)
  {
    std::vector<std::string> ended;
    for (auto& event :
         link.waiter().read(wait, k_max_events_per_round, is_pending)) {
      if (event.is_whole) {
        // jq-worker's event is the whole outcome: no look at the job.
        std::string id = event.job_id;
        report(id, Waited::Kind::finished, to_outcome(std::move(event)));
        continue;
      }
      PendingJob* job = pending.find(event.job_id);
      if (job) {
        ended.push_back(event.job_id);
        job->event = std::move(event);
      }
    }
    check(ended);
  }

  // Report the jobs past their deadline; re-check those due a watchdog
  // look. Returns when the next of either is due.
  Clock::time_point sweep()
  {
    const auto now = Clock::now();
    auto due = pending.due(now, now + k_tick);
    for (const auto& id : due.expired) {
      report(id, Waited::Kind::timed_out, std::nullopt);
    }
    check(due.to_check);
    return due.next;
  }

  // After a lost connection: reconnect with backoff until Redis is back or
  // every pending job's deadline has passed, then re-send and re-check.
  void recover(const RedisIoError& error)
  {
    pause();
    link.reset();
    auto give_up = Clock::now() + milliseconds(1'000);
    const auto ids = pending.ids();
    for (const auto& id : ids) {
      give_up = std::max(give_up, pending.find(id)->deadline);
    }
    JQ_LOG(warn, "lost Redis ({}); reconnecting", error.what());
    redis::Backoff backoff(milliseconds(100), k_max_reconnect_delay);
    for (;;) {
      std::this_thread::sleep_for(backoff.next());
      try {
        for (const auto& id : ids) {
          if (PendingJob* job = pending.find(id)) {
            job->may_be_lost = true;
          }
        }
        // Re-adds what was never confirmed (the ids make that safe) and
        // re-reads the rest: events sent while we were away are lost.
        link.connect();
        send(pending.ids());
        JQ_LOG(warn, "reconnected to Redis; re-checked {} job(s)", ids.size());
        return;
      } catch (const RedisIoError&) {
        link.reset();
        if (Clock::now() >= give_up) {
          throw;
        }
      }
    }
  }
};

Submitter::Submitter(redis::Url url, Keys keys, int in_flight)
  : m_state(std::make_unique<State>(std::move(url), std::move(keys), in_flight))
{
}

Submitter::~Submitter() = default;

void Submitter::require_replicas(int count, std::chrono::milliseconds timeout)
{
  m_state->replicas = count;
  m_state->replica_timeout = timeout;
}

const SubmitterStats& Submitter::stats() const noexcept
{
  return m_state->pending.stats();
}

void Submitter::run(const std::function<std::optional<Submission>()>& next,
                    const std::function<void(SubmissionResult)>& on_result,
                    const std::function<bool()>& may_take,
                    const std::function<void(const SubmitterStats&)>& on_tick,
                    const std::function<void()>& on_pause)
{
  State& state = *m_state;
  state.on_result = &on_result;
  state.on_pause = &on_pause;
  // Before any input: unreachable, frozen or refusing, Redis is the
  // caller's error at once, not a loss to wait out.
  state.link.connect();
  bool is_input_done = false;
  auto last_tick = Clock::now();
  while (!is_input_done || !state.pending.empty()
         || state.pending.has_held_back()) {
    try {
      // `next` may block, waiting for input.
      state.pause();
      const auto ids = state.pending.admit(next, may_take, is_input_done);
      state.send(ids);
      const auto next_due = state.sweep();
      // Poll only while there is more to feed; otherwise sleep on events
      // until something is due.
      const bool has_room =
        !is_input_done && state.pending.has_room() && (!may_take || may_take());
      const auto wait = (!ids.empty() && has_room)
                          ? milliseconds(0)
                          : std::clamp(std::chrono::duration_cast<milliseconds>(
                                         next_due - Clock::now()),
                                       milliseconds(1),
                                       k_tick);
      // Nothing pending means nothing to hear about: feed again at once
      // (or find the input is done).
      if (!state.pending.empty()) {
        state.pause();
        state.read_events(wait);
      }
    } catch (const RedisIoError& error) {
      state.recover(error);
    }
    if (on_tick && Clock::now() - last_tick >= k_tick) {
      last_tick = Clock::now();
      on_tick(state.pending.stats());
    }
  }
  if (on_tick) {
    on_tick(state.pending.stats());
  }
}

} // namespace jq::queue
