#include "worker_metrics.hpp"

#include <algorithm>

namespace jq::metrics {

namespace {

std::size_t index(JobOutcome outcome) noexcept
{
  return static_cast<std::size_t>(outcome);
}

} // namespace

std::string_view to_string(JobOutcome outcome) noexcept
{
  switch (outcome) {
  case JobOutcome::completed:
    return "completed";
  case JobOutcome::failed:
    return "failed";
  case JobOutcome::retried:
    return "retried";
  case JobOutcome::expired:
    return "expired";
  case JobOutcome::requeued:
    break;
  }
  return "requeued";
}

void DurationHistogram::observe(std::chrono::nanoseconds duration) noexcept
{
  const auto ns = std::max<std::int64_t>(0, duration.count());
  const double seconds = static_cast<double>(ns) / 1e9;
  const auto bound =
    std::lower_bound(k_bounds.begin(), k_bounds.end(), seconds);
  const auto bucket = static_cast<std::size_t>(bound - k_bounds.begin());
  m_buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  m_sum_ns.fetch_add(static_cast<std::uint64_t>(ns), std::memory_order_relaxed);
}

DurationHistogram::Snapshot DurationHistogram::snapshot() const noexcept
{
  Snapshot snapshot;
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < k_bounds.size(); ++i) {
    total += m_buckets[i].load(std::memory_order_relaxed);
    snapshot.cumulative[i] = total;
  }
  // The count is the buckets' total, so that +Inf and _count always agree
  // with the buckets whatever was observed meanwhile.
  snapshot.count =
    total + m_buckets[k_bounds.size()].load(std::memory_order_relaxed);
  snapshot.sum_seconds =
    static_cast<double>(m_sum_ns.load(std::memory_order_relaxed)) / 1e9;
  return snapshot;
}

WorkerMetrics::WorkerMetrics()
  : m_start_seconds(std::chrono::duration<double>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count())
{
}

void WorkerMetrics::count_end(
  JobOutcome outcome, std::optional<std::chrono::nanoseconds> ran) noexcept
{
  m_jobs[index(outcome)].fetch_add(1, std::memory_order_relaxed);
  if (ran) {
    m_durations.observe(*ran);
  }
}

void WorkerMetrics::count_reconnect() noexcept
{
  m_reconnects.fetch_add(1, std::memory_order_relaxed);
}

void WorkerMetrics::job_started() noexcept
{
  m_in_hand.fetch_add(1, std::memory_order_relaxed);
}

void WorkerMetrics::job_done() noexcept
{
  m_in_hand.fetch_sub(1, std::memory_order_relaxed);
}

std::uint64_t WorkerMetrics::jobs(JobOutcome outcome) const noexcept
{
  return m_jobs[index(outcome)].load(std::memory_order_relaxed);
}

std::uint64_t WorkerMetrics::reconnects() const noexcept
{
  return m_reconnects.load(std::memory_order_relaxed);
}

std::int64_t WorkerMetrics::in_hand() const noexcept
{
  return m_in_hand.load(std::memory_order_relaxed);
}

DurationHistogram::Snapshot WorkerMetrics::durations() const noexcept
{
  return m_durations.snapshot();
}

void WorkerMetrics::write(Exposition& out, std::string_view queue) const
{
  const Label by_queue[] = {{"queue", queue}};
  out.family(
    "jq_worker_jobs_total",
    MetricType::counter,
    "Runs of jobs this worker ended since it started, by outcome: completed; "
    "failed (for good, no attempt left); retried (the attempt failed and "
    "another is scheduled); expired (failed for good: the caller's deadline "
    "passed, before or during the run); requeued (interrupted by a "
    "shutdown, put back without counting an attempt). Counted as decided, "
    "including an end Redis then refused because the job was taken back");
  for (const auto outcome : k_job_outcomes) {
    out.sample("jq_worker_jobs_total",
               {{"queue", queue}, {"outcome", to_string(outcome)}},
               jobs(outcome));
  }

  out.family("jq_worker_job_duration_seconds",
             MetricType::histogram,
             "How long the handler ran, per run of a job (every outcome; a "
             "job that expired before it could start is not counted)");
  const auto snapshot = durations();
  out.histogram("jq_worker_job_duration_seconds",
                by_queue,
                DurationHistogram::k_bounds,
                snapshot.cumulative,
                snapshot.count,
                snapshot.sum_seconds);

  out.family("jq_worker_jobs_in_hand",
             MetricType::gauge,
             "Jobs this worker's slots are running now (at most its "
             "concurrency)");
  out.sample("jq_worker_jobs_in_hand",
             by_queue,
             static_cast<double>(std::max<std::int64_t>(0, in_hand())));

  out.family("jq_worker_redis_reconnects_total",
             MetricType::counter,
             "Redis connections of this worker that broke and were dropped to "
             "be opened again (a Redis restart counts once for each of its "
             "connections in use: up to 3)");
  out.sample("jq_worker_redis_reconnects_total", by_queue, reconnects());

  out.family("process_start_time_seconds",
             MetricType::gauge,
             "Start time of the process since the Unix epoch, in seconds");
  out.sample("process_start_time_seconds", {}, m_start_seconds);
}

} // namespace jq::metrics
