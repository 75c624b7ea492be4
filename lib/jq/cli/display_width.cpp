#include "display_width.hpp"

#include <utf8proc.h>

namespace jq::cli {

std::size_t display_width(std::string_view text)
{
  std::size_t width = 0;
  const auto* next = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  auto left = static_cast<utf8proc_ssize_t>(text.size());
  while (left > 0) {
    utf8proc_int32_t code_point = 0;
    const utf8proc_ssize_t length = utf8proc_iterate(next, left, &code_point);
    if (length <= 0) {
      ++width;
      ++next;
      --left;
      continue;
    }
    width += static_cast<std::size_t>(utf8proc_charwidth(code_point));
    next += length;
    left -= length;
  }
  return width;
}

} // namespace jq::cli
