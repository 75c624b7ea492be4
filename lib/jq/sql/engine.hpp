#pragma once

#include <jq/core/run_result.hpp>
#include <jq/sql/database_spec.hpp>
#include <jq/sql/request.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

// The seam between the queue-facing job handler and the database engines.
// A Database is one `--db` of the worker, shared by its threads; each thread
// opens a Session on it and runs requests there. Every engine keeps the same
// contract: the reply shape below, one transaction per request, the
// exactly-once ledger in that transaction, the limits, and interruption.
// The engines: SQLite (sql/sqlite/), PostgreSQL (sql/postgres/), and MySQL
// and MariaDB (sql/mysql/); the two server engines share sql/server/, and
// are modules that libjq loads when needed (engine_module.hpp).

namespace jq::sql {

// Caps on what one job may take. Going over fails the job with a reason
// that names the limit (a reply is never silently cut short).
struct Limits
{
  std::size_t max_rows = 1'000'000;
  std::size_t max_result_bytes = 64 * 1024 * 1024; // as JSON, roughly
  // The longest TEXT or BLOB a statement may make, read or bind (and the
  // longest SQL text): SQLite's SQLITE_LIMIT_LENGTH.
  std::size_t max_value_bytes = 64 * 1024 * 1024;
};

// How one request runs.
struct RunOptions
{
  // When set, a write's reply is recorded under this key in the database's
  // ledger (`_jq_ledger`) in the same transaction as the write; a second
  // run with the same key returns the recorded reply and does not write
  // again. Reads and read-only databases keep no record.
  std::string idempotency_key;
  // Polled while the request runs or waits for a lock, also from another
  // thread (so it must be safe to call from one); returning true stops it,
  // rolls back and throws SqlError (interrupted).
  std::function<bool()> should_interrupt;
};

// One request of a batch (Session::run_batch) and what became of it: the
// reply, or the error run() would have thrown, and when it was known.
struct BatchRun
{
  const Request* request = nullptr;
  const RunOptions* options = nullptr;
  RunResult result;
};

// One thread's connection to a Database. Not thread-safe.
class Session
{
public:
  virtual ~Session() = default;

  // Run `request` in one transaction and return the reply as JSON text:
  // {"columns": [...], "rows": [[...]], "changes": N, "last_insert_rowid":
  // N} (null on PostgreSQL, which has no rowid; MySQL's AUTO_INCREMENT id).
  // Integers stay 64-bit, NULL is null, blobs are {"$base64": "..."}. Throws
  // JobError (bad parameters, a limit) or SqlError (the database refused;
  // nothing is written).
  virtual std::string run(const Request& request,
                          const RunOptions& options) = 0;

  // Run each of `runs` as run() would, and set its reply or error and
  // `done`. Each is still its own job: one's failure changes nothing for
  // the others. An engine that can commit several writes together does so
  // (SQLite's shared writer); by default they run one after another.
  virtual void run_batch(std::span<BatchRun* const> runs);

  // True when `request` is a write this session runs on a writer it
  // shares with the others, where run_batch commits writes together
  // (decided as run() decides it, once per SQL text). False when in doubt.
  virtual bool is_shared_write(const Request& request,
                               const RunOptions& options);

  // Run `request` as run() would, unless it is a shared write (above),
  // which is left for run_batch: std::nullopt then. One look at the
  // request where is_shared_write() and run() would take two.
  virtual std::optional<std::string>
  run_unless_shared_write(const Request& request, const RunOptions& options);
};

// A database the worker was given. Thread-safe.
class Database
{
public:
  virtual ~Database() = default;

  const std::string& name() const noexcept
  {
    return m_name;
  }

  // A new session for the calling thread, for the job(s) that need it:
  // `should_interrupt` (when set) stops a wait for another process's lock
  // while it opens.
  virtual std::unique_ptr<Session>
  open_session(const std::function<bool()>& should_interrupt) = 0;

protected:
  explicit Database(std::string name)
    : m_name(std::move(name))
  {
  }

private:
  std::string m_name;
};

using Databases = std::vector<std::shared_ptr<Database>>;

// How the databases of one worker are opened.
struct EngineOptions
{
  Limits limits;
  // Threads that will run sessions at once: above 1, SQLite's writes go
  // through one connection per database that the sessions share.
  int sessions = 1;
  // SQLite's PRAGMA synchronous=NORMAL instead of FULL: in WAL mode a commit
  // no longer waits for the disk; a power loss (not a crash of the worker)
  // can lose the last commits, but never corrupts the file.
  bool synchronous_normal = false;
  // The most memory the jobs of the whole process may take together: SQLite
  // may hold seven eighths of it (sqlite3_hard_heap_limit64), the rest is
  // left for the worker itself; 0: no limit. Replies are bounded apart, per
  // job, by Limits::max_result_bytes.
  std::size_t max_memory = 0;
};

// Open every database in `specs`, now, so a bad one is found at start-up.
// Throws UsageError naming the one that cannot be opened, or a name given
// twice. A server that is merely down is not an error here (see
// postgres/engine.hpp, mysql/engine.hpp).
Databases open_databases(const std::vector<DatabaseSpec>& specs,
                         const EngineOptions& options);

} // namespace jq::sql
