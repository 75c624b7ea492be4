#include <jq/core/error.hpp>
#include <jq/sql/request.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <string>

using jq::sql::parse_request;
using nlohmann::json;

namespace {

// The ProtocolError message for `data`, or "" when it parses.
std::string parse_error(const json& data)
{
  try {
    parse_request(data);
  } catch (const jq::ProtocolError& e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("jq::sql::parse_request")
{
  SUBCASE("canonical fields with positional params")
  {
    const auto request = parse_request(json::parse(
      R"j({"db": "app", "sql": "insert into t values (?, ?)", "params": [1, "x"]})j"));
    CHECK(request.db == "app");
    CHECK(request.sql == "insert into t values (?, ?)");
    CHECK(jq::sql::to_json(request.params) == json::parse(R"([1, "x"])"));
    CHECK_FALSE(request.rows.has_value());
  }

  SUBCASE("named params")
  {
    const auto request = parse_request(json::parse(
      R"({"db": "app", "sql": "select :id", "params": {":id": 1}})"));
    CHECK(jq::sql::to_json(request.params) == json::parse(R"({":id": 1})"));
  }

  SUBCASE("params absent or null")
  {
    CHECK(parse_request(json::parse(R"({"db": "a", "sql": "select 1"})"))
            .params.kind
          == jq::sql::Params::Kind::none);
    CHECK(parse_request(
            json::parse(R"({"db": "a", "sql": "select 1", "params": null})"))
            .params.kind
          == jq::sql::Params::Kind::none);
  }

  SUBCASE("rows")
  {
    const auto request = parse_request(json::parse(
      R"j({"db": "a", "sql": "insert into t values (?, ?)", "rows": [[1, "a"], {":x": 2}]})j"));
    REQUIRE(request.rows.has_value());
    CHECK(request.rows->size() == 2);
    CHECK(request.params.kind == jq::sql::Params::Kind::none);
  }

  SUBCASE("an empty rows batch is allowed")
  {
    const auto request = parse_request(json::parse(
      R"j({"db": "a", "sql": "insert into t values (?)", "rows": []})j"));
    REQUIRE(request.rows.has_value());
    CHECK(request.rows->empty());
  }

  SUBCASE("seed aliases dbname and value")
  {
    const auto request = parse_request(json::parse(
      R"({"id": "u-1", "dbname": "app", "sql": "select ?", "value": [7], "timeout": 5000})"));
    CHECK(request.db == "app");
    CHECK(jq::sql::to_json(request.params) == json::array({7}));
    CHECK_FALSE(request.rows.has_value());
  }

  SUBCASE("value that is an array of arrays means rows")
  {
    const auto request = parse_request(json::parse(
      R"j({"dbname": "app", "sql": "insert into t values (?, ?)", "value": [[1, "a"], [2, "b"]]})j"));
    REQUIRE(request.rows.has_value());
    CHECK(jq::sql::to_json(request).at("rows")
          == json::parse(R"([[1, "a"], [2, "b"]])"));
    CHECK(request.params.kind == jq::sql::Params::Kind::none);
  }

  SUBCASE("an empty value array is zero positional params")
  {
    const auto request = parse_request(
      json::parse(R"({"db": "a", "sql": "select 1", "value": []})"));
    CHECK(jq::sql::to_json(request.params) == json::array());
    CHECK_FALSE(request.rows.has_value());
  }

  SUBCASE("parameter value types")
  {
    const auto request = parse_request(json::parse(
      R"({"db": "a", "sql": "s", "params": [null, true, -3, 9007199254740993, 1.5, "t", {"$base64": "AAE="}]})"));
    REQUIRE(request.params.values.size() == 7);
    CHECK(std::get<std::int64_t>(request.params.values[3]) == 9007199254740993);
    // A blob is decoded once, here.
    CHECK(std::get<jq::sql::Blob>(request.params.values[6]).bytes
          == std::string("\0\1", 2));
  }

  SUBCASE("the same field under both names is fine when equal")
  {
    const auto request = parse_request(
      json::parse(R"({"db": "a", "dbname": "a", "sql": "select 1"})"));
    CHECK(request.db == "a");
  }

  SUBCASE("malformed data is a ProtocolError")
  {
    CHECK_THROWS_AS(parse_request(json::array()), jq::ProtocolError);
    CHECK(parse_error(json("select 1")) == "job data is not a JSON object");
    CHECK(parse_error(json::parse(R"({"db": "a"})"))
          == "job data has no 'sql' string");
    CHECK(parse_error(json::parse(R"({"db": "a", "sql": 3})"))
          == "job data has no 'sql' string");
    CHECK(parse_error(json::parse(R"({"db": "a", "sql": ""})"))
          == "job data 'sql' is empty");
    CHECK(parse_error(json::parse(R"({"sql": "select 1"})"))
          == "job data has no 'db' string");
    CHECK(parse_error(json::parse(R"({"db": "", "sql": "select 1"})"))
          == "job data 'db' is empty");
    CHECK(parse_error(json::parse(R"({"db": "a", "dbname": "b", "sql": "s"})"))
          != "");
  }

  SUBCASE("params of the wrong type")
  {
    CHECK(parse_error(json::parse(R"({"db": "a", "sql": "s", "params": 1})"))
          == "job data 'params' must be an array or an object");
    CHECK(parse_error(json::parse(R"({"db": "a", "sql": "s", "params": "x"})"))
          != "");
    CHECK(parse_error(json::parse(R"({"db": "a", "sql": "s", "value": true})"))
          != "");
  }

  SUBCASE("unsupported parameter values")
  {
    CHECK(
      parse_error(json::parse(R"({"db": "a", "sql": "s", "params": [[1]]})"))
      == "job data 'params'[0] must be null, a boolean, a number, a "
         "string or {\"$base64\": \"...\"}");
    CHECK(parse_error(json::parse(
            R"({"db": "a", "sql": "s", "params": {":x": {"a": 1}}})"))
          != "");
    CHECK(parse_error(json::parse(
            R"({"db": "a", "sql": "s", "params": [18446744073709551615]})"))
          == "job data 'params'[0] is out of the 64-bit signed integer range");
    CHECK(parse_error(json::parse(
            R"({"db": "a", "sql": "s", "params": [{"$base64": "!!"}]})"))
          == "job data 'params'[0] has invalid base64 text");
    CHECK(
      parse_error(json::parse(
        R"({"db": "a", "sql": "s", "params": [{"$base64": "AA==", "x": 1}]})"))
      != "");
  }

  SUBCASE("bad rows")
  {
    CHECK(parse_error(json::parse(
            R"({"db": "a", "sql": "s", "params": [1], "rows": [[1]]})"))
          == "job data has both 'params' and 'rows'");
    CHECK(
      parse_error(json::parse(R"({"db": "a", "sql": "s", "rows": {"a": 1}})"))
      == "job data 'rows' must be an array of rows");
    CHECK(parse_error(json::parse(R"({"db": "a", "sql": "s", "rows": [1, 2]})"))
          == "job data 'rows'[0] must be an array or an object");
    CHECK(
      parse_error(json::parse(R"({"db": "a", "sql": "s", "rows": [[[1]]]})"))
      != "");
  }
}

TEST_CASE("jq::sql::to_json")
{
  SUBCASE("canonical names round trip")
  {
    const auto request = parse_request(json::parse(
      R"({"dbname": "app", "sql": "select ?", "value": [1], "id": "x"})"));
    const json data = jq::sql::to_json(request);
    CHECK(data
          == json::parse(R"({"db": "app", "sql": "select ?", "params": [1]})"));
    const auto again = parse_request(data);
    CHECK(again.db == request.db);
    CHECK(again.sql == request.sql);
    CHECK(again.params == request.params);
  }

  SUBCASE("rows and absent params")
  {
    jq::sql::Request request;
    request.db = "a";
    request.sql = "select 1";
    CHECK(jq::sql::to_json(request)
          == json::parse(R"({"db": "a", "sql": "select 1"})"));
    request.rows = {jq::sql::parse_params(json::parse("[1]"), {"row"}),
                    jq::sql::parse_params(json::parse("[2]"), {"row"})};
    CHECK(
      jq::sql::to_json(request)
      == json::parse(R"({"db": "a", "sql": "select 1", "rows": [[1], [2]]})"));
  }
}
