#include <jq/core/percent_decode.hpp>

#include <doctest/doctest.h>

#include <string>

using jq::percent_decode;

TEST_CASE("jq::percent_decode")
{
  CHECK(percent_decode("s3cr%40t") == "s3cr@t");
  CHECK(percent_decode("%2Frun%2fmysqld.sock") == "/run/mysqld.sock");
  CHECK(percent_decode("%00") == std::string(1, '\0'));
  CHECK(percent_decode("%e2%82%ac") == "\xe2\x82\xac");
  CHECK(percent_decode("plain") == "plain");
  CHECK(percent_decode("") == "");
  // A % without two hex digits after it stays as written.
  CHECK(percent_decode("100%") == "100%");
  CHECK(percent_decode("%4") == "%4");
  CHECK(percent_decode("%zz%41") == "%zzA");
  CHECK(percent_decode("%-1") == "%-1");
  CHECK(percent_decode("%%41") == "%A");
}
