// Fuzz read_line (jq-submit --stdin's reader) against std::getline: with a
// limit taken from the first byte, every line std::getline reads comes back
// the same when it fits the limit, and as too_long, with its length and
// nothing kept, when it does not; both readers end together.
// (Lines cross read_line's 64 KiB pieces only with FUZZ_ARGS=-max_len=...;
// the unit tests cover those boundaries.)

#include "invariant.hpp"

#include <jq/cli/line_reader.hpp>

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size)
{
  using jq::fuzz::check;
  using Kind = jq::cli::LineRead::Kind;
  if (size == 0) {
    return 0;
  }
  const std::size_t limit = data[0] == 0xff ? std::size_t(-1) : data[0];
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::istringstream ours(text);
  std::istringstream theirs(text);
  std::string line;
  std::string expected;
  for (;;) {
    const auto read = jq::cli::read_line(ours, line, limit);
    if (!std::getline(theirs, expected)) {
      check(read.kind == Kind::end, "read_line read past the end", text);
      return 0;
    }
    check(read.kind != Kind::end, "read_line ended early", text);
    check(read.length == expected.size(), "the line's length differs", text);
    if (expected.size() <= limit) {
      check(read.kind == Kind::line && line == expected,
            "a line within the limit differs",
            text);
    } else {
      check(read.kind == Kind::too_long && line.empty(),
            "a line over the limit was kept",
            text);
    }
  }
}
