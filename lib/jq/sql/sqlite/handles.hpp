#pragma once

#include <memory>

struct sqlite3;
struct sqlite3_stmt;

namespace jq::sql::sqlite {

struct DatabaseCloser
{
  void operator()(sqlite3* handle) const noexcept;
};

struct StatementDeleter
{
  void operator()(sqlite3_stmt* statement) const noexcept;
};

// An owned SQLite connection handle, closed when it goes.
using DatabasePtr = std::unique_ptr<sqlite3, DatabaseCloser>;

// An owned prepared statement, finalized when it goes.
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

} // namespace jq::sql::sqlite
