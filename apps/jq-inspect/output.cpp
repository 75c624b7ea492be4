#include "output.hpp"

#include <jq/cli/display_width.hpp>
#include <jq/core/json.hpp>

#include <fmt/format.h>

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <ctime>

namespace inspect {

using jq::cli::display_width;

namespace {

std::string_view sgr(Colour colour)
{
  switch (colour) {
  case Colour::none:
    return "";
  case Colour::bold:
    return "\033[1m";
  case Colour::dim:
    return "\033[2m";
  case Colour::red:
    return "\033[31m";
  case Colour::green:
    return "\033[32m";
  case Colour::yellow:
    return "\033[33m";
  case Colour::blue:
    return "\033[34m";
  case Colour::magenta:
    return "\033[35m";
  case Colour::cyan:
    break;
  }
  return "\033[36m";
}

bool is_continuation(char c)
{
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

} // namespace

Style make_style(bool json_flag)
{
  Style style;
  style.is_tty = isatty(STDOUT_FILENO) == 1;
  style.is_json = json_flag || !style.is_tty;
  const char* no_colour = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  style.has_colour = !style.is_json && style.is_tty
                     && (no_colour == nullptr || *no_colour == '\0')
                     && !(term != nullptr && std::string_view(term) == "dumb");
  if (style.is_tty) {
    winsize size{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
      style.width = size.ws_col;
    }
  }
  return style;
}

void print_json_line(std::ostream& out, const nlohmann::ordered_json& value)
{
  out << jq::dump_json(value) << '\n' << std::flush;
}

std::string paint(std::string_view text, Colour colour, bool enabled)
{
  if (!enabled || colour == Colour::none || text.empty()) {
    return std::string(text);
  }
  return fmt::format("{}{}\033[0m", sgr(colour), text);
}

Colour state_colour(std::string_view state)
{
  if (state == "completed") {
    return Colour::green;
  }
  if (state == "failed" || state == "stuck") {
    return Colour::red;
  }
  if (state == "active") {
    return Colour::cyan;
  }
  if (state == "delayed") {
    return Colour::yellow;
  }
  if (state == "paused") {
    return Colour::magenta;
  }
  return Colour::none;
}

Table::Table(std::vector<std::string> headings)
  : m_headings(std::move(headings)),
    m_right(m_headings.size(), false)
{
}

void Table::align_right(std::size_t column)
{
  m_right.at(column) = true;
}

void Table::add_row(std::vector<Cell> cells)
{
  cells.resize(m_headings.size());
  m_rows.push_back(std::move(cells));
}

void Table::print(std::ostream& out, const Style& style) const
{
  const std::size_t columns = m_headings.size();
  std::vector<std::size_t> widths(columns, 0);
  for (std::size_t c = 0; c < columns; ++c) {
    widths[c] = display_width(m_headings[c]);
    for (const auto& row : m_rows) {
      widths[c] = std::max(widths[c], display_width(row[c].text));
    }
  }
  // The last column gets what is left of the terminal (at least 10).
  std::size_t used = 0;
  for (std::size_t c = 0; c + 1 < columns; ++c) {
    used += widths[c] + 2;
  }
  std::size_t last_width = 0;
  if (style.width > 0 && columns > 0) {
    last_width = style.width > used + 10 ? style.width - used : 10;
  }
  const auto write_line = [&](const std::vector<Cell>& cells, bool heading) {
    std::string line;
    for (std::size_t c = 0; c < columns; ++c) {
      const bool is_last = c + 1 == columns;
      std::string text = is_last && last_width > 0
                           ? one_line(cells[c].text, last_width)
                           : cells[c].text;
      const std::size_t width = display_width(text);
      const std::size_t pad = widths[c] > width ? widths[c] - width : 0;
      const Colour colour = heading ? Colour::bold : cells[c].colour;
      if (m_right[c]) {
        line.append(pad, ' ');
      }
      line += paint(text, colour, style.has_colour);
      if (!m_right[c] && !is_last) {
        line.append(pad, ' ');
      }
      if (!is_last) {
        line += "  ";
      }
    }
    while (!line.empty() && line.back() == ' ') {
      line.pop_back();
    }
    out << line << '\n';
  };
  std::vector<Cell> heading;
  for (const auto& text : m_headings) {
    heading.push_back({text, Colour::bold});
  }
  write_line(heading, true);
  for (const auto& row : m_rows) {
    write_line(row, false);
  }
  out << std::flush;
}

std::string one_line(std::string_view text, std::size_t max_width)
{
  std::vector<std::string> pieces;
  std::size_t total = 0;
  // With a limit, stop as soon as the text is known to be too long.
  for (std::size_t i = 0;
       i < text.size() && (max_width == 0 || total <= max_width);
       ++i) {
    const char c = text[i];
    if (c == '\n') {
      pieces.emplace_back("\\n");
    } else if (c == '\t') {
      pieces.emplace_back("\\t");
    } else if (c == '\r') {
      pieces.emplace_back("\\r");
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      pieces.push_back(fmt::format("\\x{:02x}", static_cast<unsigned char>(c)));
    } else {
      std::string piece(1, c);
      while (i + 1 < text.size() && is_continuation(text[i + 1])) {
        piece += text[++i];
      }
      pieces.push_back(std::move(piece));
    }
    total += display_width(pieces.back());
  }
  std::string out;
  if (max_width == 0 || total <= max_width) {
    for (const auto& piece : pieces) {
      out += piece;
    }
    return out;
  }
  std::size_t width = 0;
  for (const auto& piece : pieces) {
    const std::size_t piece_width = display_width(piece);
    if (width + piece_width + 1 > max_width) {
      break;
    }
    out += piece;
    width += piece_width;
  }
  return out + "…";
}

std::string format_time(std::int64_t ms)
{
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm local{};
  localtime_r(&seconds, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return fmt::format("{}.{:03}", text, ms % 1000);
}

std::string format_span(std::int64_t ms)
{
  if (ms < 0) {
    ms = -ms;
  }
  if (ms < 1000) {
    return fmt::format("{}ms", ms);
  }
  if (ms < 60'000) {
    return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000.0);
  }
  const std::int64_t s = ms / 1000;
  if (s < 3600) {
    return fmt::format("{}m {:02}s", s / 60, s % 60);
  }
  if (s < 86'400) {
    return fmt::format("{}h {:02}m", s / 3600, s % 3600 / 60);
  }
  return fmt::format("{}d {:02}h", s / 86'400, s % 86'400 / 3600);
}

std::string format_when(std::int64_t ms, std::int64_t now_ms)
{
  if (ms > now_ms) {
    return fmt::format("{} (in {})", format_time(ms), format_span(ms - now_ms));
  }
  return fmt::format("{} ({} ago)", format_time(ms), format_span(now_ms - ms));
}

} // namespace inspect
