#include <jq/core/json.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <array>
#include <string>
#include <string_view>

using nlohmann::json;

namespace {

constexpr std::array<std::string_view, 3> k_names = {"a", "b", "c"};

// The members k_names of `text` as nlohmann's own parse gives them.
std::array<json, 3> from_dom(std::string_view text)
{
  const json document = json::parse(text);
  std::array<json, 3> values;
  for (std::size_t i = 0; i < k_names.size(); ++i) {
    if (document.contains(k_names[i])) {
      values[i] = document[std::string(k_names[i])];
    }
  }
  return values;
}

} // namespace

TEST_CASE("jq::pick_json_members builds the named members as the DOM has them")
{
  for (const char* text : {
         R"({})",
         R"({"a":1,"b":"two","c":[3]})",
         R"({"x":{"a":1,"b":[{"c":2}]},"b":{"x":[1,{"y":null}],"z":{}}})",
         R"({"a":-1,"b":18446744073709551615,"c":1.5e300})",
         R"({"a":[],"b":[[[]]],"c":{"a":{"a":"deep"}}})",
         R"({"a":1,"a":{"k":[1,2]},"b":true,"b":false,"c":"\u00e9\n"})",
         R"({"a":{"k":1},"a":2})",
         R"({"unrelated":[1,2,{"a":"not top-level"}],"c":null})",
       }) {
    CAPTURE(text);
    std::array<json, 3> values;
    REQUIRE(jq::pick_json_members(text, k_names, values));
    CHECK(values == from_dom(text));
  }
}

TEST_CASE("jq::pick_json_members: text that is not one JSON object")
{
  std::array<json, 3> values;
  for (const char* text : {"",
                           " ",
                           "[]",
                           R"([{"a":1}])",
                           "1",
                           "\"a\"",
                           "null",
                           R"({"a":1)",
                           R"({"a":1} x)",
                           R"({"a":1}{})",
                           R"({"a":})",
                           "\xff"}) {
    CAPTURE(text);
    CHECK_FALSE(jq::pick_json_members(text, k_names, values));
  }
  // Nested past k_max_json_depth, even in a member that is skipped.
  const std::string deep =
    R"({"x":)" + std::string(100'000, '[') + std::string(100'000, ']') + "}";
  CHECK_FALSE(jq::pick_json_members(deep, k_names, values));
  // Values left by an earlier call are not kept.
  values[0] = 7;
  REQUIRE(jq::pick_json_members(R"({"b":1})", k_names, values));
  CHECK(values[0].is_null());
}
