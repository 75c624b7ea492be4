#pragma once

#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace jq::queue {

// The jobs whose locks a worker holds: from the moment a take returns them
// until their end is recorded. The renewals and the reclaim of orphans
// after a lost reply read it; thread-safe.
class LockBook
{
public:
  void hold(const std::string& id);
  void release(const std::string& id);
  // Its end is being recorded: a failed renewal then is no news.
  void mark_finishing(const std::string& id);

  // Every id held.
  std::vector<std::string> all() const;
  // The ids held and not being finished: those whose locks to renew.
  std::vector<std::string> to_renew() const;
  // True while `id` is held and not being finished.
  bool is_running(const std::string& id) const;

private:
  mutable std::mutex m_mutex;
  std::set<std::string> m_held;
  std::set<std::string> m_finishing;
};

} // namespace jq::queue
