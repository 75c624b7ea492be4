#pragma once

#include <functional>

struct sqlite3;

namespace jq::sql::sqlite {

// Stops the statements of jobs whose time is up, from a thread of its own:
// every few milliseconds it asks each watched connection's job whether it
// should stop and, if so, calls sqlite3_interrupt() on it. SQLite's progress
// handler asks only every so many virtual machine steps, so a statement
// that spends long in each step (a large randomblob() for every row) would
// otherwise run on for many seconds; an interrupt is seen at the next step.
// Thread-safe; the thread starts with the first watch and ends with the
// process.
class Watchdog
{
public:
  static Watchdog& instance();

  // Watch `handle` until unwatch(); `should_interrupt` is called from the
  // watchdog's thread and must stay valid until then.
  void watch(sqlite3* handle, const std::function<bool()>* should_interrupt);

  // Stop watching `handle`: once this returns, no interrupt reaches it.
  void unwatch(sqlite3* handle) noexcept;

  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

private:
  Watchdog();
  ~Watchdog();

  struct State;
  State* m_state;
};

} // namespace jq::sql::sqlite
