#include <jq/core/cron.hpp>
#include <jq/core/error.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

using jq::CronSchedule;
using jq::find_time_zone;

TEST_CASE("jq::CronSchedule: the next two times agree with cron-parser")
{
  // Each row: expression, zone, after (ms), then the next two times as the
  // cron-parser package (which Bull uses) gives them.
  struct Row
  {
    const char* expression;
    const char* zone;
    std::int64_t after;
    std::int64_t first;
    std::int64_t second;
  };
  const Row rows[] = {
    {"*/5 * * * *", "UTC", 1796381512761, 1796381700000, 1796382000000},
    {"0 9 * * mon-fri",
     "Europe/Berlin",
     1796381512761,
     1796630400000,
     1796716800000},
    // 2026-03-29 02:30 does not exist in Berlin: 03:30 then.
    {"30 2 * * *",
     "Europe/Berlin",
     1774699200000,
     1774747800000,
     1774830600000},
    // 2026-10-25 02:30 happens twice in Berlin: the first time.
    {"30 2 * * *",
     "Europe/Berlin",
     1792843200000,
     1792888200000,
     1792978200000},
    {"0 0 L * *", "UTC", 1770681600000, 1772236800000, 1774915200000},
    {"0 0 1,15 * 3",
     "America/New_York",
     1767312000000,
     1767762000000,
     1768366800000},
    {"*/10 * * * * *",
     "Asia/Kolkata",
     1796381512761,
     1796381520000,
     1796381530000},
    {"@weekly", "UTC", 1796381512761, 1796515200000, 1797120000000},
    {"0 12 * jan,jul sun", "UTC", 1796381512761, 1798977600000, 1799582400000},
    {"15-45/10 * * * *", "UTC", 1796381512761, 1796382900000, 1796383500000},
  };
  for (const Row& row : rows) {
    CAPTURE(row.expression);
    CAPTURE(row.zone);
    const auto schedule = CronSchedule::parse(row.expression);
    const auto& zone = find_time_zone(row.zone);
    const auto first = schedule.next_after(row.after, zone);
    REQUIRE(first);
    CHECK(*first == row.first);
    CHECK(schedule.next_after(*first, zone) == row.second);
  }
}

TEST_CASE("jq::CronSchedule: what it refuses, with the reason")
{
  const std::pair<const char*, const char*> rows[] = {
    {"* * * *", "4 fields"},
    {"60 * * * *", "not a valid minute"},
    {"* 24 * * *", "not a valid hour"},
    {"* * 0 * *", "not a valid day of the month"},
    {"* * * 13 *", "not a valid month"},
    {"* * * * 8", "not a valid day of the week"},
    {"* * * * 5L", "not supported"},
    {"* * * * 1#2", "not supported"},
    {"*/0 * * * *", "not a valid step"},
    {"30-10 * * * *", "runs backwards"},
    {"x * * * *", "not a valid minute"},
  };
  for (const auto& [expression, reason] : rows) {
    CAPTURE(expression);
    std::string message;
    try {
      CronSchedule::parse(expression);
    } catch (const jq::UsageError& error) {
      message = error.what();
    }
    CHECK(message.find(reason) != std::string::npos);
  }
  CHECK_THROWS_AS(find_time_zone("Mars/Olympus_Mons"), jq::UsageError);
}

TEST_CASE("jq::CronSchedule: a date that never comes")
{
  // February 31st: no time within the horizon.
  CHECK(CronSchedule::parse("0 0 31 2 *")
          .next_after(1796381512761, find_time_zone("UTC"))
        == std::nullopt);
}
