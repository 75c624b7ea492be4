#pragma once

#include <jq/sql/request.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace jq::sql {

namespace detail {
struct Connection;
struct SharedConnection;
} // namespace detail

// A database a worker was given: `--db NAME=PATH[:ro]`.
struct DatabaseSpec
{
  std::string name;
  std::string path;
  bool read_only = false;
  // PRAGMA synchronous=NORMAL instead of SQLite's FULL: in WAL mode a commit
  // no longer waits for the disk; a power loss (not a crash of the worker)
  // can lose the last commits, but never corrupts the file.
  bool synchronous_normal = false;
};

// Parse `NAME=PATH` or `NAME=PATH:ro`. Throws UsageError.
DatabaseSpec parse_database_spec(std::string_view text);

// Caps on one reply, so a careless query cannot exhaust the worker or
// Redis. Going over fails the job with a reason that names the limit (the
// reply is never silently cut short).
struct Limits
{
  std::size_t max_rows = 1'000'000;
  std::size_t max_result_bytes = 64 * 1024 * 1024; // as JSON, roughly
};

// How one request runs.
struct RunOptions
{
  // When set, a write's reply is recorded under this key in the database's
  // ledger table (`_jq_ledger`) in the same transaction as the write; a
  // second run with the same key returns the recorded reply and does not
  // write again. Reads and read-only databases keep no record.
  std::string idempotency_key;
  // Polled while the statement runs; returning true interrupts it, rolls
  // back and throws SqlError with SQLITE_INTERRUPT.
  std::function<bool()> should_interrupt;
};

// The write connections that several executors (one per worker thread)
// share: one per read-write database, used by one executor at a time.
// SQLite lets one connection write to a file at a time anyway; one shared
// connection keeps its page cache warm and hands over at once, where a
// connection per thread would wait in SQLite's busy handler, which sleeps.
class SharedWriters
{
public:
  // Opens every read-write database now. Throws UsageError.
  explicit SharedWriters(const std::vector<DatabaseSpec>& databases);
  ~SharedWriters();
  SharedWriters(const SharedWriters&) = delete;
  SharedWriters& operator=(const SharedWriters&) = delete;

private:
  friend class Executor;
  std::map<std::string, std::unique_ptr<detail::SharedConnection>, std::less<>>
    m_connections;
};

// Runs SQL requests against a fixed set of SQLite databases and returns the
// typed reply: {"columns": [...], "rows": [[...]], "changes": N,
// "last_insert_rowid": N}. Integers stay 64-bit, NULL is null, blobs are
// {"$base64": "..."}. Not thread-safe: give each worker thread its own (they
// may share one SharedWriters).
class Executor
{
public:
  // Opens every database now (so a bad path is found at start-up, not at the
  // first job). Throws UsageError if one cannot be opened. With `writers`,
  // writes go through its connections and this executor's own ones only
  // read.
  explicit Executor(const std::vector<DatabaseSpec>& databases,
                    Limits limits = {},
                    std::shared_ptr<SharedWriters> writers = nullptr);
  ~Executor();
  Executor(Executor&&) noexcept;
  Executor& operator=(Executor&&) noexcept;
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Run `request` in one transaction. Throws JobError for an unknown
  // database or bad parameters, SqlError for SQLite's errors (the transaction
  // is rolled back).
  nlohmann::json run(const Request& request, const RunOptions& options = {});

  // Ledger rows older than this are pruned (now and then, during writes).
  static constexpr std::chrono::hours k_ledger_retention{24 * 7};

private:
  // Whether `request` only reads (prepared on `connection` to find out).
  static bool is_read_only_job(detail::Connection& connection,
                               const Request& request);
  nlohmann::json run_on(detail::Connection& connection,
                        const Request& request,
                        const RunOptions& options);

  std::map<std::string, std::unique_ptr<detail::Connection>, std::less<>>
    m_connections;
  Limits m_limits;
  std::shared_ptr<SharedWriters> m_writers;
};

} // namespace jq::sql
