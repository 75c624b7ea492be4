#pragma once

#include <jq/sql/sqlite/statement_cache.hpp>

#include <cstdint>
#include <functional>
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
//   glob() compare text with a pattern, and json_patch() merges two
//   objects, in time that grows with the product of their lengths (two
//   64 MiB values: days).
// A call asked for more than its budget (about a second of the worst case)
// fails at once, with a reason (for printf(), SQLITE_TOOBIG, as the result
// would be over the length limit anyway); any other call runs SQLite's own
// code: like() and glob() through sqlite3_strlike()/sqlite3_strglob(), the
// others on a private in-memory connection, so results are SQLite's to the
// byte. Each call also asks whether the job was interrupted, so a statement
// that calls one for every row stops in time. (Overriding like() and glob()
// costs SQLite's LIKE/GLOB prefix optimisation: such a query no longer uses
// an index.) Not thread-safe (like the connection it serves); outlives its
// connection.
class FunctionGuard
{
public:
  // Replace the guarded functions on `handle`, whose SQLITE_LIMIT_LENGTH is
  // `max_length`; `is_interrupted` says whether the running job was
  // stopped. Throws SqlError if that fails.
  FunctionGuard(sqlite3* handle,
                int max_length,
                std::function<bool()> is_interrupted);
  ~FunctionGuard();
  FunctionGuard(const FunctionGuard&) = delete;
  FunctionGuard& operator=(const FunctionGuard&) = delete;

private:
  struct Close
  {
    void operator()(sqlite3* handle) const noexcept;
  };

  struct Registrations;

  static void call(sqlite3_context* context, int argc, sqlite3_value** argv);
  // "SELECT name(?1, ..., ?N)" on the private connection (null if it does
  // not prepare).
  StatementPtr prepare_original(const char* name, int argc);
  // The same for a function with any number of arguments, kept by N.
  sqlite3_stmt* original(const char* name, int argc);

  int m_max_length;
  std::function<bool()> m_is_interrupted;
  std::unique_ptr<sqlite3, Close> m_originals;
  std::map<std::pair<std::string, int>, StatementPtr> m_variadic_calls;
  // Declared last: their statements are finalized first.
  std::unique_ptr<Registrations> m_registrations;
};

} // namespace jq::sql::sqlite
