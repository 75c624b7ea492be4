#include <jq/sql/server/url.hpp>

#include <doctest/doctest.h>

#include <string_view>
#include <vector>

using jq::sql::server::query_pairs;
using jq::sql::server::split_url;

TEST_CASE("server::split_url: every part")
{
  const auto parts =
    split_url("mysql://jq:s3cr%40t@db.example:3307/app?ssl-mode=required&ro=1");
  CHECK(parts.scheme == "mysql");
  CHECK(parts.user == "jq");
  CHECK(parts.password == "s3cr%40t"); // as written
  CHECK(parts.host_port == "db.example:3307");
  CHECK(parts.path == "app");
  CHECK(parts.query == "ssl-mode=required&ro=1");
}

TEST_CASE("server::split_url: what a URL lacks is left out")
{
  const auto bare = split_url("postgresql://host");
  CHECK(bare.scheme == "postgresql");
  CHECK_FALSE(bare.user);
  CHECK_FALSE(bare.password);
  CHECK(bare.host_port == "host");
  CHECK_FALSE(bare.path);
  CHECK_FALSE(bare.query);

  const auto user_only = split_url("mariadb://jq@/app");
  CHECK(user_only.user == "jq");
  CHECK_FALSE(user_only.password);
  CHECK(user_only.host_port == "");
  CHECK(user_only.path == "app");

  // An empty password is there, and empty.
  CHECK(split_url("mysql://u:@h/d").password == "");
  // No scheme: the authority from the start.
  const auto schemeless = split_url("u:p@h/d");
  CHECK_FALSE(schemeless.scheme);
  CHECK(schemeless.password == "p");
}

TEST_CASE("server::split_url: where each part ends")
{
  // The authority ends at the first '/' or '?'.
  const auto query_first = split_url("postgresql://u:p@h?x=/y");
  CHECK(query_first.host_port == "h");
  CHECK_FALSE(query_first.path);
  CHECK(query_first.query == "x=/y");
  // The user info ends at the authority's last '@'; the password at the
  // first ':' of it.
  const auto ats = split_url("mysql://u:p@ss:w@rd@h:1/d");
  CHECK(ats.user == "u");
  CHECK(ats.password == "p@ss:w@rd");
  CHECK(ats.host_port == "h:1");
  CHECK(split_url("mysql://[::1]:3306/app").host_port == "[::1]:3306");
  CHECK(split_url("mysql://h/a/b").path == "a/b");
  // The parts are views into the URL, for replacing a part in place.
  const std::string_view url = "postgresql://u:secret@h/d";
  const auto password = split_url(url).password;
  REQUIRE(password);
  CHECK(password->data() - url.data() == 15);
}

TEST_CASE("server::query_pairs")
{
  const auto pairs = query_pairs("a=1&&b&c=x=y&");
  REQUIRE(pairs.size() == 4);
  CHECK(pairs[0].text == "a=1");
  CHECK(pairs[0].key == "a");
  CHECK(pairs[0].value == "1");
  CHECK(pairs[1].text == "");
  CHECK(pairs[2].key == "b");
  CHECK(pairs[2].value == "");
  CHECK(pairs[3].key == "c");
  CHECK(pairs[3].value == "x=y");
  CHECK(query_pairs("").empty());
}
