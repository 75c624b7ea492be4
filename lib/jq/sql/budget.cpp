#include "budget.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

namespace jq::sql {

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
