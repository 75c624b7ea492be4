#include <jq/cli/format.hpp>
#include <jq/core/error.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>

using jq::cli::Format;
using nlohmann::json;

namespace {

std::string write(Format format, const json& result)
{
  std::ostringstream out;
  jq::cli::write_result(out, format, result);
  return out.str();
}

std::string write(Format format, const char* result)
{
  return write(format, json::parse(result));
}

} // namespace

TEST_CASE("jq::cli::parse_format")
{
  CHECK(jq::cli::parse_format("json") == Format::json);
  CHECK(jq::cli::parse_format("table") == Format::table);
  CHECK(jq::cli::parse_format("csv") == Format::csv);
  CHECK(jq::cli::parse_format("tsv") == Format::tsv);
  CHECK(jq::cli::parse_format("value") == Format::value);
  CHECK_THROWS_AS(jq::cli::parse_format("xml"), jq::UsageError);
  CHECK_THROWS_AS(jq::cli::parse_format(""), jq::UsageError);
  CHECK_THROWS_AS(jq::cli::parse_format("JSON"), jq::UsageError);
}

TEST_CASE("jq::cli::write_result")
{
  const char* const reply =
    R"({"columns": ["id", "title", "score"],
        "rows": [[1, "x", 2.5], [100, "héllo", null]],
        "changes": 0, "last_insert_rowid": 0})";

  SUBCASE("table")
  {
    CHECK(write(Format::table, reply)
          == " id  title  score\n"
             "---  -----  -----\n"
             "  1  x        2.5\n"
             "100  héllo   NULL\n");
  }

  SUBCASE("table pads by terminal columns: wide CJK, zero-width marks")
  {
    CHECK(
      write(
        Format::table,
        R"({"columns": ["name", "n"], "rows": [["日本語", "a"], ["ab", "b"]]})")
      == "name    n\n"
         "------  -\n"
         "日本語  a\n"
         "ab      b\n");
    // "é" as e + U+0301 (combining acute): one column.
    CHECK(
      write(Format::table,
            R"({"columns": ["x", "n"], "rows": [["e\u0301", 1], ["ab", 2]]})")
      == "x   n\n"
         "--  -\n"
         "e\u0301   1\n"
         "ab  2\n");
  }

  SUBCASE("table escapes line breaks and shows blobs as base64")
  {
    CHECK(
      write(
        Format::table,
        R"({"columns": ["t", "b"], "rows": [["a\nb", {"$base64": "AAE="}]]})")
      == "t     b\n"
         "----  ----\n"
         "a\\nb  AAE=\n");
  }

  SUBCASE("table with no rows has the header only")
  {
    CHECK(write(Format::table, R"({"columns": ["id"], "rows": []})")
          == "id\n--\n");
  }

  SUBCASE("a statement without columns")
  {
    const char* const insert =
      R"({"columns": [], "rows": [], "changes": 3, "last_insert_rowid": 3})";
    CHECK(write(Format::table, insert) == "(3 rows changed)\n");
    CHECK(write(Format::table, R"({"columns": [], "rows": [], "changes": 1})")
          == "(1 row changed)\n");
    CHECK(write(Format::csv, insert).empty());
    CHECK(write(Format::tsv, insert).empty());
    CHECK_THROWS_AS(write(Format::value, insert), jq::cli::NotOneValue);
  }

  SUBCASE("csv")
  {
    CHECK(write(Format::csv, reply)
          == "id,title,score\n"
             "1,x,2.5\n"
             "100,héllo,\n");
  }

  SUBCASE("csv quoting (RFC 4180)")
  {
    CHECK(
      write(
        Format::csv,
        R"({"columns": ["a,b", "q"], "rows": [["x,y", "say \"hi\""], ["line\nbreak", "cr\r"]]})")
      == "\"a,b\",q\n"
         "\"x,y\",\"say \"\"hi\"\"\"\n"
         "\"line\nbreak\",\"cr\r\"\n");
  }

  SUBCASE("tsv escaping")
  {
    CHECK(
      write(
        Format::tsv,
        R"({"columns": ["a", "b"], "rows": [["t\tab", "n\nl\\"], [null, 7]]})")
      == "a\tb\n"
         "t\\tab\tn\\nl\\\\\n"
         "\t7\n");
  }

  SUBCASE("value")
  {
    CHECK(write(Format::value, R"({"columns": ["n"], "rows": [[42]]})")
          == "42\n");
    CHECK(write(Format::value, R"({"columns": ["s"], "rows": [["a b"]]})")
          == "a b\n");
    CHECK(write(Format::value, R"({"columns": ["s"], "rows": [[null]]})")
          == "\n");
    CHECK(write(Format::value,
                R"({"columns": ["n"], "rows": [[9007199254740993]]})")
          == "9007199254740993\n");
    CHECK_THROWS_AS(write(Format::value, reply), jq::cli::NotOneValue);
    CHECK_THROWS_AS(write(Format::value, R"({"columns": ["n"], "rows": []})"),
                    jq::cli::NotOneValue);
    CHECK_THROWS_AS(
      write(Format::value, R"({"columns": ["a", "b"], "rows": [[1, 2]]})"),
      jq::cli::NotOneValue);
  }

  SUBCASE("a result that is not a reply is written as JSON")
  {
    for (const auto format :
         {Format::table, Format::csv, Format::tsv, Format::value}) {
      CHECK(write(format, R"({"ok": true, "n": [1, 2]})")
            == "{\"n\":[1,2],\"ok\":true}\n");
      CHECK(write(format, "42") == "42\n");
      CHECK(write(format, R"("done")") == "\"done\"\n");
      CHECK(write(format, R"({"columns": "x", "rows": []})")
            == "{\"columns\":\"x\",\"rows\":[]}\n");
    }
  }

  SUBCASE("json never throws on invalid UTF-8")
  {
    const json result = {{"columns", {"t"}},
                         {"rows", {{std::string("a\xff")}}}};
    CHECK(write(Format::json, result)
          == "{\"columns\":[\"t\"],\"rows\":[[\"a\xEF\xBF\xBD\"]]}\n");
    CHECK(write(Format::csv, result) == "t\na\xff\n");
  }

  SUBCASE("rows from a foreign worker may be objects or short")
  {
    CHECK(write(Format::csv,
                R"({"columns": ["a", "b"], "rows": [{"b": 2, "a": 1}, [3]]})")
          == "a,b\n1,2\n3,\n");
  }
}
