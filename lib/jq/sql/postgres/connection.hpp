#pragma once

#include <jq/core/error.hpp>
#include <jq/sql/database_spec.hpp>

#include <libpq-fe.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace jq::sql::postgres {

struct ResultDeleter
{
  void operator()(PGresult* result) const noexcept
  {
    PQclear(result);
  }
};
// A result of libpq, cleared when it goes.
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// One statement with its parameters, in libpq's arrays.
struct Statement
{
  const char* sql = nullptr;
  int parameter_count = 0;
  const Oid* types = nullptr;
  const char* const* values = nullptr;
  const int* lengths = nullptr;
  const int* formats = nullptr;
};

// Called with each row's one-row result as it arrives; may throw to stop
// the statement (a limit reached).
using RowHandler = std::function<void(const PGresult& row)>;

// One connection to a PostgreSQL server, on libpq's asynchronous API so
// that every wait (connecting, a statement, a lock) can be given up: the
// job's should_interrupt is polled every few milliseconds, and a running
// statement is then cancelled on the server (PQcancel), its results
// drained, and SqlError (SQLSTATE 57014) thrown. Results come one row at a
// time (single-row mode), so a limit stops a large result early. Every
// message is scrubbed of the URL's password. Not thread-safe.
class Connection
{
public:
  // Connect to `spec.url` (within k_connect_timeout, or until
  // `should_interrupt` says so), then set the session's DateStyle (ISO),
  // TimeZone (UTC) and bytea_output (hex), which the replies rely on.
  // Throws SqlError (SQLSTATE class 08) when the server cannot be reached
  // or refuses the login.
  Connection(const DatabaseSpec& spec,
             const std::function<bool()>& should_interrupt);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Run `statement`, giving each row to `on_row` as it comes; returns the
  // final result (PGRES_COMMAND_OK or PGRES_TUPLES_OK, which carries the
  // columns, and all the rows when there is no `on_row`).
  // Throws SqlError for the server's error, or when interrupted or the
  // connection is lost; what `on_row` throws, after the statement was
  // cancelled.
  ResultPtr run(const Statement& statement,
                const std::function<bool()>& should_interrupt,
                const RowHandler& on_row = {});

  // Run one of the engine's own statements, without parameters.
  ResultPtr run(const char* sql, const std::function<bool()>& should_interrupt);

  // In a transaction (PQTRANS_INTRANS), in a failed one (PQTRANS_INERROR)
  // or not (PQTRANS_IDLE).
  PGTransactionStatusType transaction_status() const noexcept;

  // ROLLBACK when a transaction is open; a connection that cannot roll
  // back within a few seconds is marked lost.
  void rollback() noexcept;

  // Undo what a job may have left on the session for the jobs after it
  // (session_reset() in connection.cpp), in one round trip, once its
  // transaction is over. Throws SqlError.
  void reset_session(const std::function<bool()>& give_up);

  // Close the connection now, so that the server lets go of what its
  // session held, and mark it lost.
  void close() noexcept;

  // Whether the connection is lost and must be opened again.
  bool is_lost() const noexcept;

  // The longest a connection attempt may take.
  static constexpr std::chrono::seconds k_connect_timeout{10};

private:
  struct Finish
  {
    void operator()(PGconn* handle) const noexcept
    {
      PQfinish(handle);
    }
  };
  struct FreeCancel
  {
    void operator()(PGcancel* cancel) const noexcept
    {
      PQfreeCancel(cancel);
    }
  };

  void connect(const std::function<bool()>& should_interrupt);
  // Await what was sent: each row to `on_row` as it comes, the final
  // result returned (see run()).
  ResultPtr await_results(const std::function<bool()>& should_interrupt,
                          const RowHandler& on_row);
  static void on_notice(void* spec, const char* message);
  // Wait until the socket is ready for `events` or a few milliseconds
  // passed.
  void wait_socket(short events) const;
  // Cancel the running statement and drain its results; on a server that
  // does not answer, mark the connection lost.
  void abandon() noexcept;
  // The SqlError for a failed result or, with none, the connection's.
  SqlError error_of(const PGresult* result);
  std::string scrubbed(const char* message) const;

  DatabaseSpec m_spec;
  std::unique_ptr<PGconn, Finish> m_handle;
  std::unique_ptr<PGcancel, FreeCancel> m_cancel;
  bool m_is_lost = false;
};

} // namespace jq::sql::postgres
