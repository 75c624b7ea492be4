#include "connection.hpp"

#include <jq/sql/sqlite/watchdog.hpp>

#include <fmt/format.h>

#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <thread>

namespace jq::sql::sqlite {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Pauses between looks at a lock held by another connection: short enough
// that an interrupted job stops waiting within a few milliseconds.
constexpr milliseconds k_busy_pauses[] = {
  milliseconds(1), milliseconds(2), milliseconds(5), milliseconds(10)};

std::string mebibytes(std::size_t bytes)
{
  if (bytes % (1024 * 1024) == 0) {
    return fmt::format("{} MiB", bytes / (1024 * 1024));
  }
  return fmt::format("{} bytes", bytes);
}

} // namespace

void DatabaseCloser::operator()(sqlite3* handle) const noexcept
{
  sqlite3_close_v2(handle);
}

ResetOnExit::~ResetOnExit()
{
  if (m_statement != nullptr) {
    sqlite3_reset(m_statement);
    sqlite3_clear_bindings(m_statement);
  }
}

Connection::Connection(const std::string& path,
                       bool read_only,
                       bool synchronous_normal,
                       const Limits& limits,
                       const std::function<bool()>& should_interrupt)
  : m_limits(limits),
    m_is_read_only(read_only),
    m_statements(64)
{
  configure_library();
  // One thread uses a connection at a time (a shared one under a mutex),
  // so SQLite's own per-connection mutex is not needed.
  const int flags = (read_only ? SQLITE_OPEN_READONLY
                               : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
                    | SQLITE_OPEN_NOMUTEX;
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  m_handle.reset(raw);
  if (rc != SQLITE_OK) {
    throw SqlError(raw == nullptr ? sqlite3_errstr(rc) : sqlite3_errmsg(raw),
                   rc,
                   raw == nullptr ? rc : sqlite3_extended_errcode(raw));
  }
  // First: the pragmas below read the schema, and so wait for the lock of
  // a writer in another process as every statement does; the job that
  // needed this connection may stop that wait (its deadline passed).
  sqlite3_busy_handler(raw, &Connection::on_busy, this);
  const InterruptScope opening(
    *this, should_interrupt, InterruptReach::waits_only);
  // Before the sandbox, which lets no job set them. A page cache of 256 KiB
  // rather than SQLite's 2 MiB: a worker has a connection per slot and the
  // shared writer, and the file's pages stay in the OS's cache anyway (a
  // page not cached is a pread away). Appends and the ledger (time-ordered
  // keys) touch a few pages per write.
  const char* const pragmas =
    synchronous_normal ? "PRAGMA cache_size = -256; PRAGMA synchronous = NORMAL"
                       : "PRAGMA cache_size = -256";
  if (sqlite3_exec(raw, pragmas, nullptr, nullptr, nullptr) != SQLITE_OK) {
    throw last_error();
  }
  confine(raw, m_sandbox, m_limits);
  m_function_guard.emplace(raw,
                           sqlite3_limit(raw, SQLITE_LIMIT_LENGTH, -1),
                           [this] { return is_interrupted(); });
  m_begin_deferred = prepare_own("BEGIN DEFERRED");
  m_begin_immediate = prepare_own("BEGIN IMMEDIATE");
  m_commit = prepare_own("COMMIT");
  m_rollback = prepare_own("ROLLBACK");
  // SQLite opens lazily; reading the schema now finds a file that is not a
  // database when it is opened, not at the first job.
  const StatementPtr check = prepare_own("SELECT count(*) FROM sqlite_master");
  run_own(check.get());
}

Connection::~Connection() = default;

StatementPtr Connection::prepare_job(const std::string& sql)
{
  if (sql.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw JobError("the job's SQL is too long");
  }
  m_sandbox.denied.clear();
  m_sandbox.job_sql = sql;
  // Cleared when done: it views text that does not outlive the job.
  const struct Forget
  {
    std::string_view& text;
    ~Forget()
    {
      text = {};
    }
  } forget{m_sandbox.job_sql};
  const char* const end = sql.c_str() + sql.size();

  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(
        handle(), sql.c_str(), static_cast<int>(sql.size()), &raw, &tail)
      != SQLITE_OK) {
    throw last_error();
  }
  StatementPtr statement(raw);
  if (!statement) {
    throw JobError("the job's SQL has no statement in it");
  }
  if (is_vacuum(sql)) {
    throw SqlError("VACUUM is not allowed in a job", SQLITE_AUTH, SQLITE_AUTH);
  }

  // An empty statement (";", a comment) prepares to a null statement, so
  // keep preparing the rest until it is used up or a real one appears.
  while (tail != nullptr && tail < end) {
    sqlite3_stmt* next = nullptr;
    const char* next_tail = nullptr;
    const int rc = sqlite3_prepare_v2(
      handle(), tail, static_cast<int>(end - tail), &next, &next_tail);
    const StatementPtr extra(next);
    if (rc != SQLITE_OK || extra || next_tail == tail) {
      throw JobError(
        "the job's SQL has more than one statement; send one per job");
    }
    tail = next_tail;
  }
  return statement;
}

sqlite3_stmt* Connection::job_statement(const std::string& sql,
                                        StatementPtr& spare)
{
  if (sqlite3_stmt* cached = m_statements.find(sql)) {
    m_sandbox.denied.clear();
    return cached;
  }
  return m_statements.add(sql, prepare_job(sql), spare);
}

