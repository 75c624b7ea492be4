#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace inspect {

// How to print: JSON Lines (with --json, or when stdout is not a
// terminal) or aligned tables, coloured only on a terminal and only when
// NO_COLOR is unset or empty (https://no-color.org) and TERM is not dumb.
struct Style
{
  bool is_json = false;
  bool is_tty = false;
  bool has_colour = false;
  std::size_t width = 0; // terminal columns; 0 when unknown
};

Style make_style(bool json_flag);

// Write `value` as one compact JSON line (invalid UTF-8 replaced) and
// flush.
void print_json_line(std::ostream& out, const nlohmann::ordered_json& value);

enum class Colour { none, bold, dim, red, green, yellow, blue, magenta, cyan };

// `text` wrapped in the SGR codes of `colour` when `enabled`.
std::string paint(std::string_view text, Colour colour, bool enabled);

// The colour a job state is shown in.
Colour state_colour(std::string_view state);

// A table cell: its text (no escape codes) and colour.
struct Cell
{
  std::string text;
  Colour colour = Colour::none;
};

// Columns aligned on display width (UTF-8 aware), a bold header line, the
// last column cut to the terminal width. Numbers are right-aligned.
class Table
{
public:
  explicit Table(std::vector<std::string> headings);

  void align_right(std::size_t column);
  void add_row(std::vector<Cell> cells);
  bool empty() const noexcept
  {
    return m_rows.empty();
  }
  // The number of lines print() writes.
  std::size_t line_count() const noexcept
  {
    return m_rows.size() + 1;
  }
  void print(std::ostream& out, const Style& style) const;

private:
  std::vector<std::string> m_headings;
  std::vector<bool> m_right;
  std::vector<std::vector<Cell>> m_rows;
};

// `text` on one line: control characters escaped (\n, \t, \xNN) and cut
// to `max_width` columns with an ellipsis (0: no limit).
std::string one_line(std::string_view text, std::size_t max_width = 0);

// `ms` since the epoch as local time, `2026-05-01 12:00:00.123`.
std::string format_time(std::int64_t ms);

// A duration for people: `850ms`, `12.3s`, `5m 02s`, `3h 05m`, `2d 04h`.
std::string format_span(std::int64_t ms);

// `format_time(ms) (5m 02s ago)`, or `(in 12.3s)` for a future time.
std::string format_when(std::int64_t ms, std::int64_t now_ms);

} // namespace inspect
