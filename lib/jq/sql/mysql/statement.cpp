#include "statement.hpp"

#include <fmt/format.h>

#include <chrono>
#include <optional>

namespace jq::sql::mysql {

namespace {

// ER_UNSUPPORTED_PS: a statement the server cannot prepare.
constexpr unsigned int k_er_unsupported_ps = 1295;

} // namespace

PreparedStatement::PreparedStatement(Connection& connection,
                                     const std::string& sql,
                                     const Interrupt& should_interrupt)
  : m_connection(connection)
{
  if (connection.is_lost()) {
    throw connection.error();
  }
  m_statement.reset(mysql_stmt_init(connection.handle()));
  if (!m_statement) {
    throw connection.error();
  }
  MYSQL_STMT* statement = m_statement.get();
  int failed = 0;
  connection.drive(
    mysql_stmt_prepare_start(&failed, statement, sql.data(), sql.size()),
    [&](int ready) {
      return mysql_stmt_prepare_cont(&failed, statement, ready);
    },
    should_interrupt);
  if (failed != 0) {
    ServerError error = connection.error(statement);
    if (error.number() == k_er_unsupported_ps) {
      throw ServerError(fmt::format("{} (a job's statement is run as a "
                                    "prepared statement)",
                                    error.what()),
                        error.sqlstate(),
                        error.number());
    }
    throw error;
  }
}

unsigned long PreparedStatement::parameter_count() const noexcept
{
  return mysql_stmt_param_count(m_statement.get());
}

Execution PreparedStatement::execute(MYSQL_BIND* binds,
                                     const Interrupt& should_interrupt,
                                     const RowHandler& on_row)
{
  MYSQL_STMT* statement = m_statement.get();
  if (m_connection.is_lost()) {
    throw m_connection.error();
  }
  if (binds != nullptr && mysql_stmt_bind_param(statement, binds) != 0) {
    throw m_connection.error(statement);
  }
  Execution execution;
  // Outside the try: the rows abandon() drains are fetched into its
  // buffers.
  std::optional<ResultSet> result;
  try {
    int failed = 0;
    m_connection.drive(
      mysql_stmt_execute_start(&failed, statement),
      [&](int ready) {
        return mysql_stmt_execute_cont(&failed, statement, ready);
      },
      should_interrupt);
    if (failed != 0) {
      throw m_connection.error(statement);
    }
    if (mysql_stmt_field_count(statement) == 0) {
      execution.changes = mysql_stmt_affected_rows(statement);
      execution.insert_id = mysql_stmt_insert_id(statement);
      return execution;
    }
    ResultPtr metadata(mysql_stmt_result_metadata(statement));
    if (!metadata) {
      throw m_connection.error(statement);
    }
    result.emplace(statement, std::move(metadata));
    execution.columns = result->column_names();
    for (;;) {
      int fetched = 0;
      m_connection.drive(
        mysql_stmt_fetch_start(&fetched, statement),
        [&](int ready) {
          return mysql_stmt_fetch_cont(&fetched, statement, ready);
        },
        should_interrupt);
      if (fetched == MYSQL_NO_DATA) {
        break;
      }
      if (fetched != 0 && fetched != MYSQL_DATA_TRUNCATED) {
        throw m_connection.error(statement);
      }
      ++execution.rows;
      if (on_row) {
        on_row(*result);
      }
    }
    execution.insert_id = mysql_stmt_insert_id(statement);
  } catch (...) {
    abandon();
    throw;
  }
  return execution;
}

void PreparedStatement::abandon() noexcept
{
  MYSQL_STMT* statement = m_statement.get();
  // Rows still coming are read to their end: the statement is killed at
  // the first wait, then given a few seconds (the connection's own limit
  // shuts the socket past them).
  bool is_killed = false;
  const auto give_up =
    std::chrono::steady_clock::now() + std::chrono::seconds(5);
  const Interrupt stop = [&] {
    return !is_killed || std::chrono::steady_clock::now() >= give_up;
  };
  while (!m_connection.is_lost()) {
    int fetched = 1;
    try {
      m_connection.drive(
        mysql_stmt_fetch_start(&fetched, statement),
        [&](int ready) {
          return mysql_stmt_fetch_cont(&fetched, statement, ready);
        },
        stop);
    } catch (const std::exception&) {
      is_killed = true;
    }
    // The end, or the server's error (the kill): nothing more comes.
    if (fetched != 0 && fetched != MYSQL_DATA_TRUNCATED) {
      break;
    }
  }
}

} // namespace jq::sql::mysql
