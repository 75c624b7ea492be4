#pragma once

#include <jq/sql/sqlite/statement_cache.hpp>

#include <memory>
#include <vector>

struct sqlite3;
struct sqlite3_context;
struct sqlite3_value;

namespace jq::sql::sqlite {

// Puts SQLite's printf() (and its other name, format()) behind a check of
// the widths and precisions it is asked for. SQLite stops filling a string
// at the length limit, but printf('%.*c', 900000000, 'x') still counts to
// 900 million (about ten seconds, deaf to interruption) and then returns
// NULL, as if nothing were wrong. With the guard, widths and precisions that
// add up past the limit (the result would be longer anyway) fail the
// statement with SQLITE_TOOBIG at once; any other call runs SQLite's own
// printf() on a private in-memory connection, so results are SQLite's to
// the byte. Not thread-safe (like the connection it serves); outlives its
// connection.
class PrintfGuard
{
public:
  // Replace printf() and format() on `handle`, whose SQLITE_LIMIT_LENGTH is
  // `max_length`. Throws SqlError if that fails.
  PrintfGuard(sqlite3* handle, int max_length);
  ~PrintfGuard();
  PrintfGuard(const PrintfGuard&) = delete;
  PrintfGuard& operator=(const PrintfGuard&) = delete;

private:
  struct Close
  {
    void operator()(sqlite3* handle) const noexcept;
  };
  static void call(sqlite3_context* context, int argc, sqlite3_value** argv);

  int m_max_length;
  std::unique_ptr<sqlite3, Close> m_formatter;
  // "SELECT printf(?1, ..., ?N)" by N, prepared on first use.
  std::vector<StatementPtr> m_calls;
};

} // namespace jq::sql::sqlite
