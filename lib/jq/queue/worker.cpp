#include "worker.hpp"

#include <jq/core/clock.hpp>
#include <jq/core/error.hpp>
#include <jq/core/inner_wait.hpp>
#include <jq/core/log.hpp>
#include <jq/core/uuid.hpp>
#include <jq/metrics/worker_metrics.hpp>
#include <jq/queue/attempt_policy.hpp>
#include <jq/queue/job_exchange.hpp>
#include <jq/queue/lock_book.hpp>
#include <jq/queue/maintenance.hpp>
#include <jq/queue/slot_pacing.hpp>
#include <jq/queue/transitions.hpp>
#include <jq/queue/value_limit.hpp>
#include <jq/redis/connection.hpp>

#include <fmt/core.h>

#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace jq::queue {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// One run of a slot in this many has its CPU time measured for SlotPacing.
constexpr long k_cpu_sample = 8;

// The most jobs a slot runs in one call of its handler (MoreJobs).
constexpr std::size_t k_max_batch = 16;

std::string describe_failure(const std::exception& error)
{
  if (const auto* sql = dynamic_cast<const SqlError*>(&error);
      sql != nullptr && !sql->sqlstate().empty()) {
    return fmt::format(
      "{}: {} (SQLSTATE {})", sql->kind(), sql->what(), sql->sqlstate());
  }
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

// Log the end of one run of `job` for people (`decision.message`) and with
// fields for machines (--log-format json).
void log_decision(const Keys& keys, const Job& job, const Decision& decision)
{
  if (decision.level > log::level()) {
    return;
  }
  const std::int64_t attempt = job.attempts_made + 1;
  const log::Field fields[] = {{"event", "job_finished"},
                               {"job_id", job.id},
                               {"queue", keys.queue()},
                               {"outcome", log_word(decision.outcome)},
                               {"duration_ms", decision.duration_ms},
                               {"attempt", attempt},
                               {"reason", decision.reason}};
  // The reason only when there is one.
  const std::size_t count = decision.reason.empty() ? 6 : 7;
  log::write(decision.level,
             decision.message,
             std::span<const log::Field>(fields, count));
}

} // namespace

struct Worker::State
{
  redis::Url url;
  WorkerOptions options;
  HandlerFactory factory;
  Transitions transitions;
  LockBook book;
  // The worker's counters: those the caller gave (--metrics-listen serves
  // them) or its own; the counts in the stop line come from them too.
  metrics::WorkerMetrics own_metrics;
  metrics::WorkerMetrics& metrics;
  // Set when the grace after a stop ran out: handlers stop what they do.
  std::atomic<bool> cancel{false};
  std::atomic<int> slots_running{0};
  std::optional<JobExchange> exchange;
  // The longest value Redis takes, read once at start (read_value_limit).
  std::size_t value_limit = k_default_value_limit;

  State(redis::Url u, Keys keys, WorkerOptions o, HandlerFactory f)
    : url(std::move(u)),
      options(o),
      factory(std::move(f)),
      transitions(std::move(keys), make_uuid(), o.lock_duration),
      metrics(o.metrics != nullptr ? *o.metrics : own_metrics)
  {
  }

  const Keys& keys() const
  {
    return transitions.keys();
  }

  long long completed() const noexcept
  {
    return static_cast<long long>(metrics.jobs(metrics::JobOutcome::completed));
  }

  // Failed for good, whether after a run or expired before one.
  long long failed() const noexcept
  {
    return static_cast<long long>(metrics.jobs(metrics::JobOutcome::failed)
                                  + metrics.jobs(metrics::JobOutcome::expired));
  }

