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

// How long after the last watch began the thread goes on looking every
// period, before it sleeps until the next watch. A busy worker watches and
// unwatches thousands of times a second with gaps between: waking the
// thread at each watch cost a context switch for most jobs. Short, so a
// worker with a job now and then sleeps between them.
constexpr std::chrono::milliseconds k_linger{100};

} // namespace

struct Watchdog::State
{
  std::mutex mutex;
  std::condition_variable changed;
  std::map<sqlite3*, const std::function<bool()>*> watched;
  Clock::time_point last_watch; // when the latest watch began
  bool is_asleep = false;       // waiting for a watch, with no timeout
  bool is_stopping = false;
  std::thread thread;

  void run()
  {
    std::unique_lock lock(mutex);
    while (!is_stopping) {
      for (const auto& [handle, should_interrupt] : watched) {
        if ((*should_interrupt)()) {
          sqlite3_interrupt(handle);
        }
      }
      if (watched.empty() && Clock::now() - last_watch >= k_linger) {
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
    m_state->last_watch = Clock::now();
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
