#include <jq/cli/job_input.hpp>
#include <jq/core/error.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

using jq::cli::job_data;
using jq::cli::param_value;
using jq::queue::Outcome;
using nlohmann::json;

TEST_CASE("jq::cli::param_value")
{
  SUBCASE("numbers")
  {
    const json one = param_value("1");
    CHECK(one.is_number_integer());
    CHECK(one == 1);
    CHECK(param_value("-7") == -7);
    CHECK(param_value("0") == 0);

    // Past 2^53: kept exact, not rounded through a double.
    const json big = param_value("9007199254740993");
    CHECK(big.is_number_integer());
    CHECK(big.get<std::int64_t>() == 9'007'199'254'740'993LL);
    CHECK(param_value("-9223372036854775808").get<std::int64_t>() == INT64_MIN);

    const json half = param_value("1.5");
    CHECK(half.is_number_float());
    CHECK(half.get<double>() == doctest::Approx(1.5));
    CHECK(param_value("1e3").is_number_float());
  }

  SUBCASE("true, false and null")
  {
    CHECK(param_value("true") == true);
    CHECK(param_value("false") == false);
    CHECK(param_value("null").is_null());
  }

  SUBCASE("anything else is the string as typed")
  {
    for (const char* text : {"abc",
                             "",
                             "01",
                             "1.",
                             ".5",
                             "+1",
                             "0x10",
                             "1e400",
                             "NaN",
                             "Infinity",
                             "True",
                             "NULL",
                             "nul",
                             "1 2",
                             "[1]",
                             "{}",
                             "\"x\"",
                             "2024-01-02",
                             "O'Brien"}) {
      CAPTURE(text);
      const json value = param_value(text);
      REQUIRE(value.is_string());
      CHECK(value.get<std::string>() == text);
    }
  }
}

TEST_CASE("jq::cli::job_data")
{
  const std::vector<std::string> none;

  SUBCASE("db and sql only")
  {
    CHECK(job_data("main", "select 1", none, "", "")
          == json::parse(R"({"db":"main","sql":"select 1"})"));
  }

  SUBCASE("--param values")
  {
    const json data =
      job_data("main", "select ?, ?, ?", {"1", "abc", "null"}, "", "");
    CHECK(data["params"] == json::parse(R"([1,"abc",null])"));
  }

  SUBCASE("--params JSON array or object")
  {
    CHECK(job_data("main", "q", none, R"([1,"a",null])", "")["params"]
          == json::parse(R"([1,"a",null])"));
    CHECK(job_data("main", "q", none, R"({"id":7})", "")["params"]
          == json::parse(R"({"id":7})"));
  }

  SUBCASE("--rows JSON array of rows")
  {
    const json data = job_data("main", "q", none, "", R"([[1,"a"],{"id":2}])");
    CHECK(data["rows"] == json::parse(R"([[1,"a"],{"id":2}])"));
    CHECK_FALSE(data.contains("params"));
    CHECK(job_data("main", "q", none, "", "[]")["rows"] == json::array());
  }

  SUBCASE("conflicting flags are UsageError")
  {
    CHECK_THROWS_AS(job_data("m", "q", {"1"}, "[1]", ""), jq::UsageError);
    CHECK_THROWS_AS(job_data("m", "q", {"1"}, "", "[[1]]"), jq::UsageError);
    CHECK_THROWS_AS(job_data("m", "q", none, "[1]", "[[1]]"), jq::UsageError);
    CHECK_THROWS_AS(job_data("m", "q", {"1"}, "[1]", "[[1]]"), jq::UsageError);
  }

  SUBCASE("bad --params is UsageError")
  {
    for (const char* text : {"[1", "nope", "1", "\"x\"", "null", "true"}) {
      CAPTURE(text);
      CHECK_THROWS_AS(job_data("m", "q", none, text, ""), jq::UsageError);
    }
  }

  SUBCASE("bad --rows is UsageError")
  {
    for (const char* text :
         {"[[1]", "nope", "{}", "1", "[1,2]", "[[1],\"x\"]", "[null]"}) {
      CAPTURE(text);
      CHECK_THROWS_AS(job_data("m", "q", none, "", text), jq::UsageError);
    }
  }
}

TEST_CASE("jq::cli::envelope")
{
  SUBCASE("completed")
  {
    Outcome outcome;
    outcome.status = Outcome::Status::completed;
    outcome.id = "42";
    outcome.result = json::parse(R"({"rows":[[1]],"changes":0})");
    outcome.attempts = 1;
    const json envelope = jq::cli::envelope(outcome, 17);
    CHECK(envelope == json::parse(R"({
      "id": "42",
      "status": "completed",
      "result": {"rows": [[1]], "changes": 0},
      "error": null,
      "attempts": 1,
      "elapsed_ms": 17
    })"));
  }

  SUBCASE("failed with a stack")
  {
    Outcome outcome;
    outcome.status = Outcome::Status::failed;
    outcome.id = "43";
    outcome.result = json::parse(R"({"ignored":true})");
    outcome.failed_reason = "no such table: t";
    outcome.stack = "SqlError: no such table: t";
    outcome.attempts = 3;
    const json envelope = jq::cli::envelope(outcome, 250);
    CHECK(envelope == json::parse(R"({
      "id": "43",
      "status": "failed",
      "result": null,
      "error": {"message": "no such table: t",
                "stack": "SqlError: no such table: t"},
      "attempts": 3,
      "elapsed_ms": 250
    })"));
  }

  SUBCASE("failed without a stack")
  {
    Outcome outcome;
    outcome.status = Outcome::Status::failed;
    outcome.id = "44";
    outcome.failed_reason = "timed out after 100 ms";
    outcome.attempts = 1;
    const json envelope = jq::cli::envelope(outcome, 100);
    CHECK(envelope["error"]
          == json::parse(R"({"message":"timed out after 100 ms"})"));
    CHECK_FALSE(envelope["error"].contains("stack"));
  }

  SUBCASE("always the same keys")
  {
    for (const auto status :
         {Outcome::Status::completed, Outcome::Status::failed}) {
      Outcome outcome;
      outcome.status = status;
      const json envelope = jq::cli::envelope(outcome, 0);
      CHECK(envelope.size() == 6);
      for (const char* key :
           {"id", "status", "result", "error", "attempts", "elapsed_ms"}) {
        CAPTURE(key);
        CHECK(envelope.contains(key));
      }
    }
  }
}