int Connection::step_job(sqlite3_stmt* statement)
{
  // A step may prepare the statement again (the schema changed): the
  // sandbox checks it against the same text.
  m_sandbox.job_sql = sqlite3_sql(statement);
  m_sandbox.denied.clear();
  const FlagScope running(m_sandbox.is_running);
  const int rc = sqlite3_step(statement);
  m_sandbox.job_sql = {};
  return rc;
}

StatementPtr Connection::prepare_own(const char* sql)
{
  m_sandbox.denied.clear();
  const FlagScope trusted(m_sandbox.is_trusted);
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(handle(), sql, -1, &raw, nullptr) != SQLITE_OK) {
    throw last_error();
  }
  return StatementPtr(raw);
}

void Connection::run_own(sqlite3_stmt* statement)
{
  m_sandbox.denied.clear();
  const FlagScope trusted(m_sandbox.is_trusted);
  const ResetOnExit reset(statement);
  const int rc = sqlite3_step(statement);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    throw last_error();
  }
}

void Connection::begin(bool is_write)
{
  try {
    run_own(is_write ? m_begin_immediate.get() : m_begin_deferred.get());
  } catch (const SqlError&) {
    // A BEGIN that reports a failure may have begun all the same (stopped
    // at its end); a transaction left open would hold the lock, or an old
    // snapshot, for good.
    rollback();
    throw;
  }
}

void Connection::commit()
{
  run_own(m_commit.get());
}

void Connection::rollback() noexcept
{
  // The job is over; its ROLLBACK must not be interrupted in turn.
  end_interruptible();
  // SQLite may have rolled back already (an interrupted write, a full
  // disk, out of memory); a second ROLLBACK would only fail.
  if (sqlite3_get_autocommit(handle()) == 0) {
    const FlagScope trusted(m_sandbox.is_trusted);
    const ResetOnExit reset(m_rollback.get());
    sqlite3_step(m_rollback.get());
  }
}

SqlError Connection::last_error() const
{
  sqlite3* raw = handle();
  const int code = sqlite3_errcode(raw) & 0xff;
  const int extended = sqlite3_extended_errcode(raw);
  if (m_was_interrupted) {
    return SqlError("interrupted while waiting for another connection's lock",
                    SQLITE_INTERRUPT,
                    SQLITE_INTERRUPT);
  }
  // A refused function is SQLITE_ERROR, the rest SQLITE_AUTH.
  if ((code == SQLITE_AUTH || code == SQLITE_ERROR)
      && !m_sandbox.denied.empty()) {
    return SqlError(m_sandbox.denied, code, extended);
  }
  if (code == SQLITE_TOOBIG) {
    return SqlError(
      fmt::format("{}: a value or the SQL is longer than --max-value-bytes "
                  "({})",
                  sqlite3_errmsg(raw),
                  mebibytes(m_limits.max_value_bytes)),
      code,
      extended);
  }
  if (code == SQLITE_NOMEM && memory_limit() > 0) {
    return SqlError(
      fmt::format("{}: SQLite reached the worker's --max-memory ({}, all "
                  "jobs together)",
                  sqlite3_errmsg(raw),
                  mebibytes(memory_limit())),
      code,
      extended);
  }
  return SqlError(sqlite3_errmsg(raw), code, extended);
}

void Connection::begin_interruptible(
  const std::function<bool()>& should_interrupt, InterruptReach reach)
{
  m_was_interrupted = false;
  if (should_interrupt) {
    m_should_interrupt = &should_interrupt;
    m_is_watched = reach == InterruptReach::statements_and_waits;
  }
  if (m_is_watched) {
    // Every 1000 virtual machine steps (microseconds of plain work), and
    // every few milliseconds from the watchdog, for steps that take long.
    sqlite3_progress_handler(handle(), 1000, &Connection::on_progress, this);
    Watchdog::instance().watch(handle(), m_should_interrupt);
  }
}

void Connection::end_interruptible() noexcept
{
  if (m_is_watched) {
    Watchdog::instance().unwatch(handle());
    sqlite3_progress_handler(handle(), 0, nullptr, nullptr);
    m_is_watched = false;
  }
  m_should_interrupt = nullptr;
  m_was_interrupted = false;
}

bool Connection::is_interrupted() const
{
  return m_should_interrupt != nullptr && (*m_should_interrupt)();
}

int Connection::on_progress(void* self)
{
  auto& connection = *static_cast<Connection*>(self);
  // SQLite also asks at the end of a statement, after its work is done: an
  // interrupt there would report a BEGIN or COMMIT that happened as failed.
  // The connection's own statements are short; they run to their end.
  if (connection.m_sandbox.is_trusted) {
    return 0;
  }
  return connection.is_interrupted() ? 1 : 0;
}

// SQLite's busy timeout sleeps without asking whether the job was stopped
// meanwhile; this handler asks before each short pause.
int Connection::on_busy(void* self, int count)
{
  auto& connection = *static_cast<Connection*>(self);
  const auto now = Clock::now();
  if (count == 0) {
    connection.m_busy_since = now;
  }
  if (connection.is_interrupted()) {
    connection.m_was_interrupted = true;
    return 0;
  }
  const auto waited = now - connection.m_busy_since;
  if (waited >= k_busy_timeout) {
    return 0;
  }
  const auto pause = k_busy_pauses[std::min<std::size_t>(
    static_cast<std::size_t>(count), std::size(k_busy_pauses) - 1)];
  std::this_thread::sleep_for(
    std::min<Clock::duration>(pause, k_busy_timeout - waited));
  return 1;
}

} // namespace jq::sql::sqlite
