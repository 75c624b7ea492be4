#include "field_number.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace jq::queue {

std::optional<std::int64_t> parse_field_number(std::string_view text)
{
  const char* const begin = text.data();
  const char* const end = text.data() + text.size();
  std::int64_t integer = 0;
  if (const auto [ptr, ec] = std::from_chars(begin, end, integer);
      ec == std::errc() && ptr == end) {
    return integer;
  }
  double number = 0;
  const auto [ptr, ec] = std::from_chars(begin, end, number);
  if (text.empty() || ptr != end
      || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    return std::nullopt;
  }
  const bool is_negative = text.front() == '-';
  if (ec == std::errc::result_out_of_range) {
    // Past a double's range: tiny when the exponent is negative, else huge.
    const auto e = text.find_first_of("eE");
    if (e != std::string_view::npos && e + 1 < text.size()
        && text[e + 1] == '-') {
      return 0;
    }
    number = is_negative ? -HUGE_VAL : HUGE_VAL;
  } else if (!std::isfinite(number)) {
    return std::nullopt; // "inf", "nan"
  }
  // 2^63 is exact as a double; anything at or past it is clamped.
  constexpr double k_limit = 9223372036854775808.0;
  if (number >= k_limit) {
    return std::numeric_limits<std::int64_t>::max();
  }
  if (number < -k_limit) {
    return std::numeric_limits<std::int64_t>::min();
  }
  return static_cast<std::int64_t>(number);
}

std::optional<std::int64_t> field_number(std::optional<std::string_view> text)
{
  return text ? parse_field_number(*text) : std::nullopt;
}

} // namespace jq::queue
