#pragma once

#include <cstddef>
#include <string_view>

namespace jq::cli {

// The columns UTF-8 `text` takes on a terminal, for aligning tables: each
// code point's width from utf8proc's Unicode tables (2 for CJK and most
// emoji, 0 for combining marks and other zero-width characters, 1 for the
// rest); a byte that starts no valid sequence counts as one column, as a
// terminal shows it as one replacement character.
std::size_t display_width(std::string_view text);

} // namespace jq::cli
