#include <jq/sql/reply_text.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

using nlohmann::json;

TEST_CASE("jq::sql::reply_text is what dumping the reply object writes")
{
  const json columns = {"id", "name \"quoted\"", "caf\xc3\xa9"};
  const json rows = {{1, "a\nb"}, {INT64_MIN, nullptr}, {2.5, "\xff bad"}};
  const std::string warnings[] = {"", "2 real value(s) were \"odd\"\n"};
  for (const std::string& warning : warnings) {
    for (const json& last_insert_rowid : {json(7), json(nullptr)}) {
      json expected = {{"columns", columns},
                       {"rows", rows},
                       {"changes", UINT64_MAX},
                       {"last_insert_rowid", last_insert_rowid}};
      if (!warning.empty()) {
        expected["warnings"] = {warning};
      }
      CHECK(jq::sql::reply_text(
              UINT64_MAX, columns, last_insert_rowid, rows, warning)
            == expected.dump(-1, ' ', false, json::error_handler_t::replace));
    }
  }
  // No rows, no columns: an insert's reply.
  CHECK(jq::sql::reply_text(1, json::array(), 42, json::array(), "")
        == R"({"changes":1,"columns":[],"last_insert_rowid":42,"rows":[]})");
}