  // The jobs one slot runs in one call of its handler: the first, and
  // those the handler takes from the held ones (MoreJobs). Each gets its
  // run limit and context as it is taken; one that expired before it could
  // start ends at once.
  class Batch final : public MoreJobs
  {
  public:
    Batch(State& state, Clock::time_point started)
      : m_state(state),
        m_started(started),
        m_started_ms(now_ms()),
        // The wall clock at `started` (the round's start, before the take's
        // round trip): a run limit counted from `started` with it ends at
        // the caller's deadline, not one round trip before it.
        m_round_started_ms(
          m_started_ms
          - std::chrono::duration_cast<milliseconds>(Clock::now() - started)
              .count())
    {
    }

    // Add `job`; nullptr when it expired (its end is then kept for
    // finish()).
    JobRun* add(Job job)
    {
      if (auto expired = expire_before_start(job, m_started_ms)) {
        m_state.metrics.count_end(expired->outcome, std::nullopt);
        log_decision(m_state.keys(), job, *expired);
        m_ends.push_back(std::move(expired->end));
        return nullptr;
      }
      m_state.metrics.job_started();
      auto& entry = *m_entries.emplace_back(std::make_unique<Entry>());
      entry.job = std::move(job);
      entry.limit = run_limit(entry.job, m_started, m_round_started_ms);
      entry.context.idempotency_key = identity_key(m_state.keys(), entry.job);
      entry.context.should_interrupt = [this, &limit = entry.limit] {
        return m_state.cancel.load(std::memory_order_relaxed)
               || (limit.at && Clock::now() >= *limit.at);
      };
      entry.run.job = &entry.job;
      entry.run.context = &entry.context;
      return &entry.run;
    }

    JobRun* take() override
    {
      while (m_entries.size() < k_max_batch) {
        auto job = m_state.exchange->take_held();
        if (!job) {
          return nullptr;
        }
        if (JobRun* run = add(std::move(*job))) {
          return run;
        }
      }
      return nullptr;
    }

    void give_back(JobRun* run) override
    {
      // Only the one take() just gave; never the first.
      if (m_entries.size() < 2 || run != &m_entries.back()->run) {
        return;
      }
      m_state.metrics.job_done();
      m_state.exchange->give_back(std::move(m_entries.back()->job));
      m_entries.pop_back();
    }

    JobRun& first() noexcept
    {
      return m_entries.front()->run;
    }

    // Fail every job with neither a reply nor an error with the exception
    // being handled. Call from a catch block.
    void fail_unanswered() noexcept
    {
      for (const auto& entry : m_entries) {
        RunResult& result = entry->run.result;
        if (!result.error && result.reply.empty()) {
          result.fail_now();
        }
      }
    }

    // Decide what to record for each job run; `returned`: when the handler
    // returned. Returns every end, the expired ones' too.
    std::vector<JobEnd> finish(Clock::time_point returned)
    {
      for (const auto& entry : m_entries) {
        RunResult& run = entry->run.result;
        const RunLimit& limit = entry->limit;
        const auto done = run.done == Clock::time_point{} ? returned : run.done;
        AttemptResult result;
        if (!run.error) {
          result.value = std::move(run.reply);
          result.is_completed = true;
        } else {
          try {
            std::rethrow_exception(run.error);
          } catch (const std::exception& error) {
            result.reason = error.what();
            result.stack = describe_failure(error);
            result.is_cancelled = m_state.cancel.load();
            result.is_past_limit = limit.at && done >= *limit.at;
            result.limit_is_deadline = limit.is_deadline;
          }
        }
        // One clock read for the log's duration and the metrics' histogram.
        const auto ran = done - m_started;
        result.duration_ms =
          std::chrono::duration_cast<milliseconds>(ran).count();
        Decision decision =
          decide(entry->job, result, now_ms(), m_state.value_limit);
        m_state.metrics.count_end(decision.outcome, ran);
        m_state.metrics.job_done();
        log_decision(m_state.keys(), entry->job, decision);
        m_ends.push_back(std::move(decision.end));
      }
      return std::move(m_ends);
    }

