#pragma once

#include <jq/sql/budget.hpp>

#include <nlohmann/json.hpp>

#include <mysql.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace jq::sql::mysql {

// What a reply needs to know of a result column.
struct Column
{
  enum_field_types type = MYSQL_TYPE_NULL;
  unsigned int flags = 0;
  unsigned int charset = 0; // 63: binary
  bool is_json = false;     // MySQL's JSON, or MariaDB's format "json"
};

// One fetched value, in the buffer its column was bound to.
struct Cell
{
  std::int64_t integer = 0;
  float real4 = 0;
  double real = 0;
  MYSQL_TIME time{};
  std::string_view bytes;
};

// The value of `cell` in the reply, charged to `budget` first. Types are
// kept (README.md, "MySQL and MariaDB"): integers (BOOLEAN is TINYINT(1))
// as exact JSON integers, BIGINT UNSIGNED too (past 2^63 as JSON's unsigned
// integer); BIT as an integer; FLOAT and DOUBLE as numbers; DECIMAL as a
// string (exact); DATE as "2026-12-04", DATETIME as "2026-12-04T10:00:00",
// TIMESTAMP, in UTC, as "2026-12-04T10:00:00Z" (fractions of seconds when
// there are some); TIME as "10:00:00"; binary strings (BLOB, BINARY,
// VARBINARY, GEOMETRY) as {"$base64": ...}; JSON as the value itself when
// the server says the column is JSON; anything else as its text.
nlohmann::json
value_of(const Column& column, const Cell& cell, ResultBudget& budget);

struct FreeResult
{
  void operator()(MYSQL_RES* result) const noexcept
  {
    mysql_free_result(result);
  }
};
using ResultPtr = std::unique_ptr<MYSQL_RES, FreeResult>;

// The result set of an executed statement: its columns bound to buffers
// (mysql_stmt_bind_result) so that each fetched row can be read. Values
// longer than the buffers are fetched apart (mysql_stmt_fetch_column).
class ResultSet
{
public:
  // Takes `metadata` (mysql_stmt_result_metadata). Throws SqlError when
  // the columns cannot be bound.
  ResultSet(MYSQL_STMT* statement, ResultPtr metadata);
  ResultSet(const ResultSet&) = delete;
  ResultSet& operator=(const ResultSet&) = delete;

  // The column names, as a JSON array.
  nlohmann::json column_names() const;

  // The row just fetched, as a JSON array, each value charged first.
  nlohmann::json read_row(ResultBudget& budget);

private:
  static constexpr std::size_t k_inline_bytes = 256;
  struct Buffer
  {
    Cell cell;
    std::array<char, k_inline_bytes> bytes{};
    std::string overflow;
    unsigned long length = 0;
    my_bool is_null = 0;
    my_bool error = 0;
  };

  MYSQL_STMT* m_statement;
  ResultPtr m_metadata;
  std::vector<Column> m_columns;
  std::vector<std::string> m_names;
  std::vector<MYSQL_BIND> m_binds;
  std::vector<Buffer> m_buffers; // sized once: the binds point into it
};

} // namespace jq::sql::mysql
