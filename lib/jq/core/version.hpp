#pragma once

#include <string_view>

namespace jq {

// The version of jq (the project's CMake version, e.g. "0.1.0"), printed by
// every tool's `--version`.
std::string_view version() noexcept;

} // namespace jq
