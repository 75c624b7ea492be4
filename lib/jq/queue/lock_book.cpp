#include "lock_book.hpp"

namespace jq::queue {

void LockBook::hold(const std::string& id)
{
  const std::lock_guard lock(m_mutex);
  m_held.insert(id);
}

void LockBook::release(const std::string& id)
{
  const std::lock_guard lock(m_mutex);
  m_held.erase(id);
  m_finishing.erase(id);
}

void LockBook::mark_finishing(const std::string& id)
{
  const std::lock_guard lock(m_mutex);
  m_finishing.insert(id);
}

std::vector<std::string> LockBook::all() const
{
  const std::lock_guard lock(m_mutex);
  return {m_held.begin(), m_held.end()};
}

std::vector<std::string> LockBook::to_renew() const
{
  const std::lock_guard lock(m_mutex);
  std::vector<std::string> ids;
  ids.reserve(m_held.size());
  for (const auto& id : m_held) {
    if (!m_finishing.contains(id)) {
      ids.push_back(id);
    }
  }
  return ids;
}

bool LockBook::is_running(const std::string& id) const
{
  const std::lock_guard lock(m_mutex);
  return m_held.contains(id) && !m_finishing.contains(id);
}

} // namespace jq::queue
