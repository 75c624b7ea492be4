#include <jq/sql/reply_text.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

using nlohmann::json;

TEST_CASE("jq::sql::reply_text is what dumping the reply object writes")
{
  const json columns = {"id", "name \"quoted\"", "caf\xc3\xa9"};
  const json rows = {{1, "a\nb"}, {INT64_MIN, nullptr}, {2.5, "\xff bad"}};
  // A warning's text with a quote and a newline to escape.
  const std::string kinds = "\"odd\"\nones";
  for (const std::size_t non_finite : {std::size_t{0}, std::size_t{2}}) {
    const std::string warning =
      non_finite == 0 ? std::string()
                      : "2 real value(s) were " + kinds
                          + ", which JSON cannot represent: sent as null";
    for (const json& last_insert_rowid : {json(7), json(nullptr)}) {
      json expected = {{"columns", columns},
                       {"rows", rows},
                       {"changes", UINT64_MAX},
                       {"last_insert_rowid", last_insert_rowid}};
      if (!warning.empty()) {
        expected["warnings"] = {warning};
      }
      CHECK(jq::sql::reply_text(
              UINT64_MAX, columns, last_insert_rowid, rows, non_finite, kinds)
            == expected.dump(-1, ' ', false, json::error_handler_t::replace));
    }
  }
  // No rows, no columns: an insert's reply.
  CHECK(jq::sql::reply_text(1, json::array(), 42, json::array(), 0, "")
        == R"({"changes":1,"columns":[],"last_insert_rowid":42,"rows":[]})");
}
