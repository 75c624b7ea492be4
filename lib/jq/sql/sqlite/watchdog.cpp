#include "watchdog.hpp"

#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace jq::sql::sqlite {

namespace {

// How often the watched jobs are asked.
constexpr std::chrono::milliseconds k_period{5};

} // namespace

struct Watchdog::State
{
  std::mutex mutex;
  std::condition_variable changed;
  std::map<sqlite3*, const std::function<bool()>*> watched;
  bool is_stopping = false;
  std::thread thread;

  void run()
  {
    std::unique_lock lock(mutex);
    while (!is_stopping) {
      if (watched.empty()) {
        changed.wait(lock);
        continue;
      }
      for (const auto& [handle, should_interrupt] : watched) {
        if ((*should_interrupt)()) {
          sqlite3_interrupt(handle);
        }
      }
      changed.wait_for(lock, k_period);
    }
  }
};

Watchdog& Watchdog::instance()
{
  static Watchdog watchdog;
  return watchdog;
}

Watchdog::Watchdog()
  : m_state(new State)
{
}

Watchdog::~Watchdog()
{
  {
    const std::lock_guard lock(m_state->mutex);
    m_state->is_stopping = true;
  }
  m_state->changed.notify_all();
  if (m_state->thread.joinable()) {
    m_state->thread.join();
  }
  delete m_state;
}

void Watchdog::watch(sqlite3* handle,
                     const std::function<bool()>* should_interrupt)
{
  bool is_first = false;
  {
    const std::lock_guard lock(m_state->mutex);
    if (!m_state->thread.joinable()) {
      m_state->thread = std::thread([state = m_state] { state->run(); });
    }
    is_first = m_state->watched.empty();
    m_state->watched[handle] = should_interrupt;
  }
  if (is_first) {
    m_state->changed.notify_all(); // it waits for work without a timeout
  }
}

void Watchdog::unwatch(sqlite3* handle) noexcept
{
  const std::lock_guard lock(m_state->mutex);
  m_state->watched.erase(handle);
}

} // namespace jq::sql::sqlite
