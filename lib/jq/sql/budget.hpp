#pragma once

#include <jq/sql/engine.hpp>

#include <cstddef>
#include <string_view>

namespace jq::sql {

// The rows and bytes one reply has used so far, against `Limits`. Charged
// before a value is copied into the reply, so an oversized value fails the
// job without being copied first.
class ResultBudget
{
public:
  explicit ResultBudget(const Limits& limits)
    : m_limits(limits)
  {
  }

  // One more row. Throws JobError past --max-rows.
  void add_row();

  // `bytes` more of the reply as JSON. Throws JobError past
  // --max-result-bytes.
  void add_bytes(std::size_t bytes);

  // The JSON size of `text` as a string: escapes (a control byte is
  // `\u0000`) and the three bytes of U+FFFD for each byte that is not
  // UTF-8 counted. Then that of a blob of `size` bytes ({"$base64": ...}),
  // and of any other value, near enough.
  static std::size_t text_cost(std::string_view text) noexcept;
  static std::size_t blob_cost(std::size_t size) noexcept
  {
    return (size + 2) / 3 * 4 + 16;
  }
  static constexpr std::size_t k_scalar_cost = 8;

  // A real the reply cannot carry (JSON has no Infinity): sent as null and
  // counted, so the reply can say so.
  void add_non_finite() noexcept
  {
    ++m_non_finite;
  }
  std::size_t non_finite() const noexcept
  {
    return m_non_finite;
  }

private:
  const Limits& m_limits;
  std::size_t m_rows = 0;
  std::size_t m_bytes = 0;
  std::size_t m_non_finite = 0;
};

} // namespace jq::sql
