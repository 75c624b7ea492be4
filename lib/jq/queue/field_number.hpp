#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace jq::queue {

// The one reading of a number in a Bull hash field (timestamp, processedOn,
// finishedOn, retriedOn, attemptsMade, priority, delay, stalledCounter) or
// another Redis text that holds one. Bull writes decimal integers; any
// other writer may not, so:
// - a decimal integer is taken exactly, all 64 bits of it;
// - a finite decimal or exponent form ("1.7e12", "12.5") is truncated
//   toward zero and clamped to the 64-bit range;
// - anything else (empty, "abc", "12abc", inf, nan) is no number.
std::optional<std::int64_t> parse_field_number(std::string_view text);
// The same for a field that may be missing (no number then).
std::optional<std::int64_t> field_number(std::optional<std::string_view> text);

} // namespace jq::queue
