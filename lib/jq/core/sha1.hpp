#pragma once

#include <string>
#include <string_view>

namespace jq {

// The SHA-1 of `data` as 40 lower-case hex digits. Tells apart jobs that
// share an id, and checks in a test the names the build gave the Lua scripts
// (EVALSHA's, as Redis computes them); not for security.
std::string sha1_hex(std::string_view data);

} // namespace jq
