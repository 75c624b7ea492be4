#include <jq/core/uuid.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <thread>

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

  SUBCASE("version 7, RFC 9562 variant")
  {
    for (int i = 0; i < 100; ++i) {
      const std::string id = make_uuid();
      CAPTURE(id);
      REQUIRE(id.size() == 36);
      CHECK(id[14] == '7');
      CHECK(std::string("89ab").find(id[19]) != std::string::npos);
    }
  }

  SUBCASE("the first 48 bits are the time in milliseconds")
  {
    const auto now_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
    };
    const auto before = now_ms();
    const std::string id = make_uuid();
    const auto after = now_ms();
    CAPTURE(id);
    const auto stamp = static_cast<std::int64_t>(
      std::stoull(id.substr(0, 8) + id.substr(9, 4), nullptr, 16));
    CHECK(stamp >= before);
    CHECK(stamp <= after);
  }

  SUBCASE("ids made a millisecond apart sort in the order made")
  {
    const std::string first = make_uuid();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const std::string second = make_uuid();
    CHECK(first < second);
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
