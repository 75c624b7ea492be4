#include <jq/cli/batch.hpp>
#include <jq/core/json.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

using jq::cli::JobDefaults;
using jq::cli::parse_job_line;
using namespace std::chrono_literals;

namespace {

jq::queue::Submission line(const std::string& text)
{
  auto parsed = parse_job_line(text, 1, JobDefaults{});
  REQUIRE_MESSAGE(std::holds_alternative<jq::queue::Submission>(parsed),
                  std::get<std::string>(parsed));
  return std::get<jq::queue::Submission>(std::move(parsed));
}

std::string refusal(const std::string& text)
{
  auto parsed = parse_job_line(text, 1, JobDefaults{});
  REQUIRE(std::holds_alternative<std::string>(parsed));
  return std::get<std::string>(parsed);
}

} // namespace

TEST_CASE("job line: a bare number is milliseconds, as Bull writes them")
{
  const auto submission = line(
    R"({"db":"app","sql":"select 1","delay":5000,"timeout":15000,"keep":60000,)"
    R"("job_timeout":250})");
  REQUIRE(submission.job);
  CHECK(submission.job->options.delay == 5s);
  CHECK(submission.timeout == 15s);
  CHECK(submission.job->options.timeout == 250ms);
}

TEST_CASE("job line: a string takes a unit, as on the command line")
{
  const auto submission =
    line(R"({"db":"app","sql":"select 1","delay":"250ms","timeout":"2m"})");
  REQUIRE(submission.job);
  CHECK(submission.job->options.delay == 250ms);
  CHECK(submission.timeout == 2min);
}

TEST_CASE("job line: a duration that is not one is refused by name")
{
  CHECK(refusal(R"({"db":"app","sql":"select 1","delay":-1})").find("'delay'")
        != std::string::npos);
  CHECK(refusal(R"({"db":"app","sql":"select 1","timeout":true})")
          .find("milliseconds")
        != std::string::npos);
  CHECK(refusal(R"({"db":"app","sql":"select 1","keep":1e300})").find("'keep'")
        != std::string::npos);
}

TEST_CASE("job line: data over --max-payload-bytes is refused, unsent")
{
  JobDefaults defaults;
  defaults.max_payload_bytes = 64;
  const std::string sql = "select '" + std::string(40, 'x') + "'";
  const std::string small = R"({"db":"app","sql":"select 1"})";
  const std::string large = R"({"db":"app","sql":")" + sql + R"("})";
  CHECK(std::holds_alternative<jq::queue::Submission>(
    parse_job_line(small, 1, defaults)));
  auto parsed = parse_job_line(large, 1, defaults);
  REQUIRE(std::holds_alternative<std::string>(parsed));
  CHECK(std::get<std::string>(parsed).find("over --max-payload-bytes 64")
        != std::string::npos);
}

TEST_CASE("result_line: the envelope as dumping its object writes it")
{
  using jq::queue::Outcome;
  using jq::queue::SubmissionResult;
  using jq::queue::Waited;
  using nlohmann::json;
  const auto ended = [](Waited::Kind kind, std::optional<Outcome> outcome) {
    SubmissionResult r;
    r.id = "job\"7";
    r.kind = kind;
    r.outcome = std::move(outcome);
    r.elapsed_ms = 12;
    return r;
  };
  Outcome completed;
  completed.result = json::parse(R"({"rows":[[1,"\u00e9"]],"changes":0})");
  completed.attempts = 1;
  Outcome failed;
  failed.status = Outcome::Status::failed;
  failed.failed_reason = "no such table: t\n\xff";
  failed.stack = "SqliteError: no such table: t";
  failed.attempts = 3;
  Outcome failed_no_stack = failed;
  failed_no_stack.stack.clear();

  const auto expect =
    [](std::string_view status, json error, json result, int attempts) {
      return json{{"id", "job\"7"},
                  {"status", status},
                  {"result", result},
                  {"error", error},
                  {"attempts", attempts},
                  {"elapsed_ms", 12}};
    };
  const std::vector<std::pair<SubmissionResult, json>> cases = {
    {ended(Waited::Kind::finished, completed),
     expect("completed", nullptr, completed.result, 1)},
    {ended(Waited::Kind::finished, failed),
     expect("failed",
            {{"message", failed.failed_reason}, {"stack", failed.stack}},
            nullptr,
            3)},
    {ended(Waited::Kind::finished, failed_no_stack),
     expect("failed", {{"message", failed.failed_reason}}, nullptr, 3)},
    {ended(Waited::Kind::timed_out, std::nullopt),
     expect(
       "timeout",
       {{"message", "timed out waiting for the reply (the job may still run)"}},
       nullptr,
       0)},
    {ended(Waited::Kind::missing, std::nullopt),
     expect("missing", {{"message", "no such job"}}, nullptr, 0)},
    {ended(Waited::Kind::gone, std::nullopt),
     expect("gone",
            {{"message", "the job finished but its reply is no longer kept"}},
            nullptr,
            0)},
  };
  for (const auto& [given, expected] : cases) {
    CAPTURE(jq::dump_json(expected));
    CHECK(jq::cli::result_line(given, 0) == jq::dump_json(expected));
    json with_line = expected;
    with_line["line"] = 42;
    CHECK(jq::cli::result_line(given, 42) == jq::dump_json(with_line));
  }
}
