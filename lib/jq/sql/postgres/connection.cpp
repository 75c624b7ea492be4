#include "connection.hpp"

#include <jq/core/log.hpp>
#include <jq/sql/server/waiting.hpp>

#include <fmt/format.h>

#include <poll.h>

#include <array>
#include <optional>
#include <string_view>

namespace jq::sql::postgres {

namespace {

using Clock = std::chrono::steady_clock;
using server::failure_within_abandon_timeout;
using server::Interrupt;
using server::k_abandon_timeout;
using server::k_poll_ms;
using server::trimmed;

// The SQLSTATE of a statement stopped by a cancel request.
constexpr const char* k_query_canceled = "57014";
// A connection that broke, or a server going away.
constexpr const char* k_connection_failure = "08006";

// The replies' dates, times and blobs are read in these forms.
constexpr std::string_view k_session_settings =
  "set_config('DateStyle', 'ISO, YMD', false), "
  "set_config('TimeZone', 'UTC', false), "
  "set_config('bytea_output', 'hex', false)";

const std::string& session_setup()
{
  static const std::string sql = fmt::format("SELECT {}", k_session_settings);
  return sql;
}

// What a job may leave on its session that would reach later jobs on the
// connection, undone in one simple query: settings a job changed with
// set_config(..., false) (search_path, TimeZone, role; SET is refused,
// functions are not) back to the connection's own, then the engine's
// again; the session authorization a superuser's job took; session-level
// advisory locks, which no COMMIT releases; cursors held past their
// transaction; channels listened to; temporary tables and other temporary
// objects (they would hide tables of the same name); sequences' currval
// and lastval. Not DISCARD ALL, which would also deallocate the
// connection's prepared statements (the engine may keep some per
// connection), and cannot run with anything else in one query.
const std::string& session_reset()
{
  static const std::string sql =
    fmt::format("SET SESSION AUTHORIZATION DEFAULT; RESET ALL; "
                "SELECT {}, pg_advisory_unlock_all(); "
                "CLOSE ALL; UNLISTEN *; DISCARD TEMP; DISCARD SEQUENCES",
                k_session_settings);
  return sql;
}

bool is_connection_state(std::string_view sqlstate)
{
  return sqlstate.starts_with("08") || sqlstate == "57P01"
         || sqlstate == "57P02" || sqlstate == "57P03";
}

} // namespace

Connection::Connection(const DatabaseSpec& spec,
                       const std::function<bool()>& should_interrupt)
  : m_spec(spec)
{
  connect(should_interrupt);
  run(session_setup().c_str(), should_interrupt);
}

void Connection::connect(const std::function<bool()>& should_interrupt)
{
  // The URL is expanded by libpq (expand_dbname); the keywords after it
  // fill in what it leaves out.
  const std::array<const char*, 3> keywords = {
    "dbname", "fallback_application_name", nullptr};
  const std::array<const char*, 3> values = {
    m_spec.url.c_str(), "jq-worker", nullptr};
  m_handle.reset(PQconnectStartParams(keywords.data(), values.data(), 1));
  if (!m_handle) {
    throw SqlError("out of memory for a PostgreSQL connection",
                   k_connection_failure);
  }
  const auto fail = [&](std::string_view why) {
    const std::string reason =
      fmt::format("cannot connect to database {} ({}): {}",
                  m_spec.name,
                  m_spec.redacted(),
                  scrubbed(trimmed(why).c_str()));
    m_handle.reset();
    return SqlError(reason, "08001");
  };
  if (PQstatus(m_handle.get()) == CONNECTION_BAD) {
    throw fail(PQerrorMessage(m_handle.get()));
  }
  const auto give_up = Clock::now() + k_connect_timeout;
  PostgresPollingStatusType polling = PGRES_POLLING_WRITING;
  while (polling != PGRES_POLLING_OK) {
    if (polling == PGRES_POLLING_FAILED) {
      throw fail(PQerrorMessage(m_handle.get()));
    }
    if (should_interrupt && should_interrupt()) {
      throw fail("interrupted while connecting");
    }
    if (Clock::now() >= give_up) {
      throw fail(
        fmt::format("no answer within {} s", k_connect_timeout.count()));
    }
    wait_socket(polling == PGRES_POLLING_READING ? POLLIN : POLLOUT);
    polling = PQconnectPoll(m_handle.get());
  }
  if (PQsetnonblocking(m_handle.get(), 1) != 0) {
    throw fail(PQerrorMessage(m_handle.get()));
  }
  m_cancel.reset(PQgetCancel(m_handle.get()));
  // Not on stderr as libpq would: a job's RAISE NOTICE, or "relation
  // already exists, skipping", is for -v at most.
  PQsetNoticeProcessor(m_handle.get(), &Connection::on_notice, &m_spec);
}

void Connection::on_notice(void* spec, const char* message)
{
  JQ_LOG(debug,
         "database {}: {}",
         static_cast<const DatabaseSpec*>(spec)->name,
         static_cast<const DatabaseSpec*>(spec)->scrub(trimmed(message)));
}

void Connection::wait_socket(short events) const
{
  pollfd fd{PQsocket(m_handle.get()), events, 0};
  if (fd.fd >= 0) {
    ::poll(&fd, 1, k_poll_ms);
  }
}

ResultPtr Connection::run(const char* sql,
                          const std::function<bool()>& should_interrupt)
{
  Statement statement;
  statement.sql = sql;
  return run(statement, should_interrupt);
}

ResultPtr Connection::run(const Statement& statement,
                          const std::function<bool()>& should_interrupt,
                          const RowHandler& on_row)
{
  PGconn* handle = m_handle.get();
  if (handle == nullptr || is_lost()) {
    m_is_lost = true;
    throw SqlError("the connection to the server was lost",
                   k_connection_failure);
  }
  if (PQsendQueryParams(handle,
                        statement.sql,
                        statement.parameter_count,
                        statement.types,
                        statement.values,
                        statement.lengths,
                        statement.formats,
                        0)
        == 0
      || (on_row && PQsetSingleRowMode(handle) == 0)) {
    throw error_of(nullptr);
  }
  return await_results(should_interrupt, on_row);
}

ResultPtr
Connection::await_results(const std::function<bool()>& should_interrupt,
                          const RowHandler& on_row)
{
  PGconn* handle = m_handle.get();
  ResultPtr final;
  ResultPtr failed;
  try {
    // Sending may not be done yet (a non-blocking connection).
    while (PQflush(handle) == 1) {
      if (should_interrupt && should_interrupt()) {
        throw SqlError("interrupted", k_query_canceled);
      }
      wait_socket(POLLIN | POLLOUT);
      if (PQconsumeInput(handle) == 0) {
        throw error_of(nullptr);
      }
    }
    for (;;) {
      if (PQconsumeInput(handle) == 0) {
        throw error_of(nullptr);
      }
      bool is_done = false;
      while (!is_done && PQisBusy(handle) == 0) {
        ResultPtr result(PQgetResult(handle));
        if (!result) {
          is_done = true;
          break;
        }
        switch (PQresultStatus(result.get())) {
        case PGRES_SINGLE_TUPLE:
          if (on_row && !failed) {
            on_row(*result);
          }
          break;
        case PGRES_TUPLES_OK:
        case PGRES_COMMAND_OK:
          final = std::move(result);
          break;
        case PGRES_EMPTY_QUERY:
          throw JobError("the job's SQL has no statement in it");
        case PGRES_COPY_IN:
        case PGRES_COPY_OUT:
        case PGRES_COPY_BOTH:
          throw JobError("COPY is not allowed in a job; use INSERT or SELECT");
        default:
          if (!failed) {
            failed = std::move(result);
          }
          break;
        }
      }
      if (is_done) {
        break;
      }
      if (should_interrupt && should_interrupt()) {
        throw SqlError("interrupted", k_query_canceled);
      }
      wait_socket(POLLIN);
    }
  } catch (...) {
    // A lost connection has nothing to cancel (and a cancel request to a
    // server that went away could only wait).
    if (!m_is_lost) {
      abandon();
    }
    throw;
  }
  if (failed) {
    throw error_of(failed.get());
  }
  if (!final) {
    throw error_of(nullptr);
  }
  return final;
}

void Connection::abandon() noexcept
{
  PGconn* handle = m_handle.get();
  if (handle == nullptr) {
    return;
  }
  if (m_cancel) {
    std::array<char, 256> error{};
    PQcancel(m_cancel.get(), error.data(), static_cast<int>(error.size()));
  }
  const auto give_up = Clock::now() + k_abandon_timeout;
  while (Clock::now() < give_up) {
    if (PQflush(handle) == -1 || PQconsumeInput(handle) == 0) {
      break;
    }
    bool is_done = false;
    while (PQisBusy(handle) == 0) {
      ResultPtr result(PQgetResult(handle));
      if (!result) {
        is_done = true;
        break;
      }
      // A COPY the job started cannot be drained: the connection goes.
      const auto status = PQresultStatus(result.get());
      if (status == PGRES_COPY_IN || status == PGRES_COPY_OUT
          || status == PGRES_COPY_BOTH) {
        break;
      }
    }
    if (is_done) {
      return;
    }
    wait_socket(POLLIN);
  }
  m_is_lost = true;
}

PGTransactionStatusType Connection::transaction_status() const noexcept
{
  return m_handle ? PQtransactionStatus(m_handle.get()) : PQTRANS_UNKNOWN;
}

void Connection::rollback() noexcept
{
  if (is_lost() || transaction_status() == PQTRANS_IDLE) {
    return;
  }
  if (failure_within_abandon_timeout(
        [&](const Interrupt& give_up) { run("ROLLBACK", give_up); })) {
    m_is_lost = true;
  }
}

void Connection::reset_session(const std::function<bool()>& give_up)
{
  if (is_lost()) {
    throw SqlError("the connection to the server was lost",
                   k_connection_failure);
  }
  // Several statements: the simple query protocol.
  if (PQsendQuery(m_handle.get(), session_reset().c_str()) == 0) {
    throw error_of(nullptr);
  }
  await_results(give_up, {});
}

void Connection::close() noexcept
{
  m_is_lost = true;
  m_handle.reset();
}

bool Connection::is_lost() const noexcept
{
  return m_is_lost || !m_handle || PQstatus(m_handle.get()) == CONNECTION_BAD;
}

std::string Connection::scrubbed(const char* message) const
{
  return m_spec.scrub(trimmed(message == nullptr ? "" : message));
}

SqlError Connection::error_of(const PGresult* result)
{
  const char* sqlstate =
    result == nullptr ? nullptr : PQresultErrorField(result, PG_DIAG_SQLSTATE);
  if (sqlstate == nullptr || is_connection_state(sqlstate)) {
    m_is_lost = true;
  }
  if (sqlstate == nullptr) {
    const char* message = result != nullptr ? PQresultErrorMessage(result)
                                            : PQerrorMessage(m_handle.get());
    std::string text = scrubbed(message);
    if (text.empty()) {
      text = "the connection to the server was lost";
    }
    return SqlError(fmt::format("database {}: {}", m_spec.name, text),
                    k_connection_failure);
  }
  const char* primary = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  const char* detail = PQresultErrorField(result, PG_DIAG_MESSAGE_DETAIL);
  std::string message = scrubbed(primary);
  if (std::string_view(sqlstate) == "42601"
      && message.find("multiple commands") != std::string::npos) {
    message = "the job's SQL has more than one statement; send one per job";
  }
  if (detail != nullptr) {
    message += fmt::format(" ({})", scrubbed(detail));
  }
  return SqlError(message, sqlstate);
}

} // namespace jq::sql::postgres
