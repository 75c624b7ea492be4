#pragma once

#include <jq/core/error.hpp>
#include <jq/sql/engine.hpp>
#include <jq/sql/sqlite/function_guard.hpp>
#include <jq/sql/sqlite/handles.hpp>
#include <jq/sql/sqlite/sandbox.hpp>
#include <jq/sql/sqlite/statement_cache.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace jq::sql::sqlite {

// What may be interrupted: a job's statements and its waits for a lock, or
// the waits only (BEGIN and COMMIT, which must either happen or not: the
// wait ends with SQLITE_BUSY, and nothing began or committed).
enum class InterruptReach { statements_and_waits, waits_only };

// One SQLite connection that runs jobs, on SQLite's own API: the handle
// (closed last), its sandbox, the job statements seen before, and the
// connection's own statements (BEGIN, COMMIT, ROLLBACK). Waits for another
// connection's lock in its own busy handler, which gives up as soon as the
// running job is interrupted. Neither copied nor moved (SQLite keeps
// pointers to it). Not thread-safe.
class Connection
{
public:
  // Open the SQLite file at `path`, read-only when `read_only`. Throws
  // SqlError if it cannot be opened or is not a database.
  // Opening reads the schema, and so waits for another process's lock as
  // every statement does; `should_interrupt` (when set) stops that wait.
  Connection(const std::string& path,
             bool read_only,
             bool synchronous_normal,
             const Limits& limits,
             const std::function<bool()>& should_interrupt = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  sqlite3* handle() const noexcept
  {
    return m_handle.get();
  }
  bool is_read_only() const noexcept
  {
    return m_is_read_only;
  }
  Sandbox& sandbox() noexcept
  {
    return m_sandbox;
  }

  // The statement of a job's `sql`: the cached one, or a new one prepared
  // under the sandbox (kept in the cache, or in `spare` when the cache
  // does not keep it). Throws JobError or SqlError when it is refused.
  sqlite3_stmt* job_statement(const std::string& sql, StatementPtr& spare);

  // Prepare a job's `sql` under the sandbox, uncached: exactly one
  // statement, no VACUUM.
  StatementPtr prepare_job(const std::string& sql);

  // Step a job statement once, under the sandbox's rules for a running
  // statement. Returns SQLite's result code.
  int step_job(sqlite3_stmt* statement);

  StatementCache& statements() noexcept
  {
    return m_statements;
  }

  // Prepare one of the connection's own statements (trusted).
  StatementPtr prepare_own(const char* sql);
  // Step one of the connection's own statements once (trusted), then reset
  // it.
  void run_own(sqlite3_stmt* statement);

  // BEGIN IMMEDIATE (`is_write`) or DEFERRED; COMMIT; ROLLBACK if a
  // transaction is open.
  void begin(bool is_write);
  void commit();
  void rollback() noexcept;

  // The error of the last failed call on the handle, worded for a user:
  // what the sandbox refused, which limit was reached, or that the job was
  // interrupted.
  SqlError last_error() const;

  // Let `should_interrupt` stop the running statement and any wait for a
  // lock (or, with InterruptReach::waits_only, the waits only), until
  // end_interruptible(). Polled every 1000 virtual machine steps and every
  // few milliseconds of a wait.
  void begin_interruptible(const std::function<bool()>& should_interrupt,
                           InterruptReach reach);
  void end_interruptible() noexcept;

  // How long a wait for another connection's lock may last.
  static constexpr std::chrono::milliseconds k_busy_timeout{30'000};

private:
  static int on_busy(void* self, int count);
  static int on_progress(void* self);
  bool is_interrupted() const;

  // Declared first, so it outlives the handle that points to it.
  Sandbox m_sandbox;
  const std::function<bool()>* m_should_interrupt = nullptr;
  bool m_was_interrupted = false;
  // Whether the progress handler and the watchdog look at the job.
  bool m_is_watched = false;
  std::chrono::steady_clock::time_point m_busy_since;
  Limits m_limits;
  bool m_is_read_only = false;
  std::optional<FunctionGuard> m_function_guard;
  // Every statement below is finalized before the handle closes.
  DatabasePtr m_handle;
  StatementCache m_statements;
  StatementPtr m_begin_deferred;
  StatementPtr m_begin_immediate;
  StatementPtr m_commit;
  StatementPtr m_rollback;
};

// Marks the scope in which `connection`'s running job may be interrupted.
class InterruptScope
{
public:
  InterruptScope(Connection& connection,
                 const std::function<bool()>& should_interrupt,
                 InterruptReach reach = InterruptReach::statements_and_waits)
    : m_connection(connection)
  {
    m_connection.begin_interruptible(should_interrupt, reach);
  }
  ~InterruptScope()
  {
    m_connection.end_interruptible();
  }
  // It keeps a reference: a temporary would be gone before the scope ends.
  InterruptScope(Connection&, std::function<bool()>&&, InterruptReach) = delete;
  InterruptScope(Connection&, std::function<bool()>&&) = delete;
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

private:
  Connection& m_connection;
};

// One transaction on a connection; rolled back unless committed.
class Transaction
{
public:
  Transaction(Connection& connection, bool is_write)
    : m_connection(connection)
  {
    m_connection.begin(is_write);
  }
  ~Transaction()
  {
    if (!m_is_done) {
      m_connection.rollback();
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit()
  {
    m_connection.commit();
    m_is_done = true;
  }

private:
  Connection& m_connection;
  bool m_is_done = false;
};

// Resets a statement and clears its bindings when the scope ends, so a
// cached statement holds no lock and no parameter between jobs.
class ResetOnExit
{
public:
  explicit ResetOnExit(sqlite3_stmt* statement) noexcept
    : m_statement(statement)
  {
  }
  ~ResetOnExit();
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

private:
  sqlite3_stmt* m_statement;
};

// Sets `flag` for the scope: Sandbox::is_trusted lets the connection's own
// statements past the authorizer, Sandbox::is_running marks a job
// statement's steps.
class FlagScope
{
public:
  explicit FlagScope(bool& flag) noexcept
    : m_flag(flag)
  {
    m_flag = true;
  }
  ~FlagScope()
  {
    m_flag = false;
  }
  FlagScope(const FlagScope&) = delete;
  FlagScope& operator=(const FlagScope&) = delete;

private:
  bool& m_flag;
};

} // namespace jq::sql::sqlite
