#include <jq/core/uuid.hpp>

#include <doctest/doctest.h>

#include <set>
#include <string>

using jq::make_uuid;

namespace {

bool is_lower_hex(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

} // namespace

TEST_CASE("jq::make_uuid")
{
  SUBCASE("canonical 8-4-4-4-12 lower-case form")
  {
    for (int i = 0; i < 100; ++i) {
      const std::string id = make_uuid();
      CAPTURE(id);
      REQUIRE(id.size() == 36);
      for (std::size_t j = 0; j < id.size(); ++j) {
        if (j == 8 || j == 13 || j == 18 || j == 23) {
          CHECK(id[j] == '-');
        } else {
          CHECK(is_lower_hex(id[j]));
        }
      }
    }
  }

  SUBCASE("version 4, RFC 4122 variant")
  {
    for (int i = 0; i < 100; ++i) {
      const std::string id = make_uuid();
      CAPTURE(id);
      REQUIRE(id.size() == 36);
      CHECK(id[14] == '4');
      CHECK(std::string("89ab").find(id[19]) != std::string::npos);
    }
  }

  SUBCASE("1000 are distinct")
  {
    std::set<std::string> ids;
    for (int i = 0; i < 1000; ++i) {
      ids.insert(make_uuid());
    }
    CHECK(ids.size() == 1000);
  }
}
