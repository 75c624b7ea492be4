#pragma once

#include <cstddef>
#include <istream>
#include <string>

namespace jq::cli {

// The longest `--stdin` line read whole, over its job's largest data
// (--max-payload-bytes): room for the line's other members.
inline constexpr std::size_t k_line_room = 64 * 1024;

// The longest `--stdin` line read whole for jobs of at most
// `max_payload_bytes` of data.
std::size_t line_limit(std::size_t max_payload_bytes) noexcept;

struct LineRead
{
  enum class Kind {
    line,     // `line` holds the next line
    too_long, // the next line was longer than allowed (see read_line)
    end       // nothing left to read
  };
  Kind kind = Kind::end;
  std::size_t length = 0; // the line's length, without its newline
};

// Read the next line of `in` into `line`, without its newline, as
// std::getline does; but a line longer than `max_bytes` is read past, not
// kept: `line` is left empty, its memory freed, and the kind is `too_long`.
// So `line` never takes more than `max_bytes` (and a copy while it grows),
// whatever the input holds.
LineRead read_line(std::istream& in, std::string& line, std::size_t max_bytes);

} // namespace jq::cli
