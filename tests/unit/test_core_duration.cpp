#include <jq/core/duration.hpp>
#include <jq/core/error.hpp>

#include <doctest/doctest.h>

#include <chrono>

using namespace std::chrono_literals;
using jq::format_duration;
using jq::parse_duration;
using jq::round_milliseconds;

TEST_CASE("jq::parse_duration")
{
  SUBCASE("units")
  {
    CHECK(parse_duration("250ms") == 250ms);
    CHECK(parse_duration("5s") == 5s);
    CHECK(parse_duration("2m") == 2min);
    CHECK(parse_duration("1h") == 1h);
  }

  SUBCASE("a bare number is seconds")
  {
    CHECK(parse_duration("30") == 30s);
    CHECK(parse_duration("1.5") == 1500ms);
    CHECK(parse_duration("0") == 0ms);
    CHECK(parse_duration("0ms") == 0ms);
  }

  SUBCASE("fractions round to the millisecond")
  {
    CHECK(parse_duration("0.25s") == 250ms);
    CHECK(parse_duration("1.5m") == 90s);
    CHECK(parse_duration("0.0004s") == 0ms);
    CHECK(parse_duration("0.0006s") == 1ms);
  }

  SUBCASE("rejects anything else with UsageError")
  {
    for (const char* text : {"-1",  "-5s",  "5x",
                             "",    "ms",   "s",
                             ".5",  "5.",   "1.2.3",
                             "1e3", "1E3",  "+5",
                             " 5",  "5 ",   "5 s",
                             "5S",  "5sec", "1d",
                             "inf", "nan",  "99999999999999999999h"}) {
      CAPTURE(text);
      CHECK_THROWS_AS(parse_duration(text), jq::UsageError);
    }
  }

  SUBCASE("the message names the bad value")
  {
    try {
      parse_duration("5x");
      FAIL("no exception");
    } catch (const jq::UsageError& e) {
      CHECK(std::string(e.what()).find("'5x'") != std::string::npos);
    }
  }
}

TEST_CASE("jq::round_milliseconds")
{
  SUBCASE("halves away from zero, as std::llround")
  {
    CHECK(round_milliseconds(0.0) == 0ms);
    CHECK(round_milliseconds(0.4) == 0ms);
    CHECK(round_milliseconds(0.5) == 1ms);
    CHECK(round_milliseconds(1.5) == 2ms);
    CHECK(round_milliseconds(2.5) == 3ms);
    CHECK(round_milliseconds(2.49) == 2ms);
  }

  SUBCASE("no rounding up by adding a half")
  {
    // The largest double below 0.5: x + 0.5 rounds to 1.0 in a double.
    CHECK(round_milliseconds(0.49999999999999994) == 0ms);
    // 2^52 + 1: x + 0.5 rounds to the even 2^52 + 2.
    CHECK(round_milliseconds(4503599627370497.0) == 4503599627370497ms);
  }

  SUBCASE("up to the callers' bound")
  {
    CHECK(round_milliseconds(9.2e15)
          == std::chrono::milliseconds(9'200'000'000'000'000));
  }
}

TEST_CASE("jq::format_duration")
{
  SUBCASE("the shortest exact form")
  {
    CHECK(format_duration(0ms) == "0s");
    CHECK(format_duration(250ms) == "250ms");
    CHECK(format_duration(1500ms) == "1500ms");
    CHECK(format_duration(5s) == "5s");
    CHECK(format_duration(90s) == "90s");
    CHECK(format_duration(2min) == "2m");
    CHECK(format_duration(90min) == "90m");
    CHECK(format_duration(1h) == "1h");
    CHECK(format_duration(48h) == "48h");
  }

  SUBCASE("round trips through parse_duration")
  {
    for (const auto ms : {0LL,
                          1LL,
                          250LL,
                          999LL,
                          1000LL,
                          1500LL,
                          59'999LL,
                          60'000LL,
                          61'000LL,
                          3'600'000LL,
                          3'601'000LL,
                          86'400'000LL}) {
      CAPTURE(ms);
      const std::chrono::milliseconds duration(ms);
      CHECK(parse_duration(format_duration(duration)) == duration);
    }
    for (const char* text : {"250ms", "5s", "2m", "1h"}) {
      CAPTURE(text);
      CHECK(format_duration(parse_duration(text)) == text);
    }
  }
}
