#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace jq::redis {

// The pause before each reconnect attempt: doubling from `first` up to
// `longest`, back to `first` after a success. Every reconnect loop uses it.
class Backoff
{
public:
  explicit Backoff(
    std::chrono::milliseconds first = std::chrono::milliseconds(100),
    std::chrono::milliseconds longest = std::chrono::milliseconds(5'000))
    : m_first(first),
      m_longest(longest),
      m_next(first)
  {
  }

  // The pause to take now; the next one is twice as long.
  std::chrono::milliseconds next()
  {
    const auto pause = m_next;
    m_next = std::min(m_next * 2, m_longest);
    return pause;
  }

  void reset()
  {
    m_next = m_first;
  }

  // Take the next pause, waking early when `stop` turns true.
  void sleep(const std::atomic<bool>& stop)
  {
    sleep_unless(stop, next());
  }

  static void sleep_unless(const std::atomic<bool>& stop,
                           std::chrono::milliseconds duration)
  {
    using Clock = std::chrono::steady_clock;
    const auto until = Clock::now() + duration;
    while (!stop.load() && Clock::now() < until) {
      std::this_thread::sleep_for(std::min<Clock::duration>(
        std::chrono::milliseconds(20), until - Clock::now()));
    }
  }

private:
  std::chrono::milliseconds m_first;
  std::chrono::milliseconds m_longest;
  std::chrono::milliseconds m_next;
};

} // namespace jq::redis