  private:
    State& m_state;
    Clock::time_point m_started;
    std::int64_t m_started_ms;
    std::int64_t m_round_started_ms;
    // One job of the batch. Held by pointer: its context's interrupt test
    // holds its limit's address, and its run its job's and context's.
    struct Entry
    {
      Job job;
      RunLimit limit;
      JobContext context;
      JobRun run;
    };
    std::vector<std::unique_ptr<Entry>> m_entries;
    std::vector<JobEnd> m_ends;
  };

  void slot(Handler handler)
  {
    std::optional<Job> job;
    for (long count = 0;; ++count) {
      if (!job) {
        job = exchange->obtain();
      }
      if (!job) {
        return;
      }
      // Reading a thread's CPU time is a system call (the vDSO does not
      // serve it): two per job were 10% of the worker's time at -c 16.
      // Pacing needs an average, so one run in k_cpu_sample is measured.
      const bool measured = count % k_cpu_sample == 0;
      const auto started = Clock::now();
      const auto cpu_before =
        measured ? thread_cpu_time() : std::chrono::nanoseconds(0);
      Batch batch(*this, started);
      if (batch.add(std::move(*job)) != nullptr) {
        try {
          handler(batch.first(), batch);
        } catch (const std::exception&) {
          // Not the handler's way (it sets each job's error), but then
          // every job it left unanswered fails with it, and the slot
          // carries on.
          batch.fail_unanswered();
        }
      }
      job.reset();
      std::vector<JobEnd> ends = batch.finish(Clock::now());
      const auto ran = Clock::now() - started;
      // Waiting for another slot's commit is not waiting for the world.
      const auto waited = take_inner_wait();
      std::optional<PaceSample> pace;
      if (measured) {
        pace = PaceSample{ran - waited, thread_cpu_time() - cpu_before};
      }
      job = exchange->deliver(std::move(ends), ran, pace);
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
  state.exchange.emplace(state.url,
                         state.transitions,
                         state.book,
                         state.options.block_timeout,
                         state.options.concurrency,
                         stop,
                         state.cancel);
  state.exchange->count_in(&state.metrics);
  // Fail fast (exit 69) when Redis is not there at start.
  state.value_limit = state.exchange->open();
  std::vector<Handler> handlers;
  for (int i = 0; i < state.options.concurrency; ++i) {
    handlers.push_back(state.factory());
  }
  std::atomic<bool> slots_done{false};
  // Renewals, the stalled check and promotions, on connections of their
  // own.
  Maintenance maintenance(state.url,
                          state.transitions,
                          state.book,
                          {state.options.lock_duration,
                           state.options.stalled_interval,
                           state.options.max_stalled,
                           &state.metrics,
                           [&state] { state.exchange->tend(); }});
  std::thread maintainer([&] { maintenance.run(slots_done); });
  std::vector<std::thread> slots;
  state.slots_running.store(static_cast<int>(handlers.size()));
  for (auto& handler : handlers) {
    slots.emplace_back([&state, h = std::move(handler)]() mutable {
      try {
        state.slot(std::move(h));
      } catch (const std::exception& error) {
        JQ_LOG(error, "a worker slot stopped: {}", error.what());
      }
      state.slots_running.fetch_sub(1);
    });
  }
  JQ_LOG(info,
         "ready: queue {} with {} slot(s), lock {} ms",
         state.keys().base(),
         state.options.concurrency,
         state.options.lock_duration.count());
  // After a stop, jobs in hand get the grace to finish; then they are
  // interrupted and put back in line.
  std::optional<Clock::time_point> grace_ends;
  while (state.slots_running.load() > 0) {
    if (stop.load() && !grace_ends) {
      grace_ends = Clock::now() + state.options.grace;
      JQ_LOG(info, "stopping: finishing the jobs in hand");
      state.exchange->wake();
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
  maintainer.join();
  JQ_LOG(info,
         "stopped: {} completed, {} failed",
         state.completed(),
         state.failed());
}

long long Worker::completed_count() const noexcept
{
  return m_state->completed();
}

long long Worker::failed_count() const noexcept
{
  return m_state->failed();
}

} // namespace jq::queue
