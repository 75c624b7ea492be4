#pragma once

#include <jq/sql/mysql/connection.hpp>
#include <jq/sql/mysql/result.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace jq::sql::mysql {

struct CloseStatement
{
  void operator()(MYSQL_STMT* statement) const noexcept
  {
    mysql_stmt_close(statement);
  }
};

// What one execution of a statement did.
struct Execution
{
  // The rows it changed (found, for an UPDATE: CLIENT_FOUND_ROWS), 0 for a
  // statement that gave rows.
  std::uint64_t changes = 0;
  // The rows it gave.
  std::uint64_t rows = 0;
  // The AUTO_INCREMENT value it made, 0 when none.
  std::uint64_t insert_id = 0;
  // The columns of its rows (an empty array when it gave none).
  nlohmann::json columns = nlohmann::json::array();
};

// Called with the result set after each row was fetched into it; may throw
// to stop the statement (a limit reached).
using RowHandler = std::function<void(ResultSet& row)>;

// One statement prepared on the server (mysql_stmt_prepare), executed once
// or, for a batch, once per row. Rows are fetched one at a time as they
// come, never all buffered, so a limit stops a large result early: the
// statement is then killed on the server and the rest drained. Must not
// outlive its connection.
class PreparedStatement
{
public:
  // Throws SqlError as the server refuses the statement.
  PreparedStatement(Connection& connection,
                    const std::string& sql,
                    const Interrupt& should_interrupt);

  // The number of `?` in it.
  unsigned long parameter_count() const noexcept;

  // Execute with `binds` (parameter_count() of them, or none), giving each
  // row to `on_row`. Throws SqlError for the server's error, or when
  // interrupted; what `on_row` throws, once the statement has stopped.
  Execution execute(MYSQL_BIND* binds,
                    const Interrupt& should_interrupt,
                    const RowHandler& on_row);

private:
  // Stop the running statement and drain its rows; a connection that
  // cannot is marked lost.
  void abandon() noexcept;

  Connection& m_connection;
  std::unique_ptr<MYSQL_STMT, CloseStatement> m_statement;
};

} // namespace jq::sql::mysql
