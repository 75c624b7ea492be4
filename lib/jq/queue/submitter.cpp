#include "submitter.hpp"

#include <jq/core/clock.hpp>
#include <jq/core/error.hpp>
#include <jq/core/json.hpp>
#include <jq/core/log.hpp>
#include <jq/queue/scripts.hpp>
#include <jq/redis/backoff.hpp>
#include <jq/redis/connection.hpp>

#include <fmt/core.h>

#include <list>
#include <thread>
#include <unordered_map>

namespace jq::queue {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How often a pending job's state is re-read in case its event was lost
// (Bull's finished() watchdog uses the same period).
constexpr milliseconds k_watchdog(5'000);
// The longest one wait for events lasts, so progress stays fresh.
constexpr milliseconds k_tick(250);
constexpr milliseconds k_max_reconnect_delay(2'000);
// At most this many events are read before feeding and checking again.
constexpr int k_max_events_per_round = 1'000;

struct Pending
{
  Submission submission;
  Clock::time_point started;
  Clock::time_point deadline;
  Clock::time_point next_check;
  bool is_sent = false;      // the add went out at least once
  bool is_confirmed = false; // its reply came back (or nothing to add)
  bool is_seen = false;      // known to exist at some point
  bool existed = false;
  // Set by a reconnect: if Redis no longer knows the job, it was lost with
  // Redis (a restart without persistence, a failover) and is added again.
  bool may_be_lost = false;
  std::optional<nlohmann::json> event; // the finishing event, once seen
};

long long ms_since(Clock::time_point since)
{
  return std::chrono::duration_cast<milliseconds>(Clock::now() - since).count();
}

} // namespace

struct Submitter::State
{
  redis::Url url;
  Keys keys;
  int in_flight;
  Producer producer;
  std::optional<redis::Connection> commands;
  std::optional<redis::Connection> subscriber;
  std::unordered_map<std::string, Pending> pending;
  std::list<Submission> deferred; // same id as a pending one: waits its turn
  SubmitterStats stats;
  const std::function<void(SubmissionResult)>* on_result = nullptr;
  int replicas = 0;
  milliseconds replica_timeout{5'000};

  State(redis::Url u, Keys k, int n)
    : url(std::move(u)),
      keys(k),
      in_flight(std::max(1, n)),
      producer(std::move(k))
  {
  }

  void connect()
  {
    commands.emplace(redis::Connection::open(url));
    subscriber.emplace(redis::Connection::open(url));
    subscriber->append({"SUBSCRIBE", keys.completed(), keys.failed()});
    // Both confirmations before any add: from then on no event is missed.
    for (int i = 0; i < 2; ++i) {
      redis::checked(subscriber->get_reply());
    }
  }

  void report(const std::string& id,
              Waited::Kind kind,
              std::optional<Outcome> outcome)
  {
    const auto found = pending.find(id);
    if (found == pending.end()) {
      return;
    }
    if (kind == Waited::Kind::finished && outcome
        && outcome->status == Outcome::Status::failed
        && found->second.submission.job
        && outcome->failed_reason.starts_with(k_expired_prefix)) {
      // Failed because the deadline we set passed: whichever of the event
      // and our own timer comes first, the caller timed out.
      kind = Waited::Kind::timed_out;
      outcome.reset();
    }
    SubmissionResult result;
    result.tag = found->second.submission.tag;
    result.id = id;
    result.kind = kind;
    result.existed = found->second.existed;
    result.elapsed_ms = ms_since(found->second.started);
    if (kind == Waited::Kind::finished && outcome
        && outcome->status == Outcome::Status::completed) {
      ++stats.completed;
    } else {
      ++stats.failed;
    }
    result.outcome = std::move(outcome);
    pending.erase(found);
    stats.in_flight = static_cast<long long>(pending.size());
    (*on_result)(std::move(result));
  }

  // Read the state of `ids` in one round trip and report those that ended.
  void check(const std::vector<std::string>& ids)
  {
    if (ids.empty()) {
      return;
    }
    std::vector<redis::Script::Call> calls;
    calls.reserve(ids.size());
    for (const auto& id : ids) {
      calls.push_back(outcome_call(keys, id));
    }
    auto replies = scripts::job_outcome().run_many(*commands, calls);
    const auto now = Clock::now();
    std::vector<std::string> lost;
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const redis::Reply reply = redis::checked(std::move(replies[i]));
      auto found = pending.find(ids[i]);
      if (found == pending.end()) {
        continue;
      }
      Pending& job = found->second;
      Presence presence = Presence::known;
      if (auto outcome = parse_outcome(ids[i], reply, presence)) {
        report(ids[i], Waited::Kind::finished, std::move(outcome));
      } else if (job.event) {
        // Removed as it finished (removeOnComplete): the event is all
        // there is.
        const bool is_completed =
          job.event->value("channel", std::string()) == keys.completed();
        report(ids[i],
               Waited::Kind::finished,
               outcome_from_event(ids[i], is_completed, *job.event));
      } else if (presence == Presence::missing && job.may_be_lost
                 && job.submission.job) {
        JQ_LOG(warn, "job {} was lost with Redis; adding it again", ids[i]);
        job.may_be_lost = false;
        job.is_confirmed = false;
        lost.push_back(ids[i]);
      } else if (presence != Presence::known) {
        report(ids[i],
               (presence == Presence::gone || job.is_seen)
                 ? Waited::Kind::gone
                 : Waited::Kind::missing,
               std::nullopt);
      } else {
        job.is_seen = true;
        job.next_check = now + k_watchdog;
      }
    }
    send(lost);
  }

  // Block until `replicas` replicas have the adds just made (Redis WAIT), so
  // a failover cannot lose them. Too few acknowledgements fail the jobs.
  void wait_for_replicas(const std::vector<std::string>& ids)
  {
    const redis::Reply reply =
      commands->command({"WAIT",
                         std::to_string(replicas),
                         std::to_string(replica_timeout.count())});
    const long long acknowledged = reply.integer();
    if (acknowledged < replicas) {
      throw RedisIoError(fmt::format("only {} of {} replica(s) acknowledged "
                                     "the add of {} job(s) within {} ms",
                                     acknowledged,
                                     replicas,
                                     ids.size(),
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
    for (const auto& id : ids) {
      Pending& job = pending.at(id);
      if (job.submission.job && !job.is_confirmed) {
        if (!job.submission.job->timestamp) {
          job.submission.job->timestamp = now_ms();
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
      const auto added = producer.add_many(*commands, jobs);
      if (replicas > 0) {
        wait_for_replicas(added_ids);
      }
      const auto now = Clock::now();
      for (std::size_t i = 0; i < added.size(); ++i) {
        Pending& job = pending.at(added_ids[i]);
        job.is_confirmed = true;
        job.is_seen = true;
        job.next_check = now + k_watchdog;
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

  // Take new submissions while there is room; returns whether any came.
  // A submission whose id is already pending waits in `deferred` until the
  // first ends, then attaches to the same job.
  bool feed(const std::function<std::optional<Submission>()>& next,
            const std::function<bool()>& may_take,
            bool& is_input_done)
  {
    std::vector<std::string> ids;
    const auto has_room = [&] {
      return pending.size() < static_cast<std::size_t>(in_flight)
             && (!may_take || may_take());
    };
    // Held-back duplicates whose twin has ended go first.
    for (auto it = deferred.begin(); it != deferred.end() && has_room();) {
      if (pending.contains(it->id)) {
        ++it;
        continue;
      }
      ids.push_back(it->id);
      add_pending(std::move(*it));
      it = deferred.erase(it);
    }
    while (!is_input_done && has_room()
           && deferred.size() < static_cast<std::size_t>(in_flight)) {
      auto submission = next();
      if (!submission) {
        is_input_done = true;
        break;
      }
      if (pending.contains(submission->id)) {
        deferred.push_back(std::move(*submission));
        continue;
      }
      ids.push_back(submission->id);
      add_pending(std::move(*submission));
    }
    stats.in_flight = static_cast<long long>(pending.size());
    send(ids);
    return !ids.empty();
  }

  void add_pending(Submission submission)
  {
    const auto now = Clock::now();
    Pending job;
    job.started = now;
    job.deadline = now + submission.timeout;
    job.next_check = now + k_watchdog;
    job.is_confirmed = !submission.job;
    std::string id = submission.id;
    job.submission = std::move(submission);
    pending.emplace(std::move(id), std::move(job));
    ++stats.submitted;
    stats.in_flight = static_cast<long long>(pending.size());
  }

  // Read the events that arrive within `wait`, then fetch the outcomes of
  // ours.
  void read_events(milliseconds wait)
  {
    std::vector<std::string> ended;
    for (int i = 0; i < k_max_events_per_round; ++i) {
      auto message = subscriber->read_reply(i == 0 ? wait : milliseconds(0));
      if (!message) {
        break;
      }
      // ["message", channel, payload]
      if (!message->is_array() || message->size() != 3
          || message->at(0).str() != "message") {
        continue;
      }
      auto event = jq::parse_untrusted_json(message->at(2).str());
      if (!event.is_object() || !event.contains("jobId")) {
        continue;
      }
      const auto& job_id = event["jobId"];
      const std::string id =
        job_id.is_string() ? job_id.get<std::string>() : jq::dump_json(job_id);
      const auto found = pending.find(id);
      if (found == pending.end()) {
        continue;
      }
      const bool is_completed = message->at(1).str() == keys.completed();
      if (is_whole_event(event)) {
        // jq-worker's event is the whole outcome: no look at the job.
        report(id,
               Waited::Kind::finished,
               outcome_from_event(id, is_completed, event));
        continue;
      }
      event["channel"] = std::string(message->at(1).str());
      found->second.event = std::move(event);
      ended.push_back(id);
    }
    check(ended);
  }

  // Report the jobs past their deadline; re-check those due a watchdog
  // look. Returns when the next of either is due.
  Clock::time_point sweep()
  {
    const auto now = Clock::now();
    std::vector<std::string> expired;
    std::vector<std::string> to_check;
    auto next_due = now + k_tick;
    for (const auto& [id, job] : pending) {
      if (now >= job.deadline) {
        expired.push_back(id);
      } else if (now >= job.next_check) {
        to_check.push_back(id);
      } else {
        next_due = std::min({next_due, job.deadline, job.next_check});
      }
    }
    for (const auto& id : expired) {
      report(id, Waited::Kind::timed_out, std::nullopt);
    }
    check(to_check);
    return next_due;
  }

  // After a lost connection: reconnect with backoff until Redis is back or
  // every pending job's deadline has passed, then re-send and re-check.
  void recover(const RedisIoError& error)
  {
    commands.reset();
    subscriber.reset();
    auto give_up = Clock::now() + milliseconds(1'000);
    for (const auto& [id, job] : pending) {
      give_up = std::max(give_up, job.deadline);
    }
    JQ_LOG(warn, "lost Redis ({}); reconnecting", error.what());
    redis::Backoff backoff(milliseconds(100), k_max_reconnect_delay);
    for (;;) {
      std::this_thread::sleep_for(backoff.next());
      try {
        connect();
        JQ_LOG(
          warn, "reconnected to Redis; re-checking {} job(s)", pending.size());
        std::vector<std::string> ids;
        ids.reserve(pending.size());
        for (auto& [id, job] : pending) {
          job.may_be_lost = true;
          ids.push_back(id);
        }
        // Re-adds what was never confirmed (the ids make that safe) and
        // re-reads the rest: events sent while we were away are lost.
        send(ids);
        return;
      } catch (const RedisIoError&) {
        commands.reset();
        subscriber.reset();
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
  return m_state->stats;
}

void Submitter::run(const std::function<std::optional<Submission>()>& next,
                    const std::function<void(SubmissionResult)>& on_result,
                    const std::function<bool()>& may_take,
                    const std::function<void(const SubmitterStats&)>& on_tick)
{
  State& state = *m_state;
  state.on_result = &on_result;
  if (!state.commands) {
    state.connect();
  }
  bool is_input_done = false;
  auto last_tick = Clock::now();
  while (!is_input_done || !state.pending.empty() || !state.deferred.empty()) {
    try {
      const bool took = state.feed(next, may_take, is_input_done);
      const auto next_due = state.sweep();
      // Poll only while there is more to feed; otherwise sleep on events
      // until something is due.
      const bool has_room =
        !is_input_done
        && state.pending.size() < static_cast<std::size_t>(state.in_flight)
        && (!may_take || may_take());
      const auto wait = (took && has_room)
                          ? milliseconds(0)
                          : std::clamp(std::chrono::duration_cast<milliseconds>(
                                         next_due - Clock::now()),
                                       milliseconds(1),
                                       k_tick);
      // Nothing pending means nothing to hear about: feed again at once
      // (or find the input is done).
      if (!state.pending.empty()) {
        state.read_events(wait);
      }
    } catch (const RedisIoError& error) {
      state.recover(error);
    }
    if (on_tick && Clock::now() - last_tick >= k_tick) {
      last_tick = Clock::now();
      on_tick(state.stats);
    }
  }
  if (on_tick) {
    on_tick(state.stats);
  }
}

} // namespace jq::queue
