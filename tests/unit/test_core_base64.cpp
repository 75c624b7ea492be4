#include <jq/core/base64.hpp>

#include <doctest/doctest.h>

#include <string>

using jq::base64_decode;
using jq::base64_encode;

TEST_CASE("jq::base64_encode")
{
  SUBCASE("RFC 4648 section 10 test vectors")
  {
    CHECK(base64_encode("") == "");
    CHECK(base64_encode("f") == "Zg==");
    CHECK(base64_encode("fo") == "Zm8=");
    CHECK(base64_encode("foo") == "Zm9v");
    CHECK(base64_encode("foob") == "Zm9vYg==");
    CHECK(base64_encode("fooba") == "Zm9vYmE=");
    CHECK(base64_encode("foobar") == "Zm9vYmFy");
  }

  SUBCASE("Bull's worker client name")
  {
    CHECK(base64_encode("jq") == "anE=");
  }

  SUBCASE("binary bytes, NULs included")
  {
    CHECK(base64_encode(std::string("\0", 1)) == "AA==");
    CHECK(base64_encode(std::string("\0\0\0", 3)) == "AAAA");
    CHECK(base64_encode("\xff\xfe\xfd") == "//79");
    CHECK(base64_encode("\xfb\xff") == "+/8=");
  }
}

TEST_CASE("jq::base64_decode")
{
  SUBCASE("RFC 4648 section 10 test vectors")
  {
    CHECK(base64_decode("") == std::string());
    CHECK(base64_decode("Zg==") == std::string("f"));
    CHECK(base64_decode("Zm8=") == std::string("fo"));
    CHECK(base64_decode("Zm9v") == std::string("foo"));
    CHECK(base64_decode("Zm9vYg==") == std::string("foob"));
    CHECK(base64_decode("Zm9vYmE=") == std::string("fooba"));
    CHECK(base64_decode("Zm9vYmFy") == std::string("foobar"));
  }

  SUBCASE("every byte value round trips")
  {
    std::string bytes;
    for (int i = 0; i < 256; ++i) {
      bytes.push_back(static_cast<char>(i));
    }
    for (std::size_t length = 0; length <= bytes.size(); length += 37) {
      CAPTURE(length);
      const std::string slice = bytes.substr(0, length);
      const auto decoded = base64_decode(base64_encode(slice));
      REQUIRE(decoded.has_value());
      CHECK(*decoded == slice);
    }
    const auto all = base64_decode(base64_encode(bytes));
    REQUIRE(all.has_value());
    CHECK(*all == bytes);
  }

  SUBCASE("NULs are kept")
  {
    const std::string bytes("a\0b\0\0c", 6);
    const auto decoded = base64_decode(base64_encode(bytes));
    REQUIRE(decoded.has_value());
    CHECK(decoded->size() == 6);
    CHECK(*decoded == bytes);
  }

  SUBCASE("invalid input gives nullopt")
  {
    for (const char* text : {"Z",
                             "Zg",
                             "Zg=",
                             "Zm9vY",
                             "Zg===",
                             "====",
                             "Z===",
                             "=Zg=",
                             "Zg=a",
                             "Zg==Zg==",
                             "Zm9v!A==",
                             "Zm9v YmFy",
                             "Zm9v\nYmFy",
                             "Zm9-",
                             "Zm9_"}) {
      CAPTURE(text);
      CHECK_FALSE(base64_decode(text).has_value());
    }
    CHECK_FALSE(base64_decode(std::string("Zm\0v", 4)).has_value());
  }
}
