#include <jq/queue/field_number.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <optional>

using jq::queue::parse_field_number;

TEST_CASE("jq::queue::parse_field_number")
{
  constexpr auto k_max = std::numeric_limits<std::int64_t>::max();
  constexpr auto k_min = std::numeric_limits<std::int64_t>::min();

  SUBCASE("decimal integers exactly, all 64 bits")
  {
    CHECK(parse_field_number("0") == 0);
    CHECK(parse_field_number("1712345678901") == 1712345678901);
    CHECK(parse_field_number("-5") == -5);
    CHECK(parse_field_number("9223372036854775807") == k_max);
    CHECK(parse_field_number("-9223372036854775808") == k_min);
    CHECK(parse_field_number("9007199254740993") == 9007199254740993);
  }

  SUBCASE("floats and exponents, truncated toward zero")
  {
    CHECK(parse_field_number("1.7e12") == 1700000000000);
    CHECK(parse_field_number("12.9") == 12);
    CHECK(parse_field_number("-12.9") == -12);
    CHECK(parse_field_number("1e-400") == 0);
  }

  SUBCASE("out of range: clamped")
  {
    CHECK(parse_field_number("9223372036854775808") == k_max);
    CHECK(parse_field_number("1e300") == k_max);
    CHECK(parse_field_number("1e400") == k_max);
    CHECK(parse_field_number("-1e400") == k_min);
  }

  SUBCASE("anything else is no number")
  {
    for (const char* text : {"",
                             " ",
                             "abc",
                             "12abc",
                             " 12",
                             "12 ",
                             "+5",
                             "inf",
                             "nan",
                             "0x10",
                             "1,000",
                             "--1"}) {
      CAPTURE(text);
      CHECK(parse_field_number(text) == std::nullopt);
    }
  }
}
