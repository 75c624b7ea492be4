#pragma once

#include <jq/sql/sqlite/handles.hpp>

#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace jq::sql::sqlite {

// The prepared statements of one connection, by SQL text, so a job whose SQL
// was seen before skips SQLite's parser and planner (most of a small job's
// cost). Beyond `capacity` the least recently used is finalized. A cached
// statement stays right when the schema changes: SQLite prepares it again
// on its next step, under the connection's authorizer.
class StatementCache
{
public:
  // Statements longer than this are not kept: a few huge texts must not
  // pin memory for the worker's lifetime.
  static constexpr std::size_t k_max_sql_bytes = 16 * 1024;

  explicit StatementCache(std::size_t capacity);

  // What the cache knows of one SQL text.
  struct Lookup
  {
    bool is_known = false;
    // Null when the text is known to run on another connection.
    sqlite3_stmt* statement = nullptr;
  };

  // What is kept for `sql`. A hit becomes the most recent.
  Lookup lookup(std::string_view sql);

  // The statement kept for `sql`, or null.
  sqlite3_stmt* find(std::string_view sql)
  {
    return lookup(sql).statement;
  }

  // Keep `statement` for `sql` (when short enough) and return it. It stays
  // valid until the next add(); a statement not kept is owned by `spare`.
  // A null `statement` remembers that `sql` runs on another connection
  // (a write, on a shared writer connection).
  sqlite3_stmt*
  add(std::string_view sql, StatementPtr statement, StatementPtr& spare);

  std::size_t size() const noexcept;

private:
  using Entry = std::pair<std::string, StatementPtr>;
  std::size_t m_capacity;
  std::list<Entry> m_entries; // most recently used first
  std::unordered_map<std::string_view, std::list<Entry>::iterator> m_index;
};

} // namespace jq::sql::sqlite
