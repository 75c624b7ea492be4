#include "worker.hpp"

#include <jq/core/clock.hpp>
#include <jq/core/error.hpp>
#include <jq/core/json.hpp>
#include <jq/core/log.hpp>
#include <jq/core/uuid.hpp>
#include <jq/queue/field_number.hpp>
#include <jq/queue/outcome.hpp>
#include <jq/queue/producer.hpp>
#include <jq/queue/repeat.hpp>
#include <jq/queue/scripts.hpp>
#include <jq/redis/connection.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

namespace jq::queue {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::hours;
using std::chrono::milliseconds;

// Longest pause between reconnect attempts after Redis went away.
constexpr milliseconds k_max_reconnect_delay(5'000);
// How long a job taken from wait may be seen in active without a lock
// before it counts as lost: a worker locks what it takes within a round
// trip.
constexpr milliseconds k_lock_grace(1'000);
// Longest gap between delayed-job promotions (Bull's guardInterval).
constexpr milliseconds k_guard_interval(5'000);

long long elapsed_ms(Clock::time_point since)
{
  return std::chrono::duration_cast<milliseconds>(Clock::now() - since).count();
}

// Sleep up to `duration`, waking early when `stop` turns true.
void sleep_unless(const std::atomic<bool>& stop, milliseconds duration)
{
  const auto until = Clock::now() + duration;
  while (!stop.load() && Clock::now() < until) {
    std::this_thread::sleep_for(
      std::min(milliseconds(50),
               std::chrono::duration_cast<milliseconds>(until - Clock::now())));
  }
}

// Log the end of one run of `job` (`outcome`: completed, failed,
// retrying, expired or requeued) as `message` for people, and with fields
// for machines (--log-format json): job id, queue, outcome, duration,
// attempt and the reason of a failure.
void log_job_finished(log::Level at,
                      const Keys& keys,
                      const Job& job,
                      std::string_view outcome,
                      long long duration_ms,
                      std::string_view reason,
                      const std::string& message)
{
  if (at > log::level()) {
    return;
  }
  const std::int64_t attempt = job.attempts_made + 1;
  if (reason.empty()) {
    log::write(at,
               message,
               {{"event", "job_finished"},
                {"job_id", job.id},
                {"queue", keys.queue()},
                {"outcome", outcome},
                {"duration_ms", duration_ms},
                {"attempt", attempt}});
  } else {
    log::write(at,
               message,
               {{"event", "job_finished"},
                {"job_id", job.id},
                {"queue", keys.queue()},
                {"outcome", outcome},
                {"duration_ms", duration_ms},
                {"attempt", attempt},
                {"reason", reason}});
  }
}

std::string describe_failure(const std::exception& error)
{
  if (const auto* sql = dynamic_cast<const SqlError*>(&error)) {
    return fmt::format("{}: {} (SQLite code {}, extended code {})",
                       sql->kind(),
                       sql->what(),
                       sql->code(),
                       sql->extended_code());
  }
  if (const auto* ours = dynamic_cast<const Error*>(&error)) {
    return fmt::format("{}: {}", ours->kind(), ours->what());
  }
  return fmt::format("Error: {}", error.what());
}

} // namespace

struct Worker::State
{
  redis::Url url;
  Keys keys;
  WorkerOptions options;
  HandlerFactory factory;
  // Names this worker in the `waiting@` events of delayed jobs it promotes.
  // Locks carry each slot's own token (see slot()).
  std::string worker_token = make_uuid();

  std::mutex in_hand_mutex;
  // The ids whose locks we hold, with the token of the slot holding each.
  std::map<std::string, std::string> in_hand;
  std::set<std::string> finishing; // of those, the ones being recorded
  std::atomic<long long> completed{0};
  std::atomic<long long> failed{0};
  // Set when the grace after a stop ran out: handlers stop what they do.
  std::atomic<bool> cancel{false};
  std::atomic<int> slots_running{0};
  // Adds the next runs of repeatable jobs.
  Producer producer;

  State(redis::Url u, Keys k, WorkerOptions o, HandlerFactory f)
    : url(std::move(u)),
      keys(std::move(k)),
      options(o),
      factory(std::move(f)),
      producer(keys)
  {
  }

  redis::Connection connect(bool is_fetcher) const
  {
    auto connection = redis::Connection::open(url);
    if (is_fetcher) {
      // How Bull's getWorkers() (and jq-inspect workers) find us.
      connection.command({"CLIENT", "SETNAME", keys.worker_client_name()});
    }
    return connection;
  }

  void hold(const std::string& id, const std::string& token)
  {
    const std::lock_guard lock(in_hand_mutex);
    in_hand[id] = token;
  }
  void release(const std::string& id)
  {
    const std::lock_guard lock(in_hand_mutex);
    in_hand.erase(id);
    finishing.erase(id);
  }
  // True while `id` is ours and not being finished: a failed renewal of a
  // job whose end is being recorded is no news.
  bool is_held(const std::string& id)
  {
    const std::lock_guard lock(in_hand_mutex);
    return in_hand.contains(id) && !finishing.contains(id);
  }
  void mark_finishing(const std::string& id)
  {
    const std::lock_guard lock(in_hand_mutex);
    finishing.insert(id);
  }
  std::vector<std::pair<std::string, std::string>> held()
  {
    const std::lock_guard lock(in_hand_mutex);
    return {in_hand.begin(), in_hand.end()};
  }

  std::optional<Job> job_from_reply(const redis::ReplyView& reply,
                                    const std::string& token)
  {
    if (!reply.is_array()) {
      return std::nullopt;
    }
    std::string id(reply[0].str());
    if (reply[1].size() == 0) {
      JQ_LOG(warn, "job {} is listed but has no hash; dropped it", id);
      return std::nullopt;
    }
    hold(id, token);
    return Job::from_hash(std::move(id), reply[1]);
  }

  std::optional<Job> start(redis::Connection& connection,
                           const std::string& token,
                           std::string_view id)
  {
    const redis::Reply reply = scripts::move_to_active().run(
      connection,
      {keys.wait(),
       keys.active(),
       keys.priority(),
       keys.stalled(),
       keys.drained_channel()},
      {keys.base(),
       token,
       std::to_string(options.lock_duration.count()),
       std::to_string(now_ms()),
       std::string(id)});
    return job_from_reply(reply, token);
  }

  // Block up to the block timeout for the next job.
  std::optional<Job> fetch(redis::Connection& connection,
                           const std::string& token)
  {
    const auto seconds = fmt::format(
      "{:.3f}", static_cast<double>(options.block_timeout.count()) / 1000.0);
    const redis::Reply reply =
      connection.command({"BRPOPLPUSH", keys.wait(), keys.active(), seconds});
    if (reply.is_nil()) {
      return std::nullopt;
    }
    return start(connection, token, reply.str());
  }

  void log_finish_code(const Job& job, long long code)
  {
    if (code < 0) {
      JQ_LOG(warn,
             "job {}: could not record its end (code {}: {}); another worker "
             "may have taken it back",
             job.id,
             code,
             code == -2   ? "lock expired"
             : code == -6 ? "lock held by another worker"
             : code == -3 ? "not active"
                          : "job gone");
    }
  }

  // Record the end of `job` and, when `fetch_next`, take the next one.
  std::optional<Job> finish(redis::Connection& connection,
                            const std::string& token,
                            const Job& job,
                            bool is_completed,
                            const std::string& value,
                            const std::vector<std::string>& extra,
                            bool fetch_next,
                            const std::string& stack = {})
  {
    const KeepPolicy keep =
      is_completed ? job.keep_completed() : job.keep_failed();
    const std::int64_t finished_on = now_ms();
    // Bull reads jobId and val; the rest is the whole outcome, so a
    // jq-submit waiting for this job needs no second look at the job.
    nlohmann::json event = {{"jobId", job.id},
                            {"val", value},
                            {"attempts", job.attempts_made + 1},
                            {"processedOn", job.processed_on},
                            {"finishedOn", finished_on}};
    if (!is_completed) {
      event["stack"] = stack;
    }
    std::vector<std::string> args = {
      job.id,
      std::to_string(finished_on),
      is_completed ? "returnvalue" : "failedReason",
      value,
      token,
      std::to_string(keep.count),
      std::to_string(keep.age_seconds),
      dump_json(event),
      fetch_next ? "1" : "0",
      keys.base(),
      std::to_string(options.lock_duration.count())};
    args.insert(args.end(), extra.begin(), extra.end());
    const redis::Reply reply = scripts::move_to_finished().run(
      connection,
      {keys.active(),
       is_completed ? keys.completed() : keys.failed(),
       keys.job(job.id),
       keys.stalled(),
       keys.wait(),
       keys.priority(),
       keys.trimmed()},
      args);
    release(job.id);
    if (reply.is_integer()) {
      log_finish_code(job, reply.integer());
      return std::nullopt;
    }
    return job_from_reply(reply, token);
  }

  // Put `job` back in line: after `delay` (through delayed), at the head
  // (`to_head`: it runs next) or as a new job would be.
  void retry(redis::Connection& connection,
             const std::string& token,
             const Job& job,
             milliseconds delay,
             const std::vector<std::string>& extra,
             bool to_head = false)
  {
    std::string score = "0";
    std::string due = "0";
    if (delay.count() > 0) {
      const std::int64_t due_ms = now_ms() + delay.count();
      // As Bull: the id's number, if it is one, orders jobs due together.
      const std::int64_t numeric_id = parse_field_number(job.id).value_or(0);
      score = std::to_string(due_ms * 0x1000 + (numeric_id & 0xFFF));
      due = std::to_string(due_ms);
    }
    std::vector<std::string> args = {
      job.id, token, score, due, (to_head || job.lifo()) ? "1" : "0"};
    args.insert(args.end(), extra.begin(), extra.end());
    const redis::Reply reply = scripts::retry_job().run(connection,
                                                        {keys.active(),
                                                         keys.wait(),
                                                         keys.job(job.id),
                                                         keys.meta_paused(),
                                                         keys.paused(),
                                                         keys.stalled(),
                                                         keys.priority(),
                                                         keys.delayed()},
                                                        args);
    release(job.id);
    log_finish_code(job, reply.integer());
  }

  // Fail `job` for good (no retry), e.g. when its caller has gone.
  std::optional<Job> fail_final(redis::Connection& connection,
                                const std::string& token,
                                const Job& job,
                                const std::string& reason,
                                const std::string& stack,
                                const std::atomic<bool>& stop)
  {
    nlohmann::json stacktrace = job.stacktrace;
    stacktrace.push_back(stack);
    failed.fetch_add(1);
    return finish(connection,
                  token,
                  job,
                  false,
                  reason,
                  {"attemptsMade",
                   std::to_string(job.attempts_made + 1),
                   "stacktrace",
                   dump_json(stacktrace)},
                  !stop.load(),
                  stack);
  }

  // Run `job` and record its end; returns the next job when one was taken
  // in the same round trip.
  // Record a job's end, reconnecting until Redis takes it: the result is
  // in hand and must not be lost to an outage (the lock is renewed
  // meanwhile). Gives up only when a stop's grace has run out; the lock
  // then lapses and the stalled check puts the job back.
  template<typename Write>
  auto record(std::optional<redis::Connection>& connection,
              const std::string& token,
              const Job& job,
              Write&& write)
  {
    mark_finishing(job.id);
    milliseconds delay(100);
    for (;;) {
      try {
        if (!connection) {
          connection.emplace(connect(true));
          // The call whose reply was lost may have recorded the end and
          // taken the next job.
          reclaim(*connection, token, job.id);
        }
        return write(*connection);
      } catch (const RedisIoError& error) {
        connection.reset();
        if (cancel.load()) {
          release(job.id);
          throw;
        }
        JQ_LOG(warn,
               "job {}: cannot record its end yet ({}); retrying in {} ms",
               job.id,
               error.what(),
               delay.count());
        std::this_thread::sleep_for(delay);
        delay = std::min(delay * 2, k_max_reconnect_delay);
      }
    }
  }

  // As Bull's worker does when it takes a run of a repeatable job: add the
  // next run, unless the repeatable job was removed meanwhile.
  void schedule_next_run(redis::Connection& connection, const Job& job)
  {
    try {
      const auto next = next_repetition(job, now_ms());
      if (!next
          || connection.command({"ZSCORE", keys.repeat(), next->repeat_key})
               .is_nil()) {
        return;
      }
      connection.command({"ZADD",
                          keys.repeat(),
                          std::to_string(next->next_ms),
                          next->repeat_key});
      producer.add(connection, next->job);
    } catch (const UsageError& error) {
      JQ_LOG(error,
             "job {}: cannot schedule its next repetition: {}",
             job.id,
             error.what());
    }
  }

  std::optional<Job> process(std::optional<redis::Connection>& connection,
                             const std::string& token,
                             Handler& handler,
                             const Job& job,
                             const std::atomic<bool>& stop)
  {
    if (connection && job.opts.contains("repeat")) {
      schedule_next_run(*connection, job);
    }
    const auto started = Clock::now();
    const std::int64_t started_ms = now_ms();
    const auto deadline_ms = job.deadline_ms();
    if (deadline_ms && started_ms >= *deadline_ms) {
      const std::string reason =
        fmt::format("{}its caller stopped waiting {} ms before it could start",
                    k_expired_prefix,
                    started_ms - *deadline_ms);
      log_job_finished(log::Level::info,
                       keys,
                       job,
                       "expired",
                       0,
                       reason,
                       fmt::format("job {} not started: {}", job.id, reason));
      return record(connection, token, job, [&](redis::Connection& c) {
        return fail_final(
          c, token, job, reason, "ExpiredError: " + reason, stop);
      });
    }
    // The run is capped by the job's own timeout and by its caller's
    // deadline, whichever comes first.
    // Both are capped at a century: the steady clock counts nanoseconds
    // in 64 bits, so a far-off limit would overflow it.
    constexpr milliseconds k_longest_run = hours(24 * 365 * 100);
    std::optional<Clock::time_point> limit;
    bool limit_is_deadline = false;
    if (const auto timeout = job.timeout()) {
      limit = started + std::min(*timeout, k_longest_run);
    }
    if (deadline_ms) {
      const auto cap =
        started
        + std::min(milliseconds(*deadline_ms - started_ms), k_longest_run);
      if (!limit || cap < *limit) {
        limit = cap;
        limit_is_deadline = true;
      }
    }
    const JobContext context{identity_key(keys, job), [this, limit] {
                               return cancel.load(std::memory_order_relaxed)
                                      || (limit && Clock::now() >= *limit);
                             }};

    std::string result;
    std::string reason;
    std::string stack;
    bool is_completed = false;
    try {
      result = handler(job, context);
      is_completed = true;
    } catch (const std::exception& error) {
      reason = error.what();
      stack = describe_failure(error);
    }
    if (is_completed) {
      completed.fetch_add(1);
      const long long duration_ms = elapsed_ms(started);
      log_job_finished(
        log::Level::info,
        keys,
        job,
        "completed",
        duration_ms,
        {},
        fmt::format("job {} completed in {} ms", job.id, duration_ms));
      // Decided only now: a stop that came while the job ran means no
      // next job.
      return record(connection, token, job, [&](redis::Connection& c) {
        return finish(c, token, job, true, result, {}, !stop.load());
      });
    }
    if (cancel.load()) {
      // The grace ran out: back in line as it was, no attempt counted.
      log_job_finished(
        log::Level::warn,
        keys,
        job,
        "requeued",
        elapsed_ms(started),
        "interrupted by shutdown",
        fmt::format("job {} interrupted by shutdown; put back in line",
                    job.id));
      record(connection, token, job, [&](redis::Connection& c) {
        retry(c, token, job, milliseconds(0), {}, true);
        return 0;
      });
      return std::nullopt;
    }
    if (limit && Clock::now() >= *limit) {
      if (limit_is_deadline) {
        reason = fmt::format("{}its caller's deadline passed while it ran",
                             k_expired_prefix);
        log_job_finished(log::Level::info,
                         keys,
                         job,
                         "expired",
                         elapsed_ms(started),
                         reason,
                         fmt::format("job {} interrupted: {}", job.id, reason));
        return record(connection, token, job, [&](redis::Connection& c) {
          return fail_final(
            c, token, job, reason, "ExpiredError: " + reason, stop);
        });
      }
      reason = fmt::format("timed out after {} ms", job.timeout()->count());
      stack = "TimeoutError: " + reason;
    }
    const int attempts_made = job.attempts_made + 1;
    if (attempts_made < job.attempts()) {
      nlohmann::json stacktrace = job.stacktrace;
      stacktrace.push_back(stack);
      const milliseconds delay = job.backoff().delay_for(attempts_made);
      const long long duration_ms = elapsed_ms(started);
      log_job_finished(
        log::Level::info,
        keys,
        job,
        "retrying",
        duration_ms,
        reason,
        fmt::format(
          "job {} failed attempt {}/{} in {} ms: {}; retrying in {} ms",
          job.id,
          attempts_made,
          job.attempts(),
          duration_ms,
          reason,
          delay.count()));
      record(connection, token, job, [&](redis::Connection& c) {
        retry(c,
              token,
              job,
              delay,
              {"attemptsMade",
               std::to_string(attempts_made),
               "stacktrace",
               dump_json(stacktrace),
               "failedReason",
               reason});
        return 0;
      });
      return std::nullopt;
    }
    const long long duration_ms = elapsed_ms(started);
    log_job_finished(
      log::Level::info,
      keys,
      job,
      "failed",
      duration_ms,
      reason,
      fmt::format("job {} failed in {} ms: {}", job.id, duration_ms, reason));
    return record(connection, token, job, [&](redis::Connection& c) {
      return fail_final(c, token, job, reason, stack, stop);
    });
  }

  // The keys of the scripts that put a job from active back in line.
  std::vector<std::string> requeue_keys() const
  {
    return {keys.active(),
            keys.wait(),
            keys.paused(),
            keys.meta_paused(),
            keys.stalled(),
            keys.priority()};
  }

  // Put back in line the jobs in active locked with the slot's `token`
  // except `kept` (the one it is recording): a call whose reply was lost may
  // have taken them, and nobody else knows they are in hand.
  void reclaim(redis::Connection& connection,
               const std::string& token,
               const std::string& kept)
  {
    const redis::Reply reply = scripts::reclaim_orphans().run(
      connection, requeue_keys(), {keys.base(), token, kept});
    for (std::size_t i = 0; i < reply.size(); ++i) {
      JQ_LOG(warn,
             "job {} was taken by a call whose reply was lost; put it back "
             "in line",
             reply[i].str());
    }
  }

  // After a BRPOPLPUSH's reply was lost: its job sits in active with no
  // lock, and no one knows it. Jobs that other workers are just taking look
  // the same for a round trip, so those still unlocked after a grace go
  // back to the head of the line (a jq worker does not start a job that
  // left active meanwhile).
  void requeue_unlocked(redis::Connection& connection,
                        const std::atomic<bool>& stop)
  {
    const redis::Reply unlocked = scripts::unlocked_active().run(
      connection, {keys.active()}, {keys.base()});
    if (unlocked.size() == 0) {
      return;
    }
    sleep_unless(stop, k_lock_grace);
    std::vector<std::string> args = {keys.base()};
    for (std::size_t i = 0; i < unlocked.size(); ++i) {
      args.emplace_back(unlocked[i].str());
    }
    const redis::Reply requeued =
      scripts::requeue_unlocked().run(connection, requeue_keys(), args);
    for (std::size_t i = 0; i < requeued.size(); ++i) {
      JQ_LOG(warn,
             "job {} was left in active without a lock; put it back in line",
             requeued[i].str());
    }
  }

  void slot(Handler handler, const std::atomic<bool>& stop)
  {
    // The slot's own lock token: after a lost reply, the jobs locked with
    // it that the slot does not hold are exactly those the lost call took.
    const std::string token = make_uuid();
    std::optional<redis::Connection> connection;
    std::optional<Job> next;
    milliseconds reconnect_delay(100);
    // What a lost reply may have left in active for this slot to put back
    // before it takes new work: jobs locked with its token, and after a
    // lost take also the job a BRPOPLPUSH left unlocked.
    enum class Reconcile { nothing, locked, also_unlocked };
    Reconcile reconcile = Reconcile::nothing;
    while (!stop.load()) {
      try {
        if (!connection) {
          connection.emplace(connect(true));
          reconnect_delay = milliseconds(100);
        }
        if (reconcile != Reconcile::nothing) {
          reclaim(*connection, token, {});
          if (reconcile == Reconcile::also_unlocked) {
            requeue_unlocked(*connection, stop);
          }
          reconcile = Reconcile::nothing;
        }
        if (!next) {
          try {
            next = fetch(*connection, token);
          } catch (const RedisIoError&) {
            reconcile = Reconcile::also_unlocked;
            throw;
          }
          if (next && stop.load()) {
            // Taken by a BRPOPLPUSH that was already waiting when the stop
            // came: back to the head of the line, untouched.
            retry(*connection, token, *next, milliseconds(0), {}, true);
            next.reset();
            break;
          }
        }
        if (next) {
          const Job job = std::move(*next);
          next.reset();
          try {
            next = process(connection, token, handler, job, stop);
          } catch (...) {
            // Never renew the lock of a job we no longer work on.
            release(job.id);
            throw;
          }
        }
      } catch (const RedisReplyError& error) {
        // A script refused something odd (e.g. a key of the wrong type
        // written by someone else): log it and carry on; the job's lock
        // lapses and the stalled check deals with it.
        JQ_LOG(error,
               "Redis refused a command: {}; trying again in {} ms",
               error.what(),
               reconnect_delay.count());
        if (next) {
          release(next->id);
          next.reset();
        }
        sleep_unless(stop, reconnect_delay);
        reconnect_delay = std::min(reconnect_delay * 2, k_max_reconnect_delay);
      } catch (const RedisError& error) {
        // The job in hand (if any) goes back in line at the reconnect.
        if (next) {
          release(next->id);
          next.reset();
        }
        connection.reset();
        if (reconcile == Reconcile::nothing) {
          reconcile = Reconcile::locked;
        }
        JQ_LOG(warn,
               "Redis error: {}; reconnecting in {} ms",
               error.what(),
               reconnect_delay.count());
        sleep_unless(stop, reconnect_delay);
        reconnect_delay = std::min(reconnect_delay * 2, k_max_reconnect_delay);
      } catch (const std::exception& error) {
        // A bug or a job no rule foresaw must not take the worker down.
        JQ_LOG(error, "unexpected error: {}", error.what());
        if (next) {
          release(next->id);
          next.reset();
        }
      }
    }
    // A job taken in the same round trip as the last finish is still ours:
    // run it rather than leave it locked in active.
    const std::atomic<bool> stopped{true};
    while (next && connection) {
      try {
        const Job job = std::move(*next);
        next.reset();
        next = process(connection, token, handler, job, stopped);
      } catch (const RedisError& error) {
        JQ_LOG(warn, "Redis error while stopping: {}", error.what());
        break;
      }
    }
  }

  void renew_locks(redis::Connection& connection)
  {
    for (const auto& [id, token] : held()) {
      const redis::Reply reply = scripts::extend_lock().run(
        connection,
        {keys.lock(id), keys.stalled()},
        {token, std::to_string(options.lock_duration.count()), id});
      // A job that finished since the snapshot has no lock to renew.
      if (reply.integer() != 1 && is_held(id)) {
        JQ_LOG(warn, "job {}: lost its lock (it may run elsewhere too)", id);
      }
    }
  }

  // Run the stalled check if it is due; returns when it is due next.
  milliseconds check_stalled(redis::Connection& connection)
  {
    const redis::Reply reply = scripts::move_stalled_to_wait().run(
      connection,
      {keys.stalled(),
       keys.wait(),
       keys.active(),
       keys.failed(),
       keys.stalled_check(),
       keys.meta_paused(),
       keys.paused()},
      {std::to_string(options.max_stalled),
       keys.base(),
       std::to_string(now_ms()),
       std::to_string(options.stalled_interval.count())});
    for (std::size_t i = 0; i < reply[0].size(); ++i) {
      JQ_LOG(warn, "job {} stalled too often; failed it", reply[0][i].str());
    }
    for (std::size_t i = 0; i < reply[1].size(); ++i) {
      JQ_LOG(warn, "job {} stalled; put it back in line", reply[1][i].str());
    }
    // A mark without an expiry (set by hand) reads as due: one interval.
    const long long due = reply.size() > 2 && reply[2].is_integer()
                            ? reply[2].integer()
                            : options.stalled_interval.count();
    return milliseconds(std::clamp<long long>(
      due, 1, std::max<long long>(1, options.stalled_interval.count())));
  }

  // Promote due delayed jobs; returns when the next one is due (epoch ms).
  std::optional<std::int64_t> promote(redis::Connection& connection)
  {
    const redis::Reply reply = scripts::promote_delayed().run(
      connection,
      {keys.delayed(),
       keys.wait(),
       keys.priority(),
       keys.paused(),
       keys.meta_paused()},
      {keys.base(), std::to_string(now_ms()), worker_token});
    if (reply.is_integer()) {
      return reply.integer();
    }
    return std::nullopt;
  }

  void maintain(const std::atomic<bool>& slots_done)
  {
    std::optional<redis::Connection> commands;
    std::optional<redis::Connection> subscriber;
    const milliseconds renew_every = options.lock_duration / 2;
    auto next_renew = Clock::now() + renew_every;
    auto next_stalled = Clock::now();
    auto next_promote = Clock::now();
    milliseconds reconnect_delay(100);
    while (!slots_done.load()) {
      try {
        if (!commands) {
          commands.emplace(connect(false));
          subscriber.emplace(connect(false));
          // Subscribed before the first promotion: a job delayed between
          // the two would be announced to no one and wait for the guard
          // interval.
          subscriber->append({"SUBSCRIBE", keys.delayed()});
          if (!subscriber->read_reply(std::chrono::seconds(5))) {
            throw RedisTimeoutError("no answer to SUBSCRIBE");
          }
          reconnect_delay = milliseconds(100);
          next_promote = Clock::now();
        }
        auto now = Clock::now();
        if (now >= next_renew) {
          renew_locks(*commands);
          next_renew = now + renew_every;
        }
        if (options.stalled_interval.count() > 0 && now >= next_stalled) {
          next_stalled = now + check_stalled(*commands);
        }
        if (now >= next_promote) {
          next_promote = now + k_guard_interval;
          if (const auto due = promote(*commands)) {
            next_promote = std::min(
              next_promote,
              now + milliseconds(std::max<std::int64_t>(0, *due - now_ms())));
          }
        }
        now = Clock::now();
        auto until =
          std::min({next_renew, next_promote, now + milliseconds(250)});
        if (options.stalled_interval.count() > 0) {
          until = std::min(until, next_stalled);
        }
        const auto wait =
          std::max(milliseconds(1),
                   std::chrono::duration_cast<milliseconds>(until - now));
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
        commands.reset();
        subscriber.reset();
        JQ_LOG(warn,
               "Redis error in maintenance: {}; reconnecting in {} ms",
               error.what(),
               reconnect_delay.count());
        sleep_unless(slots_done, reconnect_delay);
        reconnect_delay = std::min(reconnect_delay * 2, k_max_reconnect_delay);
      }
    }
  }
};

Worker::Worker(redis::Url url,
               Keys keys,
               WorkerOptions options,
               HandlerFactory factory)
  : m_state(std::make_unique<State>(
    std::move(url), std::move(keys), options, std::move(factory)))
{
}

Worker::~Worker() = default;

void Worker::run(const std::atomic<bool>& stop)
{
  State& state = *m_state;
  // Fail fast (exit 69) when Redis is not there at start.
  {
    (void)state.connect(false);
  }
  std::vector<Handler> handlers;
  for (int i = 0; i < state.options.concurrency; ++i) {
    handlers.push_back(state.factory());
  }
  std::atomic<bool> slots_done{false};
  std::thread maintenance([&] { state.maintain(slots_done); });
  std::vector<std::thread> slots;
  state.slots_running.store(static_cast<int>(handlers.size()));
  for (auto& handler : handlers) {
    slots.emplace_back([&state, &stop, h = std::move(handler)]() mutable {
      state.slot(std::move(h), stop);
      state.slots_running.fetch_sub(1);
    });
  }
  JQ_LOG(info,
         "ready: queue {} with {} slot(s), lock {} ms",
         state.keys.base(),
         state.options.concurrency,
         state.options.lock_duration.count());
  // After a stop, jobs in hand get the grace to finish; then they are
  // interrupted and put back in line.
  std::optional<Clock::time_point> grace_ends;
  while (state.slots_running.load() > 0) {
    if (stop.load() && !grace_ends) {
      grace_ends = Clock::now() + state.options.grace;
      JQ_LOG(info, "stopping: finishing the jobs in hand");
    }
    if (grace_ends && Clock::now() >= *grace_ends && !state.cancel.load()) {
      JQ_LOG(warn, "grace ran out: interrupting the jobs in hand");
      state.cancel.store(true);
    }
    std::this_thread::sleep_for(milliseconds(20));
  }
  for (auto& thread : slots) {
    thread.join();
  }
  slots_done.store(true);
  maintenance.join();
  JQ_LOG(info,
         "stopped: {} completed, {} failed",
         state.completed.load(),
         state.failed.load());
}

long long Worker::completed_count() const noexcept
{
  return m_state->completed.load();
}

long long Worker::failed_count() const noexcept
{
  return m_state->failed.load();
}

} // namespace jq::queue
