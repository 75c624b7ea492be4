#pragma once

#include <string>
#include <string_view>

namespace jq {

// The SHA-1 of `data` as 40 lower-case hex digits. Used only to name Lua
// scripts for EVALSHA, as Redis does; not for security.
std::string sha1_hex(std::string_view data);

} // namespace jq
