#include <jq/core/error.hpp>
#include <jq/sql/budget.hpp>
#include <jq/sql/postgres/parameters.hpp>
#include <jq/sql/postgres/result.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

using nlohmann::json;

namespace {

struct Clear
{
  void operator()(PGresult* result) const noexcept
  {
    PQclear(result);
  }
};

// A one-row result as libpq would hand it over in single-row mode, made
// without a server: each column's type OID and text (nullptr: NULL).
std::unique_ptr<PGresult, Clear>
one_row(const std::vector<std::pair<Oid, const char*>>& columns)
{
  std::unique_ptr<PGresult, Clear> result(
    PQmakeEmptyPGresult(nullptr, PGRES_SINGLE_TUPLE));
  std::vector<PGresAttDesc> attributes(columns.size());
  std::vector<std::string> names;
  names.reserve(columns.size());
  for (std::size_t i = 0; i < columns.size(); ++i) {
    names.push_back("c" + std::to_string(i));
    attributes[i] = PGresAttDesc{};
    attributes[i].name = names.back().data();
    attributes[i].typid = columns[i].first;
    attributes[i].typlen = -1;
  }
  REQUIRE(PQsetResultAttrs(
            result.get(), static_cast<int>(columns.size()), attributes.data())
          == 1);
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const char* text = columns[i].second;
    REQUIRE(
      PQsetvalue(result.get(),
                 0,
                 static_cast<int>(i),
                 const_cast<char*>(text),
                 text == nullptr ? -1 : static_cast<int>(std::strlen(text)))
      == 1);
  }
  return result;
}

json row_of(const std::vector<std::pair<Oid, const char*>>& columns,
            jq::sql::ResultBudget& budget)
{
  const auto result = one_row(columns);
  json rows = json::array();
  jq::sql::postgres::append_row(*result, rows, budget);
  return rows.at(0);
}

} // namespace

TEST_CASE("postgres::append_row: values by type")
{
  const jq::sql::Limits limits;
  jq::sql::ResultBudget budget(limits);
  const json row = row_of({{20, "-9223372036854775808"},
                           {23, "7"},
                           {701, "0.1"},
                           {701, "NaN"},
                           {700, "-Infinity"},
                           {1700, "1.50"},
                           {16, "t"},
                           {16, "f"},
                           {1082, "2026-12-04"},
                           {1114, "2026-12-04 10:00:00.5"},
                           {1184, "2026-12-04 10:00:00+00"},
                           {1184, "2026-12-04 10:00:00+05:30"},
                           {1184, "2026-12-04 10:00:00-03"},
                           {1184, "infinity"},
                           {17, "\\x00ff"},
                           {3802, R"({"a": [1, null]})"},
                           {114, "[1, 2"},
                           {25, nullptr},
                           {1186, "1 day"}},
                          budget);
  CHECK(row == json::parse(R"([-9223372036854775808, 7, 0.1, null, null, "1.50",
          true, false, "2026-12-04", "2026-12-04T10:00:00.5",
          "2026-12-04T10:00:00Z", "2026-12-04T10:00:00+05:30",
          "2026-12-04T10:00:00-03:00", "infinity", {"$base64": "AP8="},
          {"a": [1, null]}, "[1, 2", null, "1 day"])"));
  CHECK(budget.non_finite() == 2);
}

TEST_CASE("postgres::append_row: limits")
{
  jq::sql::Limits limits;
  limits.max_rows = 1;
  limits.max_result_bytes = 100;
  jq::sql::ResultBudget budget(limits);
  row_of({{23, "1"}}, budget);
  CHECK_THROWS_WITH_AS(
    row_of({{23, "2"}}, budget), doctest::Contains("--max-rows"), jq::JobError);
  jq::sql::ResultBudget bytes(limits);
  const std::string long_text(200, 'x');
  CHECK_THROWS_WITH_AS(row_of({{25, long_text.c_str()}}, bytes),
                       doctest::Contains("--max-result-bytes"),
                       jq::JobError);
}

TEST_CASE("postgres::BoundParams: types and formats")
{
  jq::sql::Params params;
  params.kind = jq::sql::Params::Kind::positional;
  params.values = {std::monostate{},
                   true,
                   std::int64_t{-9223372036854775807 - 1},
                   0.5,
                   std::string("2026-12-04"),
                   jq::sql::Blob{std::string("\0\1", 2)}};
  const auto sql =
    jq::sql::postgres::translate_sql("select ?, ?, ?, ?, ?, ?", params.kind);
  const jq::sql::postgres::BoundParams bound(sql, params, {});
  const auto statement = bound.statement(sql);
  REQUIRE(statement.parameter_count == 6);
  CHECK(statement.values[0] == nullptr);
  const std::vector<Oid> types(statement.types, statement.types + 6);
  CHECK(types == std::vector<Oid>{0, 16, 20, 701, 0, 17});
  CHECK(std::string(statement.values[1]) == "true");
  CHECK(std::string(statement.values[2]) == "-9223372036854775808");
  CHECK(std::string(statement.values[3]) == "0.5");
  CHECK(std::string(statement.values[4]) == "2026-12-04");
  CHECK(statement.formats[5] == 1);
  CHECK(statement.lengths[5] == 2);

  jq::sql::Limits small;
  small.max_value_bytes = 4;
  CHECK_THROWS_WITH_AS(
    jq::sql::postgres::BoundParams(sql, params, small),
    doctest::Contains("parameter 5: longer than --max-value-bytes"),
    jq::JobError);
}
