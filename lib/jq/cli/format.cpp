#include "format.hpp"

#include <jq/cli/display_width.hpp>
#include <jq/core/error.hpp>
#include <jq/core/json.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

namespace jq::cli {

namespace {

using nlohmann::json;

constexpr std::string_view k_column_gap = "  ";

// A {"columns": [...], "rows": [...]} reply, as opposed to a foreign
// worker's arbitrary return value.
bool is_reply(const json& result)
{
  if (!result.is_object()) {
    return false;
  }
  const auto columns = result.find("columns");
  const auto rows = result.find("rows");
  return columns != result.end() && columns->is_array() && rows != result.end()
         && rows->is_array();
}

// One cell of a reply; `is_null` and `is_number` drive the per-format
// rendering.
struct Cell
{
  std::string text;
  bool is_null = false;
  bool is_number = false;
};

Cell to_cell(const json& value)
{
  if (value.is_null()) {
    return {"", true, false};
  }
  if (value.is_string()) {
    return {value.get<std::string>(), false, false};
  }
  if (value.is_number()) {
    return {jq::dump_json(value), false, true};
  }
  if (value.is_object() && value.size() == 1 && value.contains("$base64")
      && value["$base64"].is_string()) {
    return {value["$base64"].get<std::string>(), false, false};
  }
  return {jq::dump_json(value), false, false};
}

// The column names and cells of `result`, tolerating rows that are objects
// (keyed by column name) or of the wrong length, since the reply may come
// from another worker.
struct Table
{
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;
};

Table to_table(const json& result)
{
  Table table;
  for (const auto& column : result["columns"]) {
    table.columns.push_back(column.is_string() ? column.get<std::string>()
                                               : jq::dump_json(column));
  }
  for (const auto& row : result["rows"]) {
    std::vector<Cell> cells;
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
      if (row.is_array()) {
        cells.push_back(i < row.size() ? to_cell(row[i]) : to_cell(nullptr));
      } else if (row.is_object()) {
        const auto value = row.find(table.columns[i]);
        cells.push_back(value != row.end() ? to_cell(*value)
                                           : to_cell(nullptr));
      } else {
        cells.push_back(i == 0 ? to_cell(row) : to_cell(nullptr));
      }
    }
    table.rows.push_back(std::move(cells));
  }
  return table;
}

// Tab, newline and carriage return as \t, \n and \r (and a backslash as
// \\ when `backslash_too`), so that a value stays on its line and in its
// column.
std::string escape_breaks(std::string_view text, bool backslash_too)
{
  std::string escaped;
  escaped.reserve(text.size());
  for (const char c : text) {
    switch (c) {
    case '\n':
      escaped += "\\n";
      break;
    case '\r':
      escaped += "\\r";
      break;
    case '\t':
      escaped += "\\t";
      break;
    case '\\':
      escaped += backslash_too ? "\\\\" : "\\";
      break;
    default:
      escaped += c;
    }
  }
  return escaped;
}

// Control characters would break a table's alignment, so they are shown
// escaped.
std::string escape_for_table(std::string_view text)
{
  return escape_breaks(text, false);
}

void write_changes(std::ostream& out, const json& result)
{
  const auto changes = result.find("changes");
  const std::string count = changes != result.end() && changes->is_number()
                              ? jq::dump_json(*changes)
                              : "0";
  out << '(' << count << (count == "1" ? " row" : " rows") << " changed)\n";
}

void write_table(std::ostream& out, const Table& table)
{
  const std::size_t column_count = table.columns.size();
  std::vector<std::string> header;
  std::vector<std::size_t> widths;
  std::vector<bool> is_numeric(column_count, false);
  for (std::size_t i = 0; i < column_count; ++i) {
    header.push_back(escape_for_table(table.columns[i]));
    widths.push_back(display_width(header.back()));
  }
  std::vector<std::vector<std::string>> texts;
  for (const auto& row : table.rows) {
    std::vector<std::string> line;
    for (std::size_t i = 0; i < column_count; ++i) {
      const Cell& cell = row[i];
      line.push_back(cell.is_null ? "NULL" : escape_for_table(cell.text));
      widths[i] = std::max(widths[i], display_width(line.back()));
    }
    texts.push_back(std::move(line));
  }
  // A column whose values are all numbers gets a right-aligned header too.
  for (std::size_t i = 0; i < column_count; ++i) {
    bool has_number = false;
    bool has_other = false;
    for (const auto& row : table.rows) {
      has_number = has_number || row[i].is_number;
      has_other = has_other || (!row[i].is_number && !row[i].is_null);
    }
    is_numeric[i] = has_number && !has_other;
  }

  const auto write_line = [&](const std::vector<std::string>& cells,
                              const auto& is_right_aligned) {
    std::string line;
    for (std::size_t i = 0; i < column_count; ++i) {
      if (i > 0) {
        line += k_column_gap;
      }
      const std::string padding(widths[i] - display_width(cells[i]), ' ');
      if (is_right_aligned(i)) {
        line += padding + cells[i];
      } else {
        line += cells[i] + padding;
      }
    }
    // Padding after the last column is invisible and only gets in the way
    // of diffs and copy-paste.
    line.erase(line.find_last_not_of(' ') + 1);
    out << line << '\n';
  };

  write_line(header, [&](std::size_t i) { return is_numeric[i]; });
  std::vector<std::string> dashes;
  for (const auto width : widths) {
    dashes.emplace_back(width, '-');
  }
  write_line(dashes, [](std::size_t) { return false; });
  for (std::size_t r = 0; r < texts.size(); ++r) {
    // NULL sits with the numbers in a numeric column.
    write_line(texts[r], [&](std::size_t i) {
      const Cell& cell = table.rows[r][i];
      return cell.is_number || (cell.is_null && is_numeric[i]);
    });
  }
}

// RFC 4180: quote a field holding a separator, a quote or a line break, and
// double its quotes.
std::string csv_field(std::string_view text)
{
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
    return std::string(text);
  }
  std::string quoted = "\"";
  for (const char c : text) {
    if (c == '"') {
      quoted += '"';
    }
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

// TSV has no quoting, so the characters that would split a field or a
// record are escaped, and the escape character itself.
std::string tsv_field(std::string_view text)
{
  return escape_breaks(text, true);
}

template<typename Field>
void write_separated(std::ostream& out,
                     const Table& table,
                     char separator,
                     Field field)
{
  const auto write_line = [&](const auto& cells, const auto& text_of) {
    for (std::size_t i = 0; i < cells.size(); ++i) {
      if (i > 0) {
        out << separator;
      }
      out << field(text_of(cells[i]));
    }
    out << '\n';
  };
  write_line(table.columns, [](const std::string& name) { return name; });
  for (const auto& row : table.rows) {
    write_line(row, [](const Cell& cell) { return cell.text; });
  }
}

void write_value(std::ostream& out, const Table& table)
{
  if (table.columns.size() != 1 || table.rows.size() != 1) {
    throw NotOneValue(
      fmt::format("--format value needs exactly one row and one column; the "
                  "result has {} row{} and {} column{}",
                  table.rows.size(),
                  table.rows.size() == 1 ? "" : "s",
                  table.columns.size(),
                  table.columns.size() == 1 ? "" : "s"));
  }
  out << table.rows[0][0].text << '\n';
}

} // namespace

Format parse_format(std::string_view text)
{
  if (text == "json") {
    return Format::json;
  }
  if (text == "table") {
    return Format::table;
  }
  if (text == "csv") {
    return Format::csv;
  }
  if (text == "tsv") {
    return Format::tsv;
  }
  if (text == "value") {
    return Format::value;
  }
  throw UsageError(fmt::format(
    "unknown format '{}' (expected json, table, csv, tsv or value)", text));
}

void write_result(std::ostream& out, Format format, const json& result)
{
  if (format == Format::json || !is_reply(result)) {
    out << jq::dump_json(result) << '\n';
    return;
  }
  const Table table = to_table(result);
  switch (format) {
  case Format::table:
    if (table.columns.empty()) {
      write_changes(out, result);
    } else {
      write_table(out, table);
    }
    return;
  case Format::csv:
    if (!table.columns.empty()) {
      write_separated(out, table, ',', csv_field);
    }
    return;
  case Format::tsv:
    if (!table.columns.empty()) {
      write_separated(out, table, '\t', tsv_field);
    }
    return;
  case Format::value:
    write_value(out, table);
    return;
  case Format::json:
    break;
  }
}

} // namespace jq::cli
