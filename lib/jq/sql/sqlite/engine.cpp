#include "engine.hpp"

#include <jq/core/error.hpp>
#include <jq/core/json.hpp>
#include <jq/sql/sqlite/bind.hpp>
#include <jq/sql/sqlite/connection.hpp>
#include <jq/sql/sqlite/ledger.hpp>
#include <jq/sql/sqlite/result.hpp>

#include <fmt/format.h>

#include <sqlite3.h>

#include <condition_variable>
#include <mutex>
#include <optional>

namespace jq::sql::sqlite {

namespace {

using nlohmann::json;

// A connection and the ledger of its database, declared in that order so
// the ledger's statements are finalized before the connection closes.
struct Link
{
  Link(const DatabaseSpec& spec, const EngineOptions& options)
    : connection(
      spec.path, spec.read_only, options.synchronous_normal, options.limits),
      ledger(connection)
  {
  }

  Connection connection;
  Ledger ledger;
};

// The recorded reply of a job that could not be prepared, if it ran before:
// a job delivered again after its worker died may fail to prepare only
// because of what it did (the table it made exists now).
std::optional<std::string> recorded_reply(Link& link, const RunOptions& options)
{
  if (options.idempotency_key.empty() || link.connection.is_read_only()) {
    return std::nullopt;
  }
  return link.ledger.recorded(options.idempotency_key);
}

// Run `request` on `link` in one transaction (see Session::run). `prepared`
// is its statement when the caller prepared it already (and the cache did
// not keep it).
std::string run_on(Link& link,
                   const Request& request,
                   const RunOptions& options,
                   const Limits& limits,
                   StatementPtr prepared = nullptr)
{
  Connection& connection = link.connection;
  const InterruptScope interrupt(connection, options.should_interrupt);

  // Declared first so a statement the cache did not keep is finalized
  // last, after the reset and the rollback below.
  StatementPtr spare = std::move(prepared);
  sqlite3_stmt* statement = spare.get();
  try {
    if (statement == nullptr && request.rows && request.rows->empty()) {
      // Only a step prepares a cached statement again after a schema
      // change, so one that will not be stepped (an empty batch) is
      // prepared now, to report today's columns and errors.
      spare = connection.prepare_job(request.sql);
      statement = spare.get();
    } else if (statement == nullptr) {
      statement = connection.job_statement(request.sql, spare);
    }
  } catch (const JobError&) {
    if (auto recorded = recorded_reply(link, options)) {
      return std::move(*recorded);
    }
    throw;
  }
  const bool is_read_only =
    connection.is_read_only() || sqlite3_stmt_readonly(statement) != 0;
  const bool use_ledger = !is_read_only && !options.idempotency_key.empty();

  if (use_ledger) {
    link.ledger.prepare();
  }
  // One statement run once is a transaction of its own; anything more gets
  // an explicit one. A write takes the write lock up front: upgrading a
  // deferred read transaction can fail with SQLITE_BUSY without waiting.
  std::optional<Transaction> transaction;
  if (!is_read_only || request.rows) {
    transaction.emplace(connection, !is_read_only);
  }
  // After the transaction so it is reset before a rollback.
  const ResetOnExit reset(statement);
  if (use_ledger) {
    // Under the write lock: a twin delivery that committed first is seen.
    if (auto recorded = link.ledger.lookup(options.idempotency_key)) {
      return std::move(*recorded);
    }
  }
  // The connection outlives jobs; without this a job that inserts nothing
  // would report the previous job's rowid.
  sqlite3_set_last_insert_rowid(connection.handle(), 0);

  json rows = json::array();
  ResultBudget budget(limits);
  std::int64_t changes = 0;
  if (request.rows) {
    const auto& batch = *request.rows;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      try {
        sqlite3_reset(statement);
        sqlite3_clear_bindings(statement);
        bind_params(statement, batch[i]);
        changes += step_all(connection, statement, rows, budget);
      } catch (const SqlError& e) {
        throw SqlError(fmt::format("row {}: {}", i + 1, e.what()),
                       e.code(),
                       e.extended_code());
      } catch (const JobError& e) {
        throw JobError(fmt::format("row {}: {}", i + 1, e.what()));
      }
    }
  } else {
    bind_params(statement, request.params);
    changes = step_all(connection, statement, rows, budget);
  }

  // Read after stepping: a step may have prepared the statement again (the
  // schema changed), and the columns with it.
  json document{
    {"columns", column_names(statement)},
    {"rows", std::move(rows)},
    {"changes", changes},
    {"last_insert_rowid", sqlite3_last_insert_rowid(connection.handle())}};
  if (budget.non_finite() > 0) {
    document["warnings"] = {
      fmt::format("{} real value(s) were Infinity or -Infinity, which JSON "
                  "cannot represent: sent as null",
                  budget.non_finite())};
  }
  std::string reply = dump_json(document);
  if (use_ledger) {
    link.ledger.record(options.idempotency_key, reply);
  }
  if (transaction) {
    sqlite3_reset(statement);
    transaction->commit();
  }
  return reply;
}

// The turn to use a shared writer connection, taken the way SQLite's busy
// handler takes the write lock: for up to the busy timeout, giving up early
// when the job is interrupted. (A mutex and a condition variable rather
// than std::timed_mutex, whose timed lock ThreadSanitizer cannot follow.)
class WriterTurn
{
public:
  // Wait for the turn. Throws SqlError when interrupted or timed out.
  void take(const std::function<bool()>& should_interrupt)
  {
    using std::chrono::milliseconds;
    const auto give_up =
      std::chrono::steady_clock::now() + Connection::k_busy_timeout;
    std::unique_lock lock(m_mutex);
    while (m_is_taken) {
      m_freed.wait_for(lock, milliseconds(10));
      if (!m_is_taken) {
        break;
      }
      if (should_interrupt && should_interrupt()) {
        throw SqlError("interrupted while waiting for another job's write",
                       SQLITE_INTERRUPT,
                       SQLITE_INTERRUPT);
      }
      if (std::chrono::steady_clock::now() >= give_up) {
        throw SqlError("database is locked", SQLITE_BUSY, SQLITE_BUSY);
      }
    }
    m_is_taken = true;
  }

