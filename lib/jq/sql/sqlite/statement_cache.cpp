#include "statement_cache.hpp"

#include <sqlite3.h>

namespace jq::sql::sqlite {

void StatementDeleter::operator()(sqlite3_stmt* statement) const noexcept
{
  sqlite3_finalize(statement);
}

StatementCache::StatementCache(std::size_t capacity)
  : m_capacity(capacity)
{
}

StatementCache::Lookup StatementCache::lookup(std::string_view sql)
{
  const auto found = m_index.find(sql);
  if (found == m_index.end()) {
    return {};
  }
  m_entries.splice(m_entries.begin(), m_entries, found->second);
  return {true, found->second->second.get()};
}

sqlite3_stmt* StatementCache::add(std::string_view sql,
                                  StatementPtr statement,
                                  StatementPtr& spare)
{
  if (m_capacity == 0 || sql.size() > k_max_sql_bytes
      || m_index.contains(sql)) {
    spare = std::move(statement);
    return spare.get();
  }
  if (m_entries.size() >= m_capacity) {
    m_index.erase(m_entries.back().first);
    m_entries.pop_back();
  }
  m_entries.emplace_front(std::string(sql), std::move(statement));
  // The key views the entry's own string, which a std::list never moves.
  m_index.emplace(m_entries.front().first, m_entries.begin());
  return m_entries.front().second.get();
}

std::size_t StatementCache::size() const noexcept
{
  return m_entries.size();
}

} // namespace jq::sql::sqlite
