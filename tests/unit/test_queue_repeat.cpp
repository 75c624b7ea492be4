#include <jq/core/error.hpp>
#include <jq/queue/repeat.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using jq::queue::Job;
using jq::queue::next_repetition;
using nlohmann::json;

namespace {

constexpr std::int64_t k_now = 1796381512761; // 2026-12-04T10:51:52.761Z

Job repeatable(std::string name, json opts)
{
  Job job;
  job.id = "repeat:x:1";
  job.name = std::move(name);
  job.data = R"({"db":"app","sql":"select 1"})";
  job.opts = jq::queue::StoredOpts::from_json(opts);
  return job;
}

} // namespace

TEST_CASE("jq::queue::next_repetition makes Bull's ids and keys")
{
  SUBCASE("every")
  {
    const auto next =
      next_repetition(repeatable("__default__",
                                 {{"repeat", {{"every", 1000}, {"count", 3}}},
                                  {"prevMillis", 1796381512000},
                                  {"attempts", 2}}),
                      k_now);
    REQUIRE(next);
    // As Bull 4.16.5 computes them (md5 of name, id part and key).
    CHECK(next->repeat_key == "__default__:::1000");
    CHECK(next->next_ms == 1796381513000);
    CHECK(next->job.options.job_id
          == "repeat:6f7759385e855ae9ce8f89c1765be3a3:1796381513000");
    CHECK(next->job.options.delay.count() == 239);
    const json& opts = *next->job.bull_opts;
    CHECK(
      opts["repeat"]
      == json({{"every", 1000}, {"count", 4}, {"key", "__default__:::1000"}}));
    CHECK(opts["prevMillis"] == 1796381513000);
    CHECK(opts["attempts"] == 2);
    CHECK(opts["jobId"] == *next->job.options.job_id);
  }

  SUBCASE("cron with a time zone, an end date and a job id")
  {
    const auto next =
      next_repetition(repeatable("report",
                                 {{"repeat",
                                   {{"cron", "0 9 * * *"},
                                    {"tz", "Europe/Berlin"},
                                    {"endDate", "2027-01-01T00:00:00Z"},
                                    {"jobId", "daily"}}},
                                  {"prevMillis", 1796371200000}}),
                      k_now);
    REQUIRE(next);
    CHECK(next->repeat_key
          == "report:daily:1798761600000:Europe/Berlin:0 9 * * *");
    CHECK(next->next_ms == 1796457600000);
    CHECK(next->job.options.job_id
          == "repeat:419e350f88b97dc20c89bf523d78960a:1796457600000");
  }

  SUBCASE("the end: limit reached, end date passed")
  {
    CHECK_FALSE(next_repetition(
      repeatable("__default__",
                 {{"repeat", {{"every", 1000}, {"limit", 3}, {"count", 3}}}}),
      k_now));
    CHECK(next_repetition(
      repeatable("__default__",
                 {{"repeat", {{"every", 1000}, {"limit", 3}, {"count", 2}}}}),
      k_now));
    CHECK_FALSE(next_repetition(
      repeatable("__default__",
                 {{"repeat", {{"every", 1000}, {"endDate", k_now - 1}}}}),
      k_now));
    CHECK_FALSE(next_repetition(repeatable("__default__", {}), k_now));
  }

  SUBCASE("both every and cron is refused, as Bull refuses it")
  {
    CHECK_THROWS_AS(
      next_repetition(
        repeatable("__default__",
                   {{"repeat", {{"every", 1000}, {"cron", "* * * * *"}}}}),
        k_now),
      jq::UsageError);
  }
}
