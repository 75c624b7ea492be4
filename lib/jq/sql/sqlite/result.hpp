#pragma once

#include <jq/sql/budget.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string_view>

struct sqlite3_stmt;

namespace jq::sql::sqlite {

class Connection;

// The current row's column `column` as stored (sqlite3_column_blob converts
// nothing), with an empty value's null pointer made safe.
std::string_view column_bytes(sqlite3_stmt* statement, int column);

// Step the job statement `statement` to its end, appending its rows to
// `rows` (each value charged to `budget` before it is copied). Returns the
// rows it changed. Throws SqlError as `connection` words it.
std::int64_t step_all(Connection& connection,
                      sqlite3_stmt* statement,
                      nlohmann::json& rows,
                      ResultBudget& budget);

// The current row's column `column` as UTF-8 text (converted from the
// database's encoding if need be).
std::string_view column_text(sqlite3_stmt* statement, int column);

// The statement's column names, as a JSON array.
nlohmann::json column_names(sqlite3_stmt* statement);

} // namespace jq::sql::sqlite
