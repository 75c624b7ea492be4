#pragma once

#include <string>
#include <string_view>

namespace jq {

// The SHA-1 of `data` as 40 lower-case hex digits. Names Lua scripts for
// EVALSHA, as Redis does, and tells apart jobs that share an id; not for
// security.
std::string sha1_hex(std::string_view data);

} // namespace jq
