#pragma once

#include <jq/core/run_result.hpp>
#include <jq/queue/job.hpp>
#include <jq/queue/keys.hpp>
#include <jq/redis/url.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace jq::metrics {
class WorkerMetrics;
}

namespace jq::queue {

struct WorkerOptions
{
  int concurrency = 1;
  // Bull's lockDuration: a job whose lock is not renewed for this long may
  // be taken back by any worker's stalled check.
  std::chrono::milliseconds lock_duration{30'000};
  std::chrono::milliseconds stalled_interval{30'000};
  int max_stalled = 1;
  // On stop: how long jobs in hand may take to finish before they are
  // put back in line.
  std::chrono::milliseconds grace{10'000};
  // How long one BRPOPLPUSH waits; bounds how quickly a stop is noticed.
  std::chrono::milliseconds block_timeout{1'000};
  // Counters for --metrics-listen, or none; not owned, outlives the worker.
  metrics::WorkerMetrics* metrics = nullptr;
};

// What a handler gets besides the job.
struct JobContext
{
  // The job's identity_key(): a handler that writes can record it to apply
  // a job delivered twice only once.
  std::string idempotency_key;
  // Polled by the handler while it works: true means stop now (the job's
  // time limit passed, or the worker's grace ran out).
  std::function<bool()> should_interrupt;
};

// One job a worker thread runs, and what became of it.
struct JobRun
{
  const Job* job = nullptr;
  const JobContext* context = nullptr;
  // Set by the handler: the reply as JSON text, or the error that fails
  // the attempt (its what() becomes failedReason); `done` unset: when the
  // handler returned.
  RunResult result;
};

// More jobs a handler may run together with the one it was given: those
// the worker took ahead of its threads, offered while jobs run quickly and
// keep the CPUs busy (an SQL handler commits a run of writes to one
// database together, without a thread switch per job).
class MoreJobs
{
public:
  virtual ~MoreJobs() = default;
  // The next job held ahead, now the handler's to run; nullptr when there
  // is none to offer.
  virtual JobRun* take() = 0;
  // Return the job take() just gave, unrun: it goes back to the head of
  // the held jobs.
  virtual void give_back(JobRun* run) = 0;
};

// Runs `first`, and the jobs it takes from `more`, each as an attempt of
// its own: sets each one's reply or error. Called from one worker thread.
using Handler = std::function<void(JobRun& first, MoreJobs& more)>;
// Makes one handler per worker thread (called on the thread that calls
// Worker::run, before any job is taken).
using HandlerFactory = std::function<Handler()>;

// Takes jobs off a Bull queue and runs them with `concurrency` threads, each
// with its own Redis connection, plus one thread that renews locks, runs the
// stalled check and promotes delayed jobs. Thread-safe to stop from a signal
// handler through the `stop` flag given to run().
class Worker
{
public:
  Worker(redis::Url url,
         Keys keys,
         WorkerOptions options,
         HandlerFactory factory);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Work until `stop` turns true, then finish the jobs in hand and return.
  // Throws RedisIoError if Redis cannot be reached at start; later outages
  // are waited out with reconnects.
  void run(const std::atomic<bool>& stop);

  // Jobs completed and failed so far (for logs and tests).
  long long completed_count() const noexcept;
  long long failed_count() const noexcept;

private:
  struct State;
  std::unique_ptr<State> m_state;
};

} // namespace jq::queue
