#include "connection.hpp"

#include <fmt/format.h>

#include <errmsg.h>
#include <poll.h>
#include <sys/socket.h>

namespace jq::sql::mysql {

namespace {

using Clock = std::chrono::steady_clock;
using server::failure_within_abandon_timeout;
using server::k_abandon_timeout;
using server::k_poll_ms;
using server::trimmed;

// A write to the server that makes no progress for this long fails (the
// connector's MYSQL_OPT_WRITE_TIMEOUT). Reads have no such limit: a
// statement runs as long as its job may (--job-timeout, the caller's
// deadline), and the connector turns TCP keepalive on.
constexpr unsigned int k_write_timeout_s = 30;

// The session the replies rely on: UTC for TIMESTAMP, strict types, and
// no zero dates. The modes exist in MySQL 5.7, 8 and MariaDB alike.
// Also after a reset, which puts MySQL's character sets back to the
// server's defaults (latin1 on some): the connector sends utf8mb4.
constexpr std::string_view k_session_setup =
  "SET character_set_client = utf8mb4, character_set_connection = utf8mb4, "
  "character_set_results = utf8mb4, time_zone = '+00:00', "
  "sql_mode = 'STRICT_ALL_TABLES,"
  "NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
  "NO_ENGINE_SUBSTITUTION', autocommit = 1";

constexpr const char* k_interrupted_state = "70100";
constexpr const char* k_connection_state = "08S01";

// Errors after which the connection cannot be used again: the connector's
// (the server could not be reached, went away, cut a reply short; replies
// out of step with the calls), a connection the server killed, a server
// shutting down.
bool is_connection_error(unsigned int number)
{
  switch (number) {
  case CR_CONNECTION_ERROR:
  case CR_CONN_HOST_ERROR:
  case CR_SERVER_GONE_ERROR:
  case CR_SERVER_LOST:
  case CR_COMMANDS_OUT_OF_SYNC:
  case CR_SSL_CONNECTION_ERROR:
  case CR_SERVER_LOST_EXTENDED:
  case 1053: // ER_SERVER_SHUTDOWN
  case 1152: // ER_ABORTING_CONNECTION
  case 1153: // ER_NET_PACKET_TOO_LARGE: the server closes after it
  case 1154: // ER_NET_READ_ERROR_FROM_PIPE
  case 1158: // ER_NET_READ_ERROR
  case 1159: // ER_NET_READ_INTERRUPTED
  case 1160: // ER_NET_ERROR_ON_WRITE
  case 1161: // ER_NET_WRITE_INTERRUPTED
  case 1184: // ER_NEW_ABORTING_CONNECTION
  case 1927: // ER_CONNECTION_KILLED
  case 4031: // MySQL 8's ER_CLIENT_INTERACTION_TIMEOUT, sent before it
             // closes an idle connection (MariaDB's 4031 is about CREATE
             // TRIGGER, which no job may send)
    return true;
  default:
    return false;
  }
}

} // namespace

Connection::Connection(const DatabaseSpec& spec,
                       const ConnectParams& params,
                       const Interrupt& should_interrupt)
  : m_spec(spec),
    m_params(params)
{
  connect(should_interrupt);
  try {
    execute(k_session_setup, should_interrupt);
  } catch (const SqlError& e) {
    throw SqlError(fmt::format("cannot set up the session on database {} "
                               "({}): {}",
                               m_spec.name,
                               m_spec.redacted(),
                               e.what()),
                   "08001");
  }
}

void Connection::set_options(MYSQL* handle, unsigned int timeout) const
{
  mysql_options(handle, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_options(handle, MYSQL_OPT_WRITE_TIMEOUT, &k_write_timeout_s);
  mysql_options(handle, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // A server may ask the client for any file it can read (LOAD DATA
  // LOCAL): never.
  const unsigned int no_local_files = 0;
  mysql_options(handle, MYSQL_OPT_LOCAL_INFILE, &no_local_files);
  mysql_optionsv(
    handle, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", "jq-worker");
  if (!m_params.socket.empty()) {
    const unsigned int protocol = MYSQL_PROTOCOL_SOCKET;
    mysql_options(handle, MYSQL_OPT_PROTOCOL, &protocol);
  }
  if (m_params.ssl_mode != SslMode::preferred
      && m_params.ssl_mode != SslMode::disabled) {
    const my_bool yes = 1;
    mysql_options(handle, MYSQL_OPT_SSL_ENFORCE, &yes);
    if (m_params.ssl_mode != SslMode::required) {
      mysql_options(handle, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &yes);
    }
  }
  // With ssl-ca, the connector would turn TLS on even for DISABLED.
  if (!m_params.ssl_ca.empty() && m_params.ssl_mode != SslMode::disabled) {
    mysql_options(handle, MYSQL_OPT_SSL_CA, m_params.ssl_ca.c_str());
  }
}

void Connection::connect(const Interrupt& should_interrupt)
{
  m_handle.reset(mysql_init(nullptr));
  if (!m_handle) {
    throw SqlError("out of memory for a MySQL connection", "08001");
  }
  MYSQL* handle = m_handle.get();
  mysql_options(handle, MYSQL_OPT_NONBLOCK, nullptr);
  set_options(handle, static_cast<unsigned int>(k_connect_timeout.count()));
  const auto fail = [&](std::string_view why) {
    const std::string reason =
      fmt::format("cannot connect to database {} ({}): {}",
                  m_spec.name,
                  m_spec.redacted(),
                  m_spec.scrub(trimmed(why)));
    m_handle.reset();
    m_is_lost = true;
    return SqlError(reason, "08001");
  };
  const char* password =
    m_params.password.empty() ? nullptr : m_params.password.c_str();
  MYSQL* connected = nullptr;
  const int status = mysql_real_connect_start(
    &connected,
    handle,
    m_params.host.c_str(),
    m_params.user.empty() ? nullptr : m_params.user.c_str(),
    password,
    m_params.database.c_str(),
    m_params.port,
    m_params.socket.empty() ? nullptr : m_params.socket.c_str(),
    CLIENT_FOUND_ROWS);
  const auto give_up = Clock::now() + k_connect_timeout;
  const Interrupt stop = [&] {
    return (should_interrupt && should_interrupt()) || Clock::now() >= give_up;
  };
  try {
    drive(
      status,
      [&](int ready) {
        return mysql_real_connect_cont(&connected, handle, ready);
      },
      stop);
  } catch (const SqlError&) {
    throw fail(
      Clock::now() >= give_up
        ? fmt::format("no answer within {} s", k_connect_timeout.count())
        : std::string("interrupted while connecting"));
  }
  if (connected == nullptr) {
    throw fail(mysql_error(handle));
  }
  // The connector goes on in plain text when the server offers no TLS and
  // nothing is to be verified: REQUIRED is checked here (over TCP; a unix
  // socket never carries TLS).
  const bool is_tcp = m_params.socket.empty() && !m_params.host.empty()
                      && m_params.host != "localhost";
  if (is_tcp && m_params.ssl_mode != SslMode::preferred
      && m_params.ssl_mode != SslMode::disabled
      && mysql_get_ssl_cipher(handle) == nullptr) {
    throw fail("ssl-mode asks for TLS, but the server did not use it");
  }
  m_thread_id = mysql_thread_id(handle);
}

void Connection::drive(int status,
                       const std::function<int(int)>& resume,
                       const Interrupt& should_interrupt)
{
  MYSQL* handle = m_handle.get();
  bool is_stopped = false;
  bool is_shut = false;
  Clock::time_point give_up{};
  // The connector's own limit for this wait (a connect or write timeout).
  const auto library_deadline_of = [&](int waiting) {
    return (waiting & MYSQL_WAIT_TIMEOUT) == 0
             ? Clock::time_point::max()
             : Clock::now()
                 + std::chrono::milliseconds(
                   mysql_get_timeout_value_ms(handle));
  };
  Clock::time_point library_deadline = library_deadline_of(status);
  while (status != 0) {
    const auto now = Clock::now();
    if (!is_stopped && should_interrupt && should_interrupt()) {
      is_stopped = true;
      give_up = now + k_abandon_timeout;
      // Connecting (no thread id yet), nothing runs on the server: the
      // socket is shut instead.
      if (m_thread_id == 0 || !kill_query()) {
        shut_socket();
        is_shut = true;
      }
    }
    if (is_stopped && !is_shut && now >= give_up) {
      shut_socket();
      is_shut = true;
    }
    int ready = 0;
    pollfd fd{mysql_get_socket(handle), 0, 0};
    if ((status & MYSQL_WAIT_READ) != 0) {
      fd.events |= POLLIN;
    }
    if ((status & MYSQL_WAIT_WRITE) != 0) {
      fd.events |= POLLOUT;
    }
    if ((status & MYSQL_WAIT_EXCEPT) != 0) {
      fd.events |= POLLPRI;
    }
    if (fd.fd >= 0 && ::poll(&fd, 1, k_poll_ms) > 0) {
      if ((fd.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
        ready |= status & MYSQL_WAIT_READ;
      }
      if ((fd.revents & (POLLOUT | POLLHUP | POLLERR)) != 0) {
        ready |= status & MYSQL_WAIT_WRITE;
      }
      if ((fd.revents & POLLPRI) != 0) {
        ready |= MYSQL_WAIT_EXCEPT;
      }
    } else if (fd.fd < 0) {
      ready = status & (MYSQL_WAIT_READ | MYSQL_WAIT_WRITE);
    }
    if ((status & MYSQL_WAIT_TIMEOUT) != 0
        && Clock::now() >= library_deadline) {
      ready |= MYSQL_WAIT_TIMEOUT;
    }
    if (ready != 0) {
      status = resume(ready);
      library_deadline = library_deadline_of(status);
    }
  }
  if (is_shut) {
    m_is_lost = true;
  }
  if (is_stopped) {
    throw SqlError("interrupted", k_interrupted_state);
  }
}

bool Connection::kill_query() const noexcept
{
  // The kill connection may take as long as a killed statement may.
  const HandlePtr killer(mysql_init(nullptr));
  if (!killer) {
    return false;
  }
  const auto timeout = static_cast<unsigned int>(k_abandon_timeout.count());
  set_options(killer.get(), timeout);
  mysql_options(killer.get(), MYSQL_OPT_READ_TIMEOUT, &timeout);
  if (mysql_real_connect(
        killer.get(),
        m_params.host.c_str(),
        m_params.user.empty() ? nullptr : m_params.user.c_str(),
        m_params.password.empty() ? nullptr : m_params.password.c_str(),
        m_params.database.c_str(),
        m_params.port,
        m_params.socket.empty() ? nullptr : m_params.socket.c_str(),
        0)
      == nullptr) {
    return false;
  }
  const std::string kill = fmt::format("KILL QUERY {}", m_thread_id);
  return mysql_real_query(killer.get(), kill.data(), kill.size()) == 0;
}

void Connection::shut_socket() noexcept
{
  const auto fd = mysql_get_socket(m_handle.get());
  if (fd >= 0) {
    ::shutdown(fd, SHUT_RDWR);
  }
  m_is_lost = true;
}

void Connection::execute(std::string_view sql,
                         const Interrupt& should_interrupt)
{
  if (is_lost()) {
    throw SqlError(
      fmt::format("database {}: the connection to the server was lost",
                  m_spec.name),
      k_connection_state);
  }
  MYSQL* handle = m_handle.get();
  int failed = 0;
  drive(
    mysql_real_query_start(&failed, handle, sql.data(), sql.size()),
    [&](int ready) { return mysql_real_query_cont(&failed, handle, ready); },
    should_interrupt);
  if (failed != 0) {
    throw error();
  }
  // The engine's own statements give no rows; one that did is drained.
  if (mysql_field_count(handle) > 0) {
    MYSQL_RES* result = nullptr;
    drive(
      mysql_store_result_start(&result, handle),
      [&](int ready) {
        return mysql_store_result_cont(&result, handle, ready);
      },
      should_interrupt);
    mysql_free_result(result);
  }
}

bool Connection::in_transaction() const noexcept
{
  unsigned int status = 0;
  if (!m_handle
      || mariadb_get_infov(
           m_handle.get(), MARIADB_CONNECTION_SERVER_STATUS, &status)
           != 0) {
    return false;
  }
  return (status & SERVER_STATUS_IN_TRANS) != 0;
}

void Connection::rollback() noexcept
{
  if (is_lost()) {
    return;
  }
  if (failure_within_abandon_timeout(
        [&](const Interrupt& give_up) { execute("ROLLBACK", give_up); })) {
    m_is_lost = true;
  }
}

void Connection::reset_session(const Interrupt& give_up)
{
  if (is_lost()) {
    throw error();
  }
  MYSQL* handle = m_handle.get();
  int failed = 0;
  drive(
    mysql_reset_connection_start(&failed, handle),
    [&](int ready) {
      return mysql_reset_connection_cont(&failed, handle, ready);
    },
    give_up);
  if (failed != 0) {
    throw error();
  }
  execute(k_session_setup, give_up);
}

ServerError Connection::make_error(unsigned int number,
                                   const char* sqlstate,
                                   const char* message)
{
  std::string text = m_spec.scrub(trimmed(message == nullptr ? "" : message));
  if (number == 0 || is_connection_error(number)) {
    m_is_lost = true;
    if (text.empty()) {
      text = "the connection to the server was lost";
    }
    return ServerError(fmt::format("database {}: {}", m_spec.name, text),
                       k_connection_state,
                       number);
  }
  return ServerError(
    text, sqlstate == nullptr ? "HY000" : std::string(sqlstate), number);
}

ServerError Connection::error()
{
  MYSQL* handle = m_handle.get();
  if (handle == nullptr) {
    return make_error(0, nullptr, nullptr);
  }
  return make_error(
    mysql_errno(handle), mysql_sqlstate(handle), mysql_error(handle));
}

ServerError Connection::error(MYSQL_STMT* statement)
{
  return make_error(mysql_stmt_errno(statement),
                    mysql_stmt_sqlstate(statement),
                    mysql_stmt_error(statement));
}

} // namespace jq::sql::mysql
