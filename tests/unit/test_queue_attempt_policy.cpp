#include <jq/queue/attempt_policy.hpp>
#include <jq/queue/outcome.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <string>

using jq::metrics::JobOutcome;
using jq::queue::AttemptResult;
using jq::queue::decide;
using jq::queue::expire_before_start;
using jq::queue::Job;
using jq::queue::JobEnd;
using jq::queue::run_limit;
using nlohmann::json;

TEST_CASE("jq::queue::log_word")
{
  // The log's `outcome` field, as README.md documents it.
  CHECK(jq::queue::log_word(JobOutcome::completed) == "completed");
  CHECK(jq::queue::log_word(JobOutcome::failed) == "failed");
  CHECK(jq::queue::log_word(JobOutcome::retried) == "retrying");
  CHECK(jq::queue::log_word(JobOutcome::expired) == "expired");
  CHECK(jq::queue::log_word(JobOutcome::requeued) == "requeued");
}

namespace {

Job make_job(json opts = json::object(), int attempts_made = 0)
{
  Job job;
  job.id = "42";
  job.data = R"({"sql":"select 1"})";
  job.opts = jq::queue::StoredOpts::from_json(opts);
  job.attempts_made = attempts_made;
  job.processed_on = 1'000;
  return job;
}

AttemptResult failure(std::string reason)
{
  AttemptResult result;
  result.reason = std::move(reason);
  result.stack = "SqlError: " + result.reason;
  result.duration_ms = 3;
  return result;
}

} // namespace

