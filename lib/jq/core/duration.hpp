#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace jq {

// Parse `250ms`, `5s`, `2m`, `1h` or a bare number of seconds (`1.5` is
// allowed). Throws UsageError on anything else or on a negative value.
std::chrono::milliseconds parse_duration(std::string_view text);

// The shortest exact form of `duration`: `250ms`, `5s`, `2m`, `1h`.
std::string format_duration(std::chrono::milliseconds duration);

// `ms` rounded to whole milliseconds, halves away from zero, for
// 0 <= ms < 2^63 (callers check or clamp first). Not std::llround: it lives
// in libm, which jq-submit and jq-inspect do not load (CMakeLists.txt).
std::chrono::milliseconds round_milliseconds(double ms);

} // namespace jq
