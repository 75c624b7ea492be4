#include "checkpointer.hpp"

#include <sqlite3.h>

namespace jq::sql::sqlite {

void Checkpointer::Close::operator()(sqlite3* handle) const noexcept
{
  sqlite3_close_v2(handle);
}

Checkpointer::Checkpointer(sqlite3* writer)
  : m_writer(writer)
{
  // An in-memory or temporary database has no file ("" or null).
  const char* const path = sqlite3_db_filename(writer, "main");
  if (path == nullptr || *path == '\0') {
    return;
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(
    path, &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  m_own.reset(raw);
  if (rc != SQLITE_OK) {
    m_own.reset();
    return;
  }
  m_thread = std::thread([this] { run(); });
  sqlite3_wal_hook(m_writer, &Checkpointer::on_commit, this);
}

Checkpointer::~Checkpointer()
{
  if (!m_thread.joinable()) {
    return;
  }
  sqlite3_wal_hook(m_writer, nullptr, nullptr);
  {
    const std::lock_guard lock(m_mutex);
    m_is_stopping = true;
  }
  m_wake.notify_one();
  m_thread.join();
}

int Checkpointer::on_commit(void* self,
                            sqlite3* writer,
                            const char* name,
                            int pages)
{
  auto& checkpointer = *static_cast<Checkpointer*>(self);
  if (pages >= k_inline_pages) {
    // After the thread's checkpoint, if one runs (a second one would find
    // the log locked, and do nothing); the thread starts none meanwhile.
    std::unique_lock lock(checkpointer.m_mutex);
    checkpointer.m_idle.wait(lock,
                             [&checkpointer] { return !checkpointer.m_is_running; });
    sqlite3_wal_checkpoint_v2(
      writer, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  } else if (pages >= k_start_pages) {
    {
      const std::lock_guard lock(checkpointer.m_mutex);
      checkpointer.m_is_due = true;
    }
    checkpointer.m_wake.notify_one();
  }
  // A failed checkpoint is not the commit's failure: the next one tries
  // again.
  return SQLITE_OK;
}

void Checkpointer::run()
{
  bool has_read = false;
  std::unique_lock lock(m_mutex);
  for (;;) {
    m_wake.wait(lock, [this] { return m_is_due || m_is_stopping; });
    if (m_is_stopping) {
      return;
    }
    m_is_due = false;
    m_is_running = true;
    lock.unlock();
    if (!has_read) {
      // A connection finds the log at its first read: until then a
      // checkpoint does nothing.
      has_read = sqlite3_exec(m_own.get(),
                              "PRAGMA schema_version",
                              nullptr,
                              nullptr,
                              nullptr)
                 == SQLITE_OK;
    }
    sqlite3_wal_checkpoint_v2(
      m_own.get(), "main", SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    lock.lock();
    m_is_running = false;
    m_idle.notify_all();
  }
}

} // namespace jq::sql::sqlite
