#pragma once

#include <jq/sql/request.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace SQLite {
class Database;
}

namespace jq::sql {

// A database a worker was given: `--db NAME=PATH[:ro]`.
struct DatabaseSpec
{
  std::string name;
  std::string path;
  bool read_only = false;
};

// Parse `NAME=PATH` or `NAME=PATH:ro`. Throws UsageError.
DatabaseSpec parse_database_spec(std::string_view text);

// Runs SQL requests against a fixed set of SQLite databases and returns the
// typed reply: {"columns": [...], "rows": [[...]], "changes": N,
// "last_insert_rowid": N}. Integers stay 64-bit, NULL is null, blobs are
// {"$base64": "..."}. Not thread-safe: give each worker thread its own.
class Executor
{
public:
  // Opens every database now (so a bad path is found at start-up, not at the
  // first job). Throws UsageError if one cannot be opened.
  explicit Executor(const std::vector<DatabaseSpec>& databases);
  ~Executor();
  Executor(Executor&&) noexcept;
  Executor& operator=(Executor&&) noexcept;
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Run `request` in one transaction. Throws JobError for an unknown
  // database or bad parameters, SqlError for SQLite's errors (the transaction
  // is rolled back).
  nlohmann::json run(const Request& request);

private:
  std::map<std::string, std::unique_ptr<SQLite::Database>, std::less<>> m_dbs;
};

} // namespace jq::sql
