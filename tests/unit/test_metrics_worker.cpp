#include <jq/metrics/exposition.hpp>
#include <jq/metrics/worker_metrics.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

using jq::metrics::DurationHistogram;
using jq::metrics::JobOutcome;
using jq::metrics::WorkerMetrics;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_CASE("jq::metrics::to_string(JobOutcome)")
{
  // The `outcome` labels of jq_worker_jobs_total.
  CHECK(to_string(JobOutcome::completed) == "completed");
  CHECK(to_string(JobOutcome::failed) == "failed");
  CHECK(to_string(JobOutcome::retried) == "retried");
  CHECK(to_string(JobOutcome::expired) == "expired");
  CHECK(to_string(JobOutcome::requeued) == "requeued");
}

TEST_CASE("jq::metrics::DurationHistogram")
{
  DurationHistogram histogram;
  histogram.observe(microseconds(500)); // <= 1 ms
  histogram.observe(milliseconds(1));   // on a bound: in it
  histogram.observe(milliseconds(30));  // <= 50 ms
  histogram.observe(seconds(90));       // past 60 s: +Inf only
  const auto snapshot = histogram.snapshot();
  CHECK(snapshot.count == 4);
  CHECK(snapshot.cumulative.front() == 2);
  CHECK(snapshot.cumulative[5] == 3); // le 0.05
  CHECK(snapshot.cumulative.back() == 3);
  CHECK(snapshot.sum_seconds == doctest::Approx(90.0315));
  for (std::size_t i = 1; i < snapshot.cumulative.size(); ++i) {
    CHECK(snapshot.cumulative[i] >= snapshot.cumulative[i - 1]);
  }
  CHECK(DurationHistogram::k_bounds.front() == 0.001);
  CHECK(DurationHistogram::k_bounds.back() == 60);
}

TEST_CASE("jq::metrics::WorkerMetrics")
{
  WorkerMetrics metrics;
  SUBCASE("counts from many threads")
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&metrics] {
        for (int i = 0; i < 1000; ++i) {
          metrics.job_started();
          metrics.count_end(JobOutcome::completed, milliseconds(2));
          metrics.job_done();
          metrics.count_reconnect();
        }
      });
    }
    for (auto& thread : threads) {
      thread.join();
    }
    CHECK(metrics.jobs(JobOutcome::completed) == 4000);
    CHECK(metrics.reconnects() == 4000);
    CHECK(metrics.in_hand() == 0);
    CHECK(metrics.durations().count == 4000);
  }

  SUBCASE("an expired job counts without a duration")
  {
    metrics.count_end(JobOutcome::expired, std::nullopt);
    CHECK(metrics.jobs(JobOutcome::expired) == 1);
    CHECK(metrics.durations().count == 0);
  }

  SUBCASE("the exposition")
  {
    metrics.count_end(JobOutcome::retried, milliseconds(3));
    metrics.job_started();
    jq::metrics::Exposition out;
    metrics.write(out, "q");
    const std::string& text = out.text();
    CHECK(text.find("# TYPE jq_worker_jobs_total counter\n")
          != std::string::npos);
    CHECK(text.find("jq_worker_jobs_total{queue=\"q\",outcome=\"retried\"} 1\n")
          != std::string::npos);
    CHECK(text.find("jq_worker_jobs_total{queue=\"q\",outcome=\"completed\"} "
                    "0\n")
          != std::string::npos);
    CHECK(text.find("jq_worker_job_duration_seconds_bucket{queue=\"q\","
                    "le=\"0.005\"} 1\n")
          != std::string::npos);
    CHECK(text.find("jq_worker_job_duration_seconds_bucket{queue=\"q\","
                    "le=\"0.0025\"} 0\n")
          != std::string::npos);
    CHECK(text.find("jq_worker_job_duration_seconds_count{queue=\"q\"} 1\n")
          != std::string::npos);
    CHECK(text.find("jq_worker_jobs_in_hand{queue=\"q\"} 1\n")
          != std::string::npos);
    CHECK(text.find("jq_worker_redis_reconnects_total{queue=\"q\"} 0\n")
          != std::string::npos);
    CHECK(text.find("# TYPE process_start_time_seconds gauge\n")
          != std::string::npos);
  }
}
