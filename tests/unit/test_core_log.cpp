#include <jq/core/error.hpp>
#include <jq/core/log.hpp>

#include <doctest/doctest.h>

TEST_CASE("jq::log::parse_format")
{
  CHECK(jq::log::parse_format("text") == jq::log::Format::text);
  CHECK(jq::log::parse_format("json") == jq::log::Format::json);
  CHECK_THROWS_AS(jq::log::parse_format("JSON"), jq::UsageError);
  CHECK_THROWS_AS(jq::log::parse_format(""), jq::UsageError);
}
