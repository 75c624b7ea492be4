#pragma once

#include <cstdint>

namespace jq {

// Milliseconds since the Unix epoch, as Bull stores timestamps.
std::int64_t now_ms() noexcept;

} // namespace jq
