#pragma once

#include <jq/sql/engine.hpp>

#include <cstddef>
#include <string>
#include <string_view>

struct sqlite3;

// What a job may do on an SQLite connection. Jobs come from anyone who can
// write to the queue, so a job statement is held to these rules:
// - it stays in its own database: no ATTACH, no VACUUM (VACUUM INTO writes
//   another file), no extensions, only the pragmas that read the schema or
//   change this connection's SQL semantics;
// - it stays inside the executor's transaction: no BEGIN, COMMIT, ROLLBACK
//   or SAVEPOINT of its own;
// - it calls only the SQL functions on an allow-list (SQLite's built-in
//   scalar, aggregate, window, date, math, JSON and full-text functions)
//   minus those that load code or hand out or take pointers;
// - it leaves jq-worker's ledger (`_jq_ledger`) alone: no reading or
//   writing it, directly or from a trigger, and no schema change that names
//   it;
// - it makes no TEMP table, view, index or trigger: the connection outlives
//   the job, so one job's temporary objects would change later jobs (a TEMP
//   table even hides a `main` table of the same name);
// - its values are bounded (SQLITE_LIMIT_LENGTH) and SQLite's heap is
//   bounded for the whole process, so no job can take the host's memory.

namespace jq::sql::sqlite {

// The authorizer's state for one connection. The authorizer stays installed
// for the connection's life, so a job statement that SQLite prepares again
// (after a schema change, on its next step) is checked again.
struct Sandbox
{
  // The executor's own statements (BEGIN, COMMIT, the ledger) run trusted.
  bool is_trusted = false;
  // A job statement is being stepped: what is prepared now is that
  // statement again (its text passed the rules already) or SQL that SQLite
  // itself runs inside it, such as making an FTS table's shadow tables.
  bool is_running = false;
  // The text of the job statement being prepared or stepped.
  std::string_view job_sql;
  // Why the authorizer last refused something to a job; empty when it did
  // not.
  std::string denied;
};

// Make `handle` safe for jobs: defensive mode, no extension loading, no
// trust in functions stored in the schema, no FTS3 tokenizer pointers, no
// ATTACH, values of at most `limits.max_value_bytes`; and install the
// authorizer over `sandbox`, which must outlive the handle.
void confine(sqlite3* handle, Sandbox& sandbox, const Limits& limits);

// True if `sql` starts with VACUUM (after spaces, semicolons and comments):
// VACUUM INTO writes another file, and the authorizer sees VACUUM only
// through what it does inside, so it is refused by its text.
bool is_vacuum(std::string_view sql);

// Cap the memory of this process's jobs at `bytes` (0: no cap): SQLite may
// hold seven eighths of it (sqlite3_hard_heap_limit64), the rest is left for
// the worker itself. An allocation past it fails the statement with
// SQLITE_NOMEM, which Connection::last_error() words with the limit.
void set_memory_limit(std::size_t bytes);

// Settings of the SQLite library for this process, made once before it
// starts (a later call does nothing). set_memory_limit and every
// Connection call it.
void configure_library();

// The cap set by set_memory_limit (0: none).
std::size_t memory_limit();

} // namespace jq::sql::sqlite
