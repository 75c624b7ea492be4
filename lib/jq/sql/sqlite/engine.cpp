#include "engine.hpp"

#include <jq/core/error.hpp>
#include <jq/sql/sqlite/job_run.hpp>
#include <jq/sql/sqlite/shared_writer.hpp>

#include <fmt/format.h>

#include <sqlite3.h>

#include <mutex>
#include <optional>
#include <span>
#include <vector>

namespace jq::sql::sqlite {

namespace {

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
  // The reads run here one after another; the writes go to the shared
  // writer together, where they commit in one group.
  void run_batch(std::span<BatchRun* const> runs) override;
  bool is_shared_write(const Request& request,
                       const RunOptions& options) override;
  std::optional<std::string>
  run_unless_shared_write(const Request& request,
                          const RunOptions& options) override;

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
      m_writer =
        std::make_unique<SharedWriter>(std::move(first), m_options.limits);
    } else {
      m_unused = std::move(first);
    }
  }

  std::unique_ptr<Session>
  open_session(const std::function<bool()>& should_interrupt) override
  {
    std::unique_ptr<Link> own;
    {
      const std::lock_guard lock(m_unused_mutex);
      own = std::move(m_unused);
    }
    if (!own) {
      own = open_link(should_interrupt);
    }
    return std::make_unique<SqliteSession>(shared_from_this(), std::move(own));
  }

  // Run `request` on the shared writer (see has_writer()).
  std::string run_on_writer(const Request& request, const RunOptions& options)
  {
    return m_writer->run(request, options);
  }
  void run_batch_on_writer(std::span<BatchRun* const> runs)
  {
    m_writer->run_batch(runs);
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
  std::unique_ptr<Link>
  open_link(const std::function<bool()>& should_interrupt = {}) const
  {
    try {
      return std::make_unique<Link>(m_spec, m_options, should_interrupt);
    } catch (const SqlError& e) {
      throw UsageError(fmt::format("cannot open database {} at {}: {}",
                                   m_spec.name,
                                   m_spec.path,
                                   e.what()));
    }
  }

  DatabaseSpec m_spec;
  EngineOptions m_options;
  std::unique_ptr<SharedWriter> m_writer;
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

std::optional<std::string>
SqliteSession::run_unless_shared_write(const Request& request,
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
    // The ledger is read here; the writer commits what it records. The
    // read may wait for another process's lock, as long as the job may.
    const InterruptScope wait(
      m_own->connection, options.should_interrupt, InterruptReach::waits_only);
    if (auto recorded = recorded_reply(*m_own, options)) {
      return recorded;
    }
    throw;
  }
  if (writes) {
    return std::nullopt;
  }
  return run_on(
    *m_own, request, options, m_database->limits(), std::move(uncached));
}

std::string SqliteSession::run(const Request& request,
                               const RunOptions& options)
{
  if (auto reply = run_unless_shared_write(request, options)) {
    return std::move(*reply);
  }
  return m_database->run_on_writer(request, options);
}

bool SqliteSession::is_shared_write(const Request& request,
                                    const RunOptions& options)
{
  if (!m_database->has_writer()) {
    return false;
  }
  StatementPtr uncached;
  try {
    return is_write(request, options, uncached);
  } catch (const std::exception&) {
    return false; // run() reports it, or answers from the ledger
  }
}

void SqliteSession::run_batch(std::span<BatchRun* const> runs)
{
  std::vector<BatchRun*> writes;
  for (BatchRun* batch_run : runs) {
    try {
      auto reply =
        run_unless_shared_write(*batch_run->request, *batch_run->options);
      if (!reply) {
        writes.push_back(batch_run);
        continue;
      }
      batch_run->result.succeed_now(std::move(*reply));
    } catch (...) {
      batch_run->result.fail_now();
    }
  }
  if (!writes.empty()) {
    m_database->run_batch_on_writer(writes);
  }
}

} // namespace

std::shared_ptr<Database> open_database(const DatabaseSpec& spec,
                                        const EngineOptions& options)
{
  return std::make_shared<SqliteDatabase>(spec, options);
}

} // namespace jq::sql::sqlite
