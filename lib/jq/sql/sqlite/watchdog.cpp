#include "watchdog.hpp"

#include <sqlite3.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>

namespace jq::sql::sqlite {

namespace {

using Clock = std::chrono::steady_clock;

// How often the watched jobs are asked.
constexpr std::chrono::milliseconds k_period{5};

// How long the thread goes on looking every period once nothing is
// watched, before it sleeps until the next watch. A busy worker watches and
// unwatches thousands of times a second with gaps between: waking the
// thread at each first watch cost a context switch for most jobs.
constexpr std::chrono::seconds k_linger{1};

} // namespace

struct Watchdog::State
{
  std::mutex mutex;
  std::condition_variable changed;
  std::map<sqlite3*, const std::function<bool()>*> watched;
  bool is_asleep = false; // waiting for a watch, with no timeout
  bool is_stopping = false;
  std::thread thread;

  void run()
  {
    std::unique_lock lock(mutex);
    auto last_watched = Clock::now();
    while (!is_stopping) {
      if (!watched.empty()) {
        last_watched = Clock::now();
        for (const auto& [handle, should_interrupt] : watched) {
          if ((*should_interrupt)()) {
            sqlite3_interrupt(handle);
          }
        }
      } else if (Clock::now() - last_watched >= k_linger) {
        is_asleep = true;
        changed.wait(lock, [this] { return !watched.empty() || is_stopping; });
        is_asleep = false;
        continue;
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
  bool is_asleep = false;
  {
    const std::lock_guard lock(m_state->mutex);
    if (!m_state->thread.joinable()) {
      m_state->thread = std::thread([state = m_state] { state->run(); });
    }
    is_asleep = m_state->is_asleep;
    m_state->watched[handle] = should_interrupt;
  }
  if (is_asleep) {
    m_state->changed.notify_all(); // otherwise it looks within a period
  }
}

void Watchdog::unwatch(sqlite3* handle) noexcept
{
  const std::lock_guard lock(m_state->mutex);
  m_state->watched.erase(handle);
}

} // namespace jq::sql::sqlite
