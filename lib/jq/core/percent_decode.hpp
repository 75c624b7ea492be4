#pragma once

#include <string>
#include <string_view>

namespace jq {

// `text` with each `%XX` (two hex digits, either case) replaced by the byte
// it stands for; a `%` without two hex digits after it stays as written.
// For the parts of a URL: its user, its password, its parameters.
std::string percent_decode(std::string_view text);

} // namespace jq
