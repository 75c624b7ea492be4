// Fuzz parse_duration (every DUR flag and --stdin's durations) and its
// round trip through format_duration.
//
// Where the text parses, the duration is not negative and
// parse_duration(format_duration(d)) == d. Independently, the first eight
// bytes as a count of milliseconds round-trip through format_duration too,
// up to 2^53 ms (about 285,000 years): parse_duration reads numbers as
// doubles, so above that an odd count of ms comes back rounded.

#include "invariant.hpp"

#include <jq/core/duration.hpp>
#include <jq/core/error.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace {

using jq::fuzz::check;

// parse_duration's upper bound (about 292,000 years).
constexpr std::int64_t k_max_ms = 9'200'000'000'000'000;
// The largest count of ms a double holds exactly with all below it.
constexpr std::int64_t k_exact_ms = std::int64_t{1} << 53;

void check_round_trip(std::chrono::milliseconds duration,
                      std::string_view input)
{
  const std::string text = jq::format_duration(duration);
  std::chrono::milliseconds again{};
  try {
    again = jq::parse_duration(text);
  } catch (const jq::UsageError&) {
    check(false, "format_duration gave text parse_duration refuses", input);
  }
  check(again == duration, "parse_duration(format_duration(d)) != d", input);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes,
                                      std::size_t size)
{
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  try {
    const auto duration = jq::parse_duration(text);
    check(duration.count() >= 0, "negative duration", text);
    check(duration.count() <= k_max_ms, "duration over the bound", text);
    check_round_trip(duration, text);
  } catch (const jq::UsageError& error) {
    check(std::string_view(error.what()).find("invalid duration")
            != std::string_view::npos,
          "unexpected message",
          text);
  }
  if (size >= sizeof(std::uint64_t)) {
    std::uint64_t raw = 0;
    std::memcpy(&raw, bytes, sizeof raw);
    const auto ms = static_cast<std::int64_t>(raw % (k_exact_ms + 1));
    check_round_trip(std::chrono::milliseconds(ms), text);
  }
  return 0;
}
