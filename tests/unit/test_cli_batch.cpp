#include <jq/cli/batch.hpp>

#include <doctest/doctest.h>

#include <string>
#include <variant>

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
