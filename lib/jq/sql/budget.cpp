#include "budget.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

namespace jq::sql {

std::size_t ResultBudget::text_cost(std::string_view text) noexcept
{
  std::size_t cost = 2; // the quotes
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x20) {
      cost += 6;
    } else if (byte == '"' || byte == '\\') {
      cost += 2;
    } else if (byte < 0x80) {
      cost += 1;
    } else {
      // A UTF-8 sequence stays as it is; a byte outside one becomes U+FFFD.
      const std::size_t length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
      bool is_sequence =
        byte >= 0xc2 && byte <= 0xf4 && i + length <= text.size();
      for (std::size_t j = 1; is_sequence && j < length; ++j) {
        is_sequence = (static_cast<unsigned char>(text[i + j]) & 0xc0) == 0x80;
      }
      if (is_sequence) {
        cost += length;
        i += length - 1;
      } else {
        cost += 3;
      }
    }
  }
  return cost;
}

void ResultBudget::add_row()
{
  if (++m_rows > m_limits.max_rows) {
    throw JobError(
      fmt::format("the result has more than {} rows (--max-rows); add a LIMIT",
                  m_limits.max_rows));
  }
}

void ResultBudget::add_bytes(std::size_t bytes)
{
  m_bytes += bytes;
  if (m_bytes > m_limits.max_result_bytes) {
    throw JobError(fmt::format(
      "the result is larger than {} bytes (--max-result-bytes); add a "
      "LIMIT or select fewer columns",
      m_limits.max_result_bytes));
  }
}

} // namespace jq::sql
