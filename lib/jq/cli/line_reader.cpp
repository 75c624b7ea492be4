#include "line_reader.hpp"

#include <algorithm>
#include <array>
#include <limits>

namespace jq::cli {

std::size_t line_limit(std::size_t max_payload_bytes) noexcept
{
  // Saturated: the option takes any size.
  return max_payload_bytes
         + std::min(k_line_room,
                    std::numeric_limits<std::size_t>::max()
                      - max_payload_bytes);
}

LineRead read_line(std::istream& in, std::string& line, std::size_t max_bytes)
{
  line.clear();
  // The line comes in pieces of at most this much (istream::getline stops
  // there with failbit set, the rest of the line still to read).
  std::array<char, 64 * 1024> piece; // NOLINT: filled by getline
  bool read_any = false;
  std::size_t length = 0;
  for (;;) {
    in.getline(piece.data(), static_cast<std::streamsize>(piece.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    const bool cut =
      in.fail() && !in.eof() && !in.bad() && got == piece.size() - 1;
    if (in.fail() && !cut) {
      // Nothing read: the end (the line before ended there).
      if (!read_any) {
        return {};
      }
      in.clear(in.rdstate() & ~std::ios::failbit);
      break;
    }
    read_any = true;
    // getline counts the newline it took out.
    const std::size_t taken = cut || in.eof() ? got : got - 1;
    length += taken;
    if (length <= max_bytes) {
      // Grown as std::string would, but never past max_bytes (its own
      // reserve would double the old capacity whatever it is asked).
      if (line.capacity() < length) {
        std::string grown;
        grown.reserve(
          std::min(max_bytes, std::max(length, 2 * line.capacity())));
        grown = line;
        line.swap(grown);
      }
      line.append(piece.data(), taken);
    } else {
      std::string().swap(line);
    }
    if (!cut) {
      break;
    }
    in.clear(in.rdstate() & ~std::ios::failbit);
  }
  return {length > max_bytes ? LineRead::Kind::too_long : LineRead::Kind::line,
          length};
}

} // namespace jq::cli
