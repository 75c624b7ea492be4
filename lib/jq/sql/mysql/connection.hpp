#pragma once

#include <jq/core/error.hpp>
#include <jq/sql/database_spec.hpp>
#include <jq/sql/mysql/url.hpp>
#include <jq/sql/server/waiting.hpp>

#include <mysql.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace jq::sql::mysql {

using server::Interrupt;

// A server's (or the connector's) error: SqlError with its SQLSTATE, and
// MySQL's error number (1062: a duplicate key).
class ServerError : public SqlError
{
public:
  ServerError(const std::string& message,
              std::string sqlstate,
              unsigned int number)
    : SqlError(message, std::move(sqlstate)),
      m_number(number)
  {
  }
  unsigned int number() const noexcept
  {
    return m_number;
  }

private:
  unsigned int m_number;
};

// MySQL's error numbers the engine looks at.
constexpr unsigned int k_er_dup_entry = 1062;
constexpr unsigned int k_er_query_interrupted = 1317;

struct CloseHandle
{
  void operator()(MYSQL* handle) const noexcept
  {
    mysql_close(handle);
  }
};
using HandlePtr = std::unique_ptr<MYSQL, CloseHandle>;

// One connection to a MySQL or MariaDB server, on MariaDB Connector/C's
// non-blocking API so that every wait (connecting, a statement, a row
// lock) can be given up: the job's should_interrupt is polled every few
// milliseconds, and a running statement is then stopped on the server
// (`KILL QUERY` from a second, short-lived connection), its end awaited,
// and SqlError (SQLSTATE 70100) thrown. The session runs in UTC
// (time_zone '+00:00'), with utf8mb4, STRICT_ALL_TABLES, and autocommit on
// outside the jobs' explicit transactions. Every message is scrubbed of
// the URL's password. Not thread-safe.
class Connection
{
public:
  // Connect (within k_connect_timeout, or until `should_interrupt` says
  // so) and set up the session. Throws SqlError (SQLSTATE 08001) when the
  // server cannot be reached or refuses the login.
  Connection(const DatabaseSpec& spec,
             const ConnectParams& params,
             const Interrupt& should_interrupt);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Run one of the engine's own statements (no parameters, no rows).
  void execute(std::string_view sql, const Interrupt& should_interrupt);

  // Drive one non-blocking call of the connector to its end: `status` is
  // what its _start returned, `resume` calls its _cont with the events
  // that came. When `should_interrupt` says so, the statement is killed on
  // the server, the call still awaited (a few seconds at most, else the
  // socket is shut and the connection lost), then SqlError (interrupted)
  // thrown.
  void drive(int status,
             const std::function<int(int)>& resume,
             const Interrupt& should_interrupt);

  MYSQL* handle() const noexcept
  {
    return m_handle.get();
  }

  // Whether the server says a transaction is open.
  bool in_transaction() const noexcept;

  // ROLLBACK; a connection that cannot roll back within a few seconds is
  // marked lost.
  void rollback() noexcept;

  // Undo what a job may have left on the session for the jobs after it,
  // once its transaction is over: COM_RESET_CONNECTION (user variables,
  // GET_LOCK locks, temporary tables, session variables, sequences' last
  // values, and the prepared statements too), then the session set up
  // again. Throws SqlError.
  void reset_session(const Interrupt& give_up);

  // Shut the connection now, so that the server lets go of what its
  // session held, and mark it lost.
  void close() noexcept
  {
    shut_socket();
  }

  // Whether the connection is lost and must be opened again.
  bool is_lost() const noexcept
  {
    return m_is_lost || !m_handle;
  }

  // The error of the last call on the connection, or on `statement`;
  // marks the connection lost when it is.
  ServerError error();
  ServerError error(MYSQL_STMT* statement);

  const DatabaseSpec& spec() const noexcept
  {
    return m_spec;
  }

  static constexpr std::chrono::seconds k_connect_timeout{10};

private:
  void connect(const Interrupt& should_interrupt);
  void set_options(MYSQL* handle, unsigned int timeout) const;
  // KILL QUERY for this connection's thread, from a new connection.
  bool kill_query() const noexcept;
  void shut_socket() noexcept;
  ServerError
  make_error(unsigned int number, const char* sqlstate, const char* message);

  DatabaseSpec m_spec;
  ConnectParams m_params;
  HandlePtr m_handle;
  unsigned long m_thread_id = 0;
  bool m_is_lost = false;
};

} // namespace jq::sql::mysql
