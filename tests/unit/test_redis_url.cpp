#include <jq/core/error.hpp>
#include <jq/redis/url.hpp>

#include <doctest/doctest.h>

#include <string>

using jq::redis::parse_url;

namespace {

// The message of the UsageError `text` throws ("" if it does not throw).
std::string usage_error(const std::string& text)
{
  try {
    parse_url(text);
  } catch (const jq::UsageError& e) {
    return e.what();
  }
  FAIL_CHECK("no UsageError for ", text);
  return "";
}

} // namespace

TEST_CASE("jq::redis::parse_url")
{
  SUBCASE("defaults")
  {
    const auto url = parse_url("redis://");
    CHECK(url.host == "127.0.0.1");
    CHECK(url.port == 6379);
    CHECK(url.db == 0);
    CHECK(url.unix_path.empty());
    CHECK(url.user.empty());
    CHECK(url.password.empty());

    const auto host_only = parse_url("redis://localhost");
    CHECK(host_only.host == "localhost");
    CHECK(host_only.port == 6379);
    CHECK(host_only.db == 0);
    CHECK(parse_url("redis://localhost/").db == 0);
  }

  SUBCASE("host, port and database")
  {
    const auto url = parse_url("redis://redis.example:6380/2");
    CHECK(url.host == "redis.example");
    CHECK(url.port == 6380);
    CHECK(url.db == 2);
    CHECK(parse_url("redis://h:1").port == 1);
    CHECK(parse_url("redis://h:65535").port == 65535);
  }

  SUBCASE("user and password, percent-encoded")
  {
    const auto url = parse_url("redis://app%2Bro:p%40ss%3Aw%2Fd@h:6380/1");
    CHECK(url.user == "app+ro");
    CHECK(url.password == "p@ss:w/d");
    CHECK(url.host == "h");
    CHECK(url.port == 6380);
    CHECK(url.db == 1);
    // `%` not followed by two hex digits stays as it is.
    CHECK(parse_url("redis://:100%@h").password == "100%");
    CHECK(parse_url("redis://:%zz@h").password == "%zz");
    CHECK(parse_url("redis://:%-1@h").password == "%-1");
  }

  SUBCASE("password only")
  {
    const auto url = parse_url("redis://:secret@h");
    CHECK(url.user.empty());
    CHECK(url.password == "secret");
    CHECK(url.host == "h");
    CHECK(url.port == 6379);
  }

  SUBCASE("user without a password")
  {
    const auto url = parse_url("redis://reader@h");
    CHECK(url.user == "reader");
    CHECK(url.password.empty());
  }

  SUBCASE("unencoded '@' and '/' in the password")
  {
    const auto at = parse_url("redis://:p@ss@h");
    CHECK(at.password == "p@ss");
    CHECK(at.host == "h");
    // Generated passwords often hold '/' (base64).
    const auto slash = parse_url("redis://u:ab/cd+ef==@h:6380/3");
    CHECK(slash.password == "ab/cd+ef==");
    CHECK(slash.host == "h");
    CHECK(slash.port == 6380);
    CHECK(slash.db == 3);
  }

  SUBCASE("IPv6 literal")
  {
    const auto url = parse_url("redis://[::1]:6380");
    CHECK(url.host == "::1");
    CHECK(url.port == 6380);
    const auto no_port = parse_url("redis://[fe80::1]/4");
    CHECK(no_port.host == "fe80::1");
    CHECK(no_port.port == 6379);
    CHECK(no_port.db == 4);
  }

  SUBCASE("unix socket")
  {
    const auto url = parse_url("unix:///run/redis/redis.sock?db=3");
    CHECK(url.unix_path == "/run/redis/redis.sock");
    CHECK(url.db == 3);
    CHECK(parse_url("unix:///tmp/r.sock").db == 0);

    const auto auth = parse_url("unix://u:s%3Dcret@/tmp/r.sock");
    CHECK(auth.user == "u");
    CHECK(auth.password == "s=cret");
    CHECK(auth.unix_path == "/tmp/r.sock");
  }

  SUBCASE("errors are UsageError")
  {
    for (const char* text : {"",
                             "http://h",
                             "h:6379",
                             "rediss://h",
                             "redis://h:0",
                             "redis://h:99999",
                             "redis://h:abc",
                             "redis://h:",
                             "redis://h:-1",
                             "redis://h:80x",
                             "redis://h/abc",
                             "redis://h/-1",
                             "redis://[::1",
                             "redis://[::1]x",
                             "unix://",
                             "unix://tmp/r.sock",
                             "unix://relative/r.sock?db=1",
                             "unix:///tmp/r.sock?timeout=1",
                             "unix:///tmp/r.sock?db=",
                             "unix:///tmp/r.sock?db=x"}) {
      CAPTURE(text);
      CHECK_THROWS_AS(parse_url(text), jq::UsageError);
    }
  }

  SUBCASE("rediss:// is refused with the reason")
  {
    std::string message;
    try {
      parse_url("rediss://:pw@h:6380");
    } catch (const jq::UsageError& error) {
      message = error.what();
    }
    CHECK(message.find("has no TLS") != std::string::npos);
    CHECK(message.find("pw") == std::string::npos);
  }

  SUBCASE("error messages never contain the password")
  {
    for (const char* text : {"redis://u:hunter2@h:0",
                             "redis://u:hunter2@h:99999",
                             "redis://u:hunter2@h:abc",
                             "redis://u:hunter2@h/abc",
                             "redis://:hunter2@[::1",
                             "redis://:hunter2@[::1]junk",
                             "redis://:hun/ter2@h/x",
                             "redis://:hunter2/x@h:0",
                             "unix://u:hunter2@tmp/r.sock",
                             "unix://u:hunter2@/tmp/r.sock?x=1",
                             "unix://u:hunter2@/tmp/r.sock?db=x"}) {
      CAPTURE(text);
      const std::string message = usage_error(text);
      CHECK(!message.empty());
      CHECK(message.find("hunter2") == std::string::npos);
      CHECK(message.find("hun/ter2") == std::string::npos);
      CHECK(message.find("ter2") == std::string::npos);
    }
    // Neither the encoded nor the decoded form.
    const std::string message = usage_error("redis://u:s%40cr%3At@h:abc");
    CHECK(message.find("s%40cr%3At") == std::string::npos);
    CHECK(message.find("s@cr:t") == std::string::npos);
  }
}

