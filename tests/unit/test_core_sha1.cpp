#include <jq/core/sha1.hpp>

#include <doctest/doctest.h>

#include <string>

using jq::sha1_hex;

TEST_CASE("jq::sha1_hex")
{
  SUBCASE("FIPS 180 test vectors")
  {
    CHECK(sha1_hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    CHECK(sha1_hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
          == "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    CHECK(sha1_hex(std::string(1'000'000, 'a'))
          == "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  }

  SUBCASE("lengths around the padding boundary")
  {
    // 55 bytes fit one block with the length; 56 need a second.
    CHECK(sha1_hex(std::string(55, 'a'))
          == "c1c8bbdc22796e28c0e15163d20899b65621d65a");
    CHECK(sha1_hex(std::string(56, 'a'))
          == "c2db330f6083854c99d4b5bfb6e8f29f201be699");
    CHECK(sha1_hex(std::string(64, 'a'))
          == "0098ba824b5c16427bd7a1122a5a442a25ec644d");
  }

  SUBCASE("binary input")
  {
    CHECK(sha1_hex(std::string("\0", 1))
          == "5ba93c9db0cff93f52b521d7420e43f6eda2784f");
  }

  SUBCASE("40 lower-case hex digits")
  {
    const std::string digest = sha1_hex("return redis.call('ping')");
    CHECK(digest.size() == 40);
    CHECK(digest.find_first_not_of("0123456789abcdef") == std::string::npos);
  }
}
