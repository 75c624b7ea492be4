#include <jq/cli/line_reader.hpp>

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

using jq::cli::LineRead;
using jq::cli::read_line;
using Kind = LineRead::Kind;

namespace {

struct Read
{
  Kind kind;
  std::size_t length;
  std::string line;
};

std::vector<Read> read_all(const std::string& text, std::size_t max_bytes)
{
  std::istringstream in(text);
  std::vector<Read> lines;
  std::string line;
  for (;;) {
    const auto read = read_line(in, line, max_bytes);
    if (read.kind == Kind::end) {
      break;
    }
    lines.push_back({read.kind, read.length, line});
  }
  return lines;
}

// What std::getline makes of `text`.
std::vector<std::string> getline_all(const std::string& text)
{
  std::istringstream in(text);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(line);
  }
  return lines;
}

} // namespace

TEST_CASE("read_line: the lines std::getline reads, when none is too long")
{
  const std::string long_line(200'000, 'a'); // several of its pieces
  for (const std::string& text : {std::string(""),
                                  std::string("\n"),
                                  std::string("one"),
                                  std::string("one\n"),
                                  std::string("one\ntwo"),
                                  std::string("one\n\ntwo\n\n"),
                                  long_line,
                                  long_line + "\n" + long_line,
                                  std::string(64 * 1024 - 1, 'b') + "\nc",
                                  std::string(64 * 1024, 'b') + "\nc",
                                  std::string(128 * 1024 - 2, 'b') + "\n"}) {
    CAPTURE(text.size());
    const auto lines = read_all(text, 1'000'000);
    const auto expected = getline_all(text);
    REQUIRE(lines.size() == expected.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
      CHECK(lines[i].kind == Kind::line);
      CHECK(lines[i].line == expected[i]);
      CHECK(lines[i].length == expected[i].size());
    }
  }
}

TEST_CASE("read_line: a line over the limit is skipped, the next one read")
{
  const std::string huge(300'000, 'x');
  const auto lines = read_all("first\n" + huge + "\nnext\n" + huge, 1000);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].kind == Kind::line);
  CHECK(lines[0].line == "first");
  CHECK(lines[1].kind == Kind::too_long);
  CHECK(lines[1].length == huge.size());
  CHECK(lines[1].line.empty()); // dropped, not held
  CHECK(lines[2].kind == Kind::line);
  CHECK(lines[2].line == "next");
  CHECK(lines[3].kind == Kind::too_long); // the last, with no newline
  CHECK(lines[3].length == huge.size());
}

TEST_CASE("read_line: a line of exactly the limit is whole")
{
  const auto lines = read_all("abcd\nabcde\n", 4);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].kind == Kind::line);
  CHECK(lines[0].line == "abcd");
  CHECK(lines[1].kind == Kind::too_long);
  CHECK(lines[1].line.empty());
  CHECK(lines[1].length == 5);
}

TEST_CASE("read_line: a line never takes more than the limit, and a long one "
          "gives its memory back")
{
  const std::size_t limit = 300'000;
  std::istringstream in(std::string(limit - 1, 'a') + "\n"
                        + std::string(3 * limit, 'b') + "\n");
  std::string line;
  auto read = read_line(in, line, limit);
  CHECK(read.kind == Kind::line);
  CHECK(line.size() == limit - 1);
  CHECK(line.capacity() <= limit);
  read = read_line(in, line, limit);
  CHECK(read.kind == Kind::too_long);
  CHECK(line.capacity() < 64); // the short-string buffer only
}
