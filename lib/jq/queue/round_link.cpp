#include "round_link.hpp"

#include <jq/core/clock.hpp>
#include <jq/core/error.hpp>
#include <jq/core/log.hpp>
#include <jq/metrics/worker_metrics.hpp>
#include <jq/queue/repeat.hpp>

#include <utility>

namespace jq::queue {

RoundLink::RoundLink(const redis::Url& url_,
                     const Transitions& transitions_,
                     LockBook& book_,
                     RoundGate& gate_,
                     const std::atomic<bool>& stop,
                     const std::atomic<bool>& cancel_)
  : url(url_),
    transitions(transitions_),
    book(book_),
    gate(gate_),
    m_stop(stop),
    cancel(cancel_),
    producer(transitions_.keys())
{
}

// Record `ends` and take jobs, reconnecting until Redis takes them: the
// results are in hand and must not be lost to an outage (their locks are
// renewed meanwhile). Gives up only when a stop's grace has run out; the
// locks then lapse and the stalled check puts the jobs back.
std::vector<Job> RoundLink::exchange(const std::vector<JobEnd>& ends,
                                     int want,
                                     const std::vector<std::string>& moved)
{
  // Set once a reply was lost: the call then goes out again alone.
  std::optional<RoundGate::Resend> resend;
  for (;;) {
    try {
      if (!commands) {
        commands.emplace(redis::Connection::open(url));
      }
      if (gate.reclaim_due() && !reclaim()) {
        // Refused, as a call can be (below): the caller may be the thread
        // that renews the locks, which must not wait here for long.
        release(ends);
        return {};
      }
      std::vector<Job> taken;
      {
        RoundGate::Call call(gate, resend.has_value());
        try {
          if (ends.empty()) {
            taken = transitions.take(
              *commands, want - static_cast<int>(moved.size()), moved);
          } else {
            Finished finished = transitions.finish(*commands, ends, want);
            log_refusals(ends, finished.refusals);
            taken = std::move(finished.taken);
          }
        } catch (const RedisReplyError&) {
          throw; // answered, if with a refusal
        } catch (const RedisError&) {
          if (!resend) {
            // Before this call leaves the gate: no other may go out first.
            resend.emplace(gate);
          }
          throw;
        }
        call.replied();
        // Released before the jobs taken are held: a round may take back
        // a job it ended (a retry or a job given back, put back in line).
        release(ends);
        for (const auto& job : taken) {
          book.hold(job.id);
        }
      }
      io_backoff.reset();
      schedule_next_runs(taken);
      return taken;
    } catch (const RedisReplyError& error) {
      // A script refused something odd (e.g. a key of the wrong type
      // written by someone else): the ends' locks lapse and the stalled
      // check deals with those jobs; what the call may have taken is
      // reclaimed before the next call.
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
      if (cancel.load() || (ends.empty() && m_stop.load())) {
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

// Once no call is out: put back in line the jobs that a call whose reply
// was lost took (none of this worker's slots knows of them). False when
// Redis refused, after a pause; the next round tries again.
bool RoundLink::reclaim()
{
  std::chrono::milliseconds pause{0};
  {
    RoundGate::Reclaim alone(gate);
    if (!alone.due()) {
      return true;
    }
    try {
      for (const auto& id :
           transitions.reclaim_orphans(*commands, book.all())) {
        JQ_LOG(warn,
               "job {} was taken by a call whose reply was lost; put it "
               "back in line",
               id);
      }
      alone.done();
      return true;
    } catch (const RedisReplyError& error) {
      pause = io_backoff.next();
      JQ_LOG(error,
             "Redis refused to put back the jobs of a lost reply: {}; trying "
             "again in {} ms",
             error.what(),
             pause.count());
    }
  }
  // Not in the gate: the other connection's calls go on meanwhile.
  redis::Backoff::sleep_unless(cancel, pause);
  return false;
}

void RoundLink::release(const std::vector<JobEnd>& ends)
{
  for (const auto& end : ends) {
    book.release(end.id);
  }
}

void RoundLink::log_refusals(const std::vector<JobEnd>& ends,
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
void RoundLink::schedule_next_runs(const std::vector<Job>& taken)
{
  for (const auto& job : taken) {
    if (!job.opts.repeatable_text) {
      continue;
    }
    try {
      const auto next = next_repetition(job, now_ms());
      if (!next
          || commands
               ->command(
                 {"ZSCORE", transitions.keys().repeat(), next->repeat_key})
               .is_nil()) {
        continue;
      }
      commands->command({"ZADD",
                         transitions.keys().repeat(),
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

} // namespace jq::queue
