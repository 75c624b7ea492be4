#pragma once

#include <jq/metrics/exposition.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jq::metrics {

// How one run of a job ended, as a worker counts it.
enum class JobOutcome { completed, failed, retried, expired, requeued };

inline constexpr std::array<JobOutcome, 5> k_job_outcomes = {
  JobOutcome::completed,
  JobOutcome::failed,
  JobOutcome::retried,
  JobOutcome::expired,
  JobOutcome::requeued};

// The metric's label: `completed`, `failed`, `retried`, `expired`,
// `requeued`.
std::string_view to_string(JobOutcome outcome) noexcept;

// Observations of durations in fixed buckets, 1 ms to 60 s. observe() is
// lock-free and thread-safe; a snapshot taken meanwhile may see an
// observation in the buckets and not yet in the sum.
class DurationHistogram
{
public:
  // Upper bounds in seconds (the `le` labels); +Inf is implied.
  static constexpr std::array<double, 15> k_bounds = {0.001,
                                                      0.0025,
                                                      0.005,
                                                      0.01,
                                                      0.025,
                                                      0.05,
                                                      0.1,
                                                      0.25,
                                                      0.5,
                                                      1,
                                                      2.5,
                                                      5,
                                                      10,
                                                      30,
                                                      60};

  void observe(std::chrono::nanoseconds duration) noexcept;

  struct Snapshot
  {
    // Observations at most k_bounds[i] seconds (cumulative).
    std::array<std::uint64_t, k_bounds.size()> cumulative{};
    std::uint64_t count = 0; // all of them (the +Inf bucket)
    double sum_seconds = 0;
  };
  Snapshot snapshot() const noexcept;

private:
  // Per bucket, not cumulative; the last one is (60 s, +Inf).
  std::array<std::atomic<std::uint64_t>, k_bounds.size() + 1> m_buckets{};
  std::atomic<std::uint64_t> m_sum_ns{0};
};

// The counters of one jq-worker, served by --metrics-listen. Written by the
// worker's threads and read by the responder's: every member is atomic, so
// all of it is thread-safe. Lives as long as the worker.
class WorkerMetrics
{
public:
  // Records now as the process start time.
  WorkerMetrics();

  // A run ended with `outcome` (the attempt policy's decision). `ran`: how
  // long the handler ran, or std::nullopt when it did not run (expired
  // before it could start).
  void count_end(JobOutcome outcome,
                 std::optional<std::chrono::nanoseconds> ran) noexcept;

  // A Redis connection broke and is to be opened again.
  void count_reconnect() noexcept;

  // A slot started a job / is done with it (the jobs in hand gauge).
  void job_started() noexcept;
  void job_done() noexcept;

  std::uint64_t jobs(JobOutcome outcome) const noexcept;
  std::uint64_t reconnects() const noexcept;
  std::int64_t in_hand() const noexcept;
  DurationHistogram::Snapshot durations() const noexcept;

  // Write every family to `out`, each sample labelled queue=`queue`.
  void write(Exposition& out, std::string_view queue) const;

private:
  std::array<std::atomic<std::uint64_t>, k_job_outcomes.size()> m_jobs{};
  DurationHistogram m_durations;
  std::atomic<std::uint64_t> m_reconnects{0};
  std::atomic<std::int64_t> m_in_hand{0};
  double m_start_seconds = 0; // since the epoch; set once, then only read
};

} // namespace jq::metrics
