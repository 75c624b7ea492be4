#include <jq/core/error.hpp>
#include <jq/sql/budget.hpp>
#include <jq/sql/mysql/result.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>
#include <string>

using jq::sql::mysql::Cell;
using jq::sql::mysql::Column;
using jq::sql::mysql::value_of;
using nlohmann::json;

namespace {

constexpr unsigned int k_binary = 63;
constexpr unsigned int k_utf8mb4 = 45;

Column column(enum_field_types type,
              unsigned int flags = 0,
              unsigned int charset = k_utf8mb4)
{
  Column c;
  c.type = type;
  c.flags = flags;
  c.charset = charset;
  return c;
}

Cell integer(std::int64_t value)
{
  Cell cell;
  cell.integer = value;
  return cell;
}

Cell bytes(std::string_view value)
{
  Cell cell;
  cell.bytes = value;
  return cell;
}

Cell moment(unsigned int year,
            unsigned int month,
            unsigned int day,
            unsigned int hour,
            unsigned int minute,
            unsigned int second,
            unsigned long micro = 0,
            bool neg = false)
{
  Cell cell;
  cell.time.year = year;
  cell.time.month = month;
  cell.time.day = day;
  cell.time.hour = hour;
  cell.time.minute = minute;
  cell.time.second = second;
  cell.time.second_part = micro;
  cell.time.neg = neg ? 1 : 0;
  return cell;
}

// The JSON text of a value, with room for anything.
std::string value(const Column& c, const Cell& cell)
{
  jq::sql::Limits limits;
  jq::sql::ResultBudget budget(limits);
  return value_of(c, cell, budget).dump();
}

} // namespace

TEST_CASE("mysql::value_of: integers stay exact")
{
  const std::int64_t min = std::numeric_limits<std::int64_t>::min();
  CHECK(value(column(MYSQL_TYPE_LONGLONG), integer(min))
        == "-9223372036854775808");
  CHECK(value(column(MYSQL_TYPE_LONGLONG), integer(INT64_MAX))
        == "9223372036854775807");
  // BIGINT UNSIGNED past 2^63: the bits of -1 are 18446744073709551615.
  CHECK(value(column(MYSQL_TYPE_LONGLONG, UNSIGNED_FLAG), integer(-1))
        == "18446744073709551615");
  CHECK(value(column(MYSQL_TYPE_TINY), integer(1)) == "1"); // BOOLEAN
  CHECK(value(column(MYSQL_TYPE_YEAR, UNSIGNED_FLAG), integer(2026)) == "2026");
  CHECK(value(column(MYSQL_TYPE_BIT, UNSIGNED_FLAG, k_binary),
              bytes(std::string_view("\x01\x02", 2)))
        == "258");
}

TEST_CASE("mysql::value_of: reals, decimals")
{
  Cell cell;
  cell.real = 0.1;
  CHECK(value(column(MYSQL_TYPE_DOUBLE), cell) == "0.1");
  cell.real4 = 0.1F;
  CHECK(value(column(MYSQL_TYPE_FLOAT), cell) == "0.1");
  cell.real = std::numeric_limits<double>::infinity();
  jq::sql::Limits limits;
  jq::sql::ResultBudget budget(limits);
  CHECK(value_of(column(MYSQL_TYPE_DOUBLE), cell, budget).is_null());
  CHECK(budget.non_finite() == 1);
  // DECIMAL is exact text, though its charset is binary.
  CHECK(value(column(MYSQL_TYPE_NEWDECIMAL, 0, k_binary),
              bytes("123456789012345678901234567890.0000000001"))
        == "\"123456789012345678901234567890.0000000001\"");
}

TEST_CASE("mysql::value_of: dates and times")
{
  CHECK(value(column(MYSQL_TYPE_DATE), moment(2026, 12, 4, 0, 0, 0))
        == "\"2026-12-04\"");
  CHECK(value(column(MYSQL_TYPE_DATETIME), moment(2026, 12, 4, 10, 0, 0))
        == "\"2026-12-04T10:00:00\"");
  CHECK(
    value(column(MYSQL_TYPE_DATETIME), moment(2026, 12, 4, 10, 0, 0, 250000))
    == "\"2026-12-04T10:00:00.25\"");
  CHECK(value(column(MYSQL_TYPE_DATETIME), moment(2026, 12, 4, 10, 0, 0, 1))
        == "\"2026-12-04T10:00:00.000001\"");
  CHECK(value(column(MYSQL_TYPE_TIMESTAMP), moment(2026, 12, 4, 10, 0, 5))
        == "\"2026-12-04T10:00:05Z\"");
  CHECK(value(column(MYSQL_TYPE_TIME), moment(0, 0, 0, 838, 59, 59, 0, true))
        == "\"-838:59:59\"");
  CHECK(value(column(MYSQL_TYPE_TIME), moment(0, 0, 0, 9, 5, 0, 500000))
        == "\"09:05:00.5\"");
}

TEST_CASE("mysql::value_of: text, blobs, JSON")
{
  CHECK(value(column(MYSQL_TYPE_VAR_STRING), bytes("héllo")) == "\"héllo\"");
  CHECK(value(column(MYSQL_TYPE_BLOB, BINARY_FLAG, k_binary),
              bytes(std::string_view("\x00\xff\x10", 3)))
        == R"({"$base64":"AP8Q"})");
  CHECK(value(column(MYSQL_TYPE_STRING, BINARY_FLAG, k_binary), bytes("ab"))
        == R"({"$base64":"YWI="})");
  // TEXT is a BLOB type of a text charset.
  CHECK(value(column(MYSQL_TYPE_BLOB), bytes("long text")) == "\"long text\"");
  Column doc = column(MYSQL_TYPE_BLOB);
  doc.is_json = true;
  CHECK(value(doc, bytes(R"({"a": [1, 9007199254740993]})"))
        == R"({"a":[1,9007199254740993]})");
  CHECK(value(doc, bytes("not json")) == "\"not json\"");
  CHECK(value(column(MYSQL_TYPE_NULL), Cell{}) == "null");
}

TEST_CASE("mysql::value_of: values are charged to the budget")
{
  jq::sql::Limits limits;
  limits.max_result_bytes = 10;
  jq::sql::ResultBudget budget(limits);
  CHECK_THROWS_AS(
    value_of(column(MYSQL_TYPE_VAR_STRING), bytes("0123456789abc"), budget),
    jq::JobError);
}
