#include <jq/cli/display_width.hpp>

#include <doctest/doctest.h>

#include <string>

using jq::cli::display_width;

TEST_CASE("jq::cli::display_width")
{
  SUBCASE("ASCII: a column per byte")
  {
    CHECK(display_width("") == 0);
    CHECK(display_width("abc") == 3);
  }

  SUBCASE("wide characters take two columns")
  {
    CHECK(display_width("日本語") == 6);
    CHECK(display_width("한국어") == 6);
    CHECK(display_width("ＡＢ") == 4);             // fullwidth forms
    CHECK(display_width("\xF0\x9F\x98\x80") == 2); // U+1F600, an emoji
  }

  SUBCASE("combining marks and zero-width characters take none")
  {
    CHECK(display_width("e\xCC\x81") == 1); // e + U+0301
    CHECK(display_width("a\xE2\x80\x8B"
                        "b")
          == 2); // U+200B
  }

  SUBCASE("narrow non-ASCII: one column each")
  {
    CHECK(display_width("é") == 1);
    CHECK(display_width("ñandú") == 5);
    CHECK(display_width("Ωμέγα") == 5);
  }

  SUBCASE("bytes that are not UTF-8 count one column each")
  {
    CHECK(display_width("\xFF") == 1);
    CHECK(display_width("a\xC3") == 2);                // cut short
    CHECK(display_width("\xE6\x97") == 2);             // cut short, two bytes
    CHECK(display_width("\xED\xA0\x80") == 3);         // a surrogate
    CHECK(display_width(std::string("a\0b", 3)) == 2); // NUL: no column
  }
}
