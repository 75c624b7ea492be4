#pragma once

#include <jq/sql/sqlite/statement_cache.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

struct sqlite3;
struct sqlite3_context;
struct sqlite3_value;

namespace jq::sql::sqlite {

// Puts the SQLite functions whose single call can run for minutes behind a
// check of the work they are asked for. SQLite looks for an interruption
// only between the steps of a statement, never inside a function, so one
// such call would hold its worker slot long past the job's time limit:
// - printf() and format() count out every width and precision, even past
//   the length limit (printf('%.*c', 900000000, 'x') counts for ten
//   seconds, then returns NULL as if nothing were wrong);
// - instr(), replace(), trim()/ltrim()/rtrim() with characters, like() and
//   glob() compare text with a pattern in time that grows with the product
//   of their lengths (two 64 MiB values: days).
// A call asked for more than its budget fails at once, with a reason (for
// printf(), SQLITE_TOOBIG, as the result would be over the length limit
// anyway); any other call runs SQLite's own function on a private
// in-memory connection, so its results are SQLite's to the byte. Not
// thread-safe (like the connection it serves); outlives its connection.
class FunctionGuard
{
public:
  // The most a pattern search may compare in one call, as the product of
  // the lengths (bytes) of its text and its pattern: under about a second
  // for the slowest of them on today's machines.
  static constexpr std::int64_t k_max_search_work = 1'000'000'000;

  // Replace the guarded functions on `handle`, whose SQLITE_LIMIT_LENGTH is
  // `max_length`. Throws SqlError if that fails.
  FunctionGuard(sqlite3* handle, int max_length);
  ~FunctionGuard();
  FunctionGuard(const FunctionGuard&) = delete;
  FunctionGuard& operator=(const FunctionGuard&) = delete;

private:
  struct Close
  {
    void operator()(sqlite3* handle) const noexcept;
  };

  static void call(sqlite3_context* context, int argc, sqlite3_value** argv);
  // SQLite's own `name` on the private connection, with `argc` arguments.
  sqlite3_stmt* original(const char* name, int argc);

  int m_max_length;
  std::unique_ptr<sqlite3, Close> m_originals;
  // "SELECT name(?1, ..., ?N)" by name and N, prepared on first use.
  std::map<std::pair<std::string, int>, StatementPtr> m_calls;
};

} // namespace jq::sql::sqlite
