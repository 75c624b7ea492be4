#include "result.hpp"

#include <jq/core/base64.hpp>
#include <jq/sql/sqlite/connection.hpp>

#include <sqlite3.h>

#include <cmath>

namespace jq::sql::sqlite {

using nlohmann::json;

std::string_view column_bytes(sqlite3_stmt* statement, int column)
{
  const auto* data =
    static_cast<const char*>(sqlite3_column_blob(statement, column));
  const auto size =
    static_cast<std::size_t>(sqlite3_column_bytes(statement, column));
  return data == nullptr ? std::string_view() : std::string_view(data, size);
}

std::string_view column_text(sqlite3_stmt* statement, int column)
{
  const auto* data =
    reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
  const auto size =
    static_cast<std::size_t>(sqlite3_column_bytes(statement, column));
  return data == nullptr ? std::string_view() : std::string_view(data, size);
}

namespace {

// The JSON for the current row's column `column`.
json column_value(sqlite3_stmt* statement, int column, ResultBudget& budget)
{
  switch (sqlite3_column_type(statement, column)) {
  case SQLITE_INTEGER:
    budget.add_bytes(ResultBudget::k_scalar_cost);
    return sqlite3_column_int64(statement, column);
  case SQLITE_FLOAT: {
    budget.add_bytes(ResultBudget::k_scalar_cost);
    const double value = sqlite3_column_double(statement, column);
    if (!std::isfinite(value)) {
      budget.add_non_finite();
      return nullptr;
    }
    return value;
  }
  case SQLITE_TEXT: {
    const std::string_view text = column_text(statement, column);
    budget.add_bytes(ResultBudget::text_cost(text));
    // Kept byte for byte even when it is not valid UTF-8: dump_json
    // replaces what is not, so that cannot throw later.
    return std::string(text);
  }
  case SQLITE_BLOB: {
    const std::string_view bytes = column_bytes(statement, column);
    budget.add_bytes(ResultBudget::blob_cost(bytes.size()));
    return json{{"$base64", base64_encode(bytes)}};
  }
  default:
    budget.add_bytes(ResultBudget::k_scalar_cost);
    return nullptr;
  }
}

} // namespace

std::int64_t step_all(Connection& connection,
                      sqlite3_stmt* statement,
                      json& rows,
                      ResultBudget& budget)
{
  sqlite3* handle = connection.handle();
  const auto total_before = sqlite3_total_changes64(handle);
  for (;;) {
    const int rc = connection.step_job(statement);
    if (rc == SQLITE_DONE) {
      break;
    }
    if (rc != SQLITE_ROW) {
      throw connection.last_error();
    }
    budget.add_row();
    // Read per row: a step may have prepared the statement again.
    const int column_count = sqlite3_column_count(statement);
    json row = json::array();
    row.get_ref<json::array_t&>().reserve(
      static_cast<std::size_t>(column_count));
    for (int i = 0; i < column_count; ++i) {
      row.push_back(column_value(statement, i, budget));
    }
    rows.push_back(std::move(row));
  }
  // sqlite3_changes64 alone would repeat the previous statement's count for
  // a SELECT or a CREATE, so it only counts when the running total moved.
  return sqlite3_total_changes64(handle) == total_before
           ? 0
           : sqlite3_changes64(handle);
}

json column_names(sqlite3_stmt* statement)
{
  json columns = json::array();
  const int column_count = sqlite3_column_count(statement);
  for (int i = 0; i < column_count; ++i) {
    const char* name = sqlite3_column_name(statement, i);
    columns.push_back(name == nullptr ? "" : name);
  }
  return columns;
}

} // namespace jq::sql::sqlite