TEST_CASE("attempt policy: a completed run records its reply and whole event")
{
  AttemptResult result;
  result.is_completed = true;
  result.value = R"({"rows":[[1]]})";
  result.duration_ms = 2;
  const auto decision = decide(make_job(), result, 5'000);
  CHECK(decision.outcome == JobOutcome::completed);
  CHECK(decision.end.kind == JobEnd::Kind::completed);
  CHECK(decision.end.value == result.value);
  CHECK(decision.end.finished_on == 5'000);
  CHECK(decision.end.fields.empty());
  const auto event = json::parse(decision.end.event);
  CHECK(event["jobId"] == "42");
  CHECK(event["val"] == result.value);
  CHECK(event["attempts"] == 1);
  CHECK(event["processedOn"] == 1'000);
  CHECK(event["finishedOn"] == 5'000);
  CHECK_FALSE(event.contains("stack"));
}

TEST_CASE("attempt policy: a reply longer than Redis takes in one value "
          "fails the run")
{
  AttemptResult result;
  result.is_completed = true;
  // 40 quotes: 80 bytes as the reply's JSON string, 160 inside the event.
  result.value = json(std::string(40, '"')).dump();
  result.duration_ms = 2;
  const std::size_t event_size =
    decide(make_job(), result, 5'000).end.event.size();
  REQUIRE(event_size > 160);
  CHECK(decide(make_job(), result, 5'000, event_size).outcome
        == JobOutcome::completed);

  const auto decision = decide(make_job(), result, 5'000, event_size - 1);
  CHECK(decision.outcome == JobOutcome::failed);
  CHECK(decision.end.kind == JobEnd::Kind::failed);
  CHECK(decision.reason.find("the result is too large to store") == 0);
  CHECK(decision.reason.find(std::to_string(event_size)) != std::string::npos);
  CHECK(decision.end.value == decision.reason);
  CHECK(decision.duration_ms == 2);

  // With attempts left it is retried, as any failure of the run.
  const auto again =
    decide(make_job({{"attempts", 2}}), result, 5'000, event_size - 1);
  CHECK(again.outcome == JobOutcome::retried);
}

TEST_CASE("attempt policy: a failure with attempts left is retried after "
          "the backoff")
{
  const auto job = make_job(
    {{"attempts", 3}, {"backoff", {{"type", "fixed"}, {"delay", 500}}}});
  const auto decision = decide(job, failure("boom"), 5'000);
  CHECK(decision.outcome == JobOutcome::retried);
  CHECK(decision.end.kind == JobEnd::Kind::retry);
  CHECK(decision.end.due_ms == 5'500);
  CHECK_FALSE(decision.end.to_head);
  REQUIRE(decision.end.fields.size() == 6);
  CHECK(decision.end.fields[0] == "attemptsMade");
  CHECK(decision.end.fields[1] == "1");
  CHECK(json::parse(decision.end.fields[3]) == json::array({"SqlError: boom"}));
  CHECK(decision.end.fields[5] == "boom");

  SUBCASE("no backoff: back in line now")
  {
    const auto now = decide(make_job({{"attempts", 2}}), failure("x"), 5'000);
    CHECK(now.end.kind == JobEnd::Kind::retry);
    CHECK(now.end.due_ms == 0);
  }
}

TEST_CASE("attempt policy: the last attempt fails for good")
{
  const auto job = make_job({{"attempts", 2}}, 1);
  const auto decision = decide(job, failure("boom"), 5'000);
  CHECK(decision.outcome == JobOutcome::failed);
  CHECK(decision.end.kind == JobEnd::Kind::failed);
  CHECK(decision.end.value == "boom");
  CHECK(decision.end.fields[1] == "2");
  const auto event = json::parse(decision.end.event);
  CHECK(event["attempts"] == 2);
  CHECK(event["stack"] == "SqlError: boom");
}

TEST_CASE("attempt policy: a timeout is a failure, a passed deadline expires "
          "the job with no retry")
{
  auto result = failure("interrupted");
  result.is_past_limit = true;
  const auto timed_out =
    decide(make_job({{"timeout", 250}, {"attempts", 1}}), result, 5'000);
  CHECK(timed_out.outcome == JobOutcome::failed);
  CHECK(timed_out.end.value == "timed out after 250 ms");

  result.limit_is_deadline = true;
  const auto expired =
    decide(make_job({{"deadline", 4'000}, {"attempts", 5}}), result, 5'000);
  CHECK(expired.outcome == JobOutcome::expired);
  CHECK(expired.end.kind == JobEnd::Kind::failed);
  CHECK(expired.end.value.starts_with(jq::queue::k_expired_prefix));
}

TEST_CASE("attempt policy: a run interrupted by a stop goes back to the head "
          "of the line, no attempt counted")
{
  auto result = failure("interrupted");
  result.is_cancelled = true;
  const auto decision = decide(make_job({{"attempts", 1}}), result, 5'000);
  CHECK(decision.outcome == JobOutcome::requeued);
  CHECK(decision.end.kind == JobEnd::Kind::retry);
  CHECK(decision.end.to_head);
  CHECK(decision.end.due_ms == 0);
  CHECK(decision.end.fields.empty());
}

TEST_CASE("attempt policy: a job whose caller's deadline passed is not "
          "started")
{
  CHECK_FALSE(expire_before_start(make_job({{"deadline", 6'000}}), 5'000));
  CHECK_FALSE(expire_before_start(make_job(), 5'000));
  const auto decision =
    expire_before_start(make_job({{"deadline", 4'000}}), 5'000);
  REQUIRE(decision);
  CHECK(decision->outcome == JobOutcome::expired);
  CHECK(decision->end.value.find("1000 ms before it could start")
        != std::string::npos);
}

TEST_CASE("attempt policy: the run limit is the earlier of timeout and "
          "deadline")
{
  const auto started = std::chrono::steady_clock::now();
  const auto both = run_limit(
    make_job({{"timeout", 1'000}, {"deadline", 5'300}}), started, 5'000);
  REQUIRE(both.at);
  CHECK(both.is_deadline);
  CHECK(*both.at - started == std::chrono::milliseconds(300));
  const auto timeout = run_limit(make_job({{"timeout", 100}}), started, 5'000);
  CHECK_FALSE(timeout.is_deadline);
  CHECK(*timeout.at - started == std::chrono::milliseconds(100));
  CHECK_FALSE(run_limit(make_job(), started, 5'000).at);
}
