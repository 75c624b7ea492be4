#include "duration.hpp"

#include <jq/core/error.hpp>

#include <fmt/core.h>

#include <charconv>

namespace jq {

std::chrono::milliseconds parse_duration(std::string_view text)
{
  const auto invalid = [&] {
    return UsageError(fmt::format(
      "invalid duration '{}' (expected e.g. 250ms, 5s, 2m, 1h)", text));
  };
  std::size_t end = 0;
  while (end < text.size()
         && ((text[end] >= '0' && text[end] <= '9') || text[end] == '.')) {
    ++end;
  }
  const std::string_view number = text.substr(0, end);
  const std::string_view unit = text.substr(end);
  if (number.empty() || number.front() == '.' || number.back() == '.') {
    throw invalid();
  }
  double value = 0;
  const auto [ptr, ec] =
    std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || ptr != number.data() + number.size()) {
    throw invalid();
  }
  double factor = 0;
  if (unit == "ms") {
    factor = 1;
  } else if (unit.empty() || unit == "s") {
    factor = 1000;
  } else if (unit == "m") {
    factor = 60'000;
  } else if (unit == "h") {
    factor = 3'600'000;
  } else {
    throw invalid();
  }
  const double ms = value * factor;
  // About 292 years: anything longer is a typo, not a wish (infinity, from
  // a product past a double's range, fails the test too).
  if (!(ms <= 9.2e15)) {
    throw invalid();
  }
  return round_milliseconds(ms);
}

std::chrono::milliseconds round_milliseconds(double ms)
{
  // The cast truncates; ms - whole is exact for any double.
  const auto whole = static_cast<long long>(ms);
  return std::chrono::milliseconds(
    ms - static_cast<double>(whole) >= 0.5 ? whole + 1 : whole);
}

std::string format_duration(std::chrono::milliseconds duration)
{
  const long long ms = duration.count();
  if (ms != 0 && ms % 3'600'000 == 0) {
    return fmt::format("{}h", ms / 3'600'000);
  }
  if (ms != 0 && ms % 60'000 == 0) {
    return fmt::format("{}m", ms / 60'000);
  }
  if (ms % 1000 == 0) {
    return fmt::format("{}s", ms / 1000);
  }
  return fmt::format("{}ms", ms);
}

} // namespace jq