TEST_CASE("jq::redis::Url::redacted")
{
  SUBCASE("no auth")
  {
    CHECK(parse_url("redis://h:6380/2").redacted() == "redis://h:6380/2");
    CHECK(parse_url("redis://").redacted() == "redis://127.0.0.1:6379/0");
  }

  SUBCASE("the password becomes ***")
  {
    const auto url = parse_url("redis://app:hunter2@h:6380/1");
    CHECK(url.redacted() == "redis://app:***@h:6380/1");
    CHECK(parse_url("redis://:hunter2@h").redacted()
          == "redis://:***@h:6379/0");
    CHECK(parse_url("redis://reader@h").redacted()
          == "redis://reader@h:6379/0");
  }

  SUBCASE("never contains the password")
  {
    for (const char* text : {"redis://u:hunter2@h",
                             "redis://:hunter2@h",
                             "redis://u:hun%74er2@h",
                             "redis://:hun/ter2@[::1]:6380/2",
                             "unix://u:hunter2@/tmp/r.sock?db=1",
                             "unix://:hunter2@/tmp/r.sock"}) {
      CAPTURE(text);
      const auto url = parse_url(text);
      CHECK(!url.password.empty());
      const std::string redacted = url.redacted();
      CHECK(redacted.find(url.password) == std::string::npos);
      CHECK(redacted.find("***") != std::string::npos);
    }
  }

  SUBCASE("round trips through parse_url")
  {
    for (const char* text : {"redis://h:6380/2",
                             "redis://[::1]:6380/1",
                             "unix:///tmp/r.sock?db=3"}) {
      CAPTURE(text);
      const auto url = parse_url(text);
      const auto again = parse_url(url.redacted());
      CHECK(again.host == url.host);
      CHECK(again.port == url.port);
      CHECK(again.db == url.db);
      CHECK(again.unix_path == url.unix_path);
    }
  }

  SUBCASE("unix socket")
  {
    CHECK(parse_url("unix:///tmp/r.sock?db=3").redacted()
          == "unix:///tmp/r.sock?db=3");
    CHECK(parse_url("unix://u:pw@/tmp/r.sock").redacted()
          == "unix://u:***@/tmp/r.sock?db=0");
  }
}

TEST_CASE("jq::redis::Url::endpoint")
{
  CHECK(parse_url("redis://").endpoint() == "127.0.0.1:6379");
  CHECK(parse_url("redis://u:pw@h:6380/2").endpoint() == "h:6380");
  CHECK(parse_url("redis://[::1]:6380").endpoint() == "[::1]:6380");
  CHECK(parse_url("unix:///tmp/r.sock?db=3").endpoint() == "/tmp/r.sock");
}