  void give_back() noexcept
  {
    {
      const std::lock_guard lock(m_mutex);
      m_is_taken = false;
    }
    m_freed.notify_one();
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_freed;
  bool m_is_taken = false;
};

class SqliteDatabase;

// One thread's session: its own connection for reads (and for writes when
// no writer is shared).
class SqliteSession final : public Session
{
public:
  SqliteSession(std::shared_ptr<SqliteDatabase> database,
                std::unique_ptr<Link> own)
    : m_database(std::move(database)),
      m_own(std::move(own))
  {
  }

  std::string run(const Request& request, const RunOptions& options) override;

private:
  // Whether `request` writes, decided once per SQL text on this session's
  // connection (and remembered in its statement cache). A read the cache
  // did not keep is left in `uncached`, for the run.
  bool is_write(const Request& request,
                const RunOptions& options,
                StatementPtr& uncached);

  std::shared_ptr<SqliteDatabase> m_database;
  std::unique_ptr<Link> m_own;
};

class SqliteDatabase final : public Database,
                             public std::enable_shared_from_this<SqliteDatabase>
{
public:
  SqliteDatabase(DatabaseSpec spec, const EngineOptions& options)
    : Database(spec.name),
      m_spec(std::move(spec)),
      m_options(options)
  {
    // Opened now so a bad path is found at start-up; then used as the
    // shared writer, or by the first session.
    auto first = open_link();
    if (m_options.sessions > 1 && !m_spec.read_only) {
      m_writer = std::move(first);
    } else {
      m_unused = std::move(first);
    }
  }

  std::unique_ptr<Session> open_session() override
  {
    std::unique_ptr<Link> own;
    {
      const std::lock_guard lock(m_unused_mutex);
      own = std::move(m_unused);
    }
    if (!own) {
      own = open_link();
    }
    return std::make_unique<SqliteSession>(shared_from_this(), std::move(own));
  }

  // Run `request` on the shared writer (see has_writer()), once it is free.
  std::string run_on_writer(const Request& request, const RunOptions& options)
  {
    m_writer_turn.take(options.should_interrupt);
    struct GiveBack
    {
      WriterTurn& turn;
      ~GiveBack()
      {
        turn.give_back();
      }
    } const give_back{m_writer_turn};
    return run_on(*m_writer, request, options, m_options.limits);
  }

  bool has_writer() const noexcept
  {
    return m_writer != nullptr;
  }

  const Limits& limits() const noexcept
  {
    return m_options.limits;
  }

private:
  std::unique_ptr<Link> open_link() const
  {
    try {
      return std::make_unique<Link>(m_spec, m_options);
    } catch (const SqlError& e) {
      throw UsageError(fmt::format("cannot open database {} at {}: {}",
                                   m_spec.name,
                                   m_spec.path,
                                   e.what()));
    }
  }

  DatabaseSpec m_spec;
  EngineOptions m_options;
  WriterTurn m_writer_turn;
  std::unique_ptr<Link> m_writer;
  std::mutex m_unused_mutex;
  std::unique_ptr<Link> m_unused;
};

bool SqliteSession::is_write(const Request& request,
                             const RunOptions& options,
                             StatementPtr& uncached)
{
  Connection& connection = m_own->connection;
  const auto found = connection.statements().lookup(request.sql);
  if (found.is_known) {
    return found.statement == nullptr;
  }
  const InterruptScope interrupt(connection, options.should_interrupt);
  StatementPtr statement = connection.prepare_job(request.sql);
  const bool writes = sqlite3_stmt_readonly(statement.get()) == 0;
  // A write is kept only as a mark: it is prepared and run on the writer.
  StatementPtr spare;
  connection.statements().add(
    request.sql, writes ? nullptr : std::move(statement), spare);
  if (!writes) {
    uncached = std::move(spare);
  }
  return writes;
}

std::string SqliteSession::run(const Request& request,
                               const RunOptions& options)
{
  if (!m_database->has_writer()) {
    return run_on(*m_own, request, options, m_database->limits());
  }
  StatementPtr uncached;
  bool writes = false;
  try {
    writes = is_write(request, options, uncached);
  } catch (const JobError&) {
    // The ledger is read here; the writer commits what it records.
    if (auto recorded = recorded_reply(*m_own, options)) {
      return std::move(*recorded);
    }
    throw;
  }
  if (writes) {
    return m_database->run_on_writer(request, options);
  }
  return run_on(
    *m_own, request, options, m_database->limits(), std::move(uncached));
}

} // namespace

std::shared_ptr<Database> open_database(const DatabaseSpec& spec,
                                        const EngineOptions& options)
{
  return std::make_shared<SqliteDatabase>(spec, options);
}

} // namespace jq::sql::sqlite
