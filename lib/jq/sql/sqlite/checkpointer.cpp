#include "checkpointer.hpp"

#include <sqlite3.h>

#include <cstring>
#include <exception>
#include <string_view>
#include <utility>

namespace jq::sql::sqlite {

namespace {

// PASSIVE checkpoints one wake-up may run, each copying what the writer
// committed during the one before, until the log is copied whole.
constexpr int k_passes = 4;

// Whether `writer`'s database is a plain file on the default VFS: the
// second connection, opened by the file's name, then shares its locks.
bool is_plain_file(sqlite3* writer)
{
  const char* const path = sqlite3_db_filename(writer, "main");
  // No file: in memory, or temporary. Parameters from a URI (a mode, a
  // lock setting) would be lost by opening the name alone.
  if (path == nullptr || *path == '\0' || sqlite3_uri_key(path, 0) != nullptr) {
    return false;
  }
  char* vfs = nullptr;
  sqlite3_file_control(writer, "main", SQLITE_FCNTL_VFSNAME, &vfs);
  const bool is_default =
    vfs != nullptr && std::string_view(vfs) == sqlite3_vfs_find(nullptr)->zName;
  sqlite3_free(vfs);
  return is_default;
}

// Whether `connection`'s database is in WAL mode. A connection finds the
// log at its first read (until then its checkpoints do nothing): this is
// that read.
bool reads_as_wal(sqlite3* connection)
{
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(connection, "PRAGMA journal_mode", -1, &raw, nullptr)
      != SQLITE_OK) {
    return false;
  }
  const StatementPtr mode(raw);
  if (sqlite3_step(mode.get()) != SQLITE_ROW) {
    return false;
  }
  const auto* text =
    reinterpret_cast<const char*>(sqlite3_column_text(mode.get(), 0));
  return text != nullptr && std::strcmp(text, "wal") == 0;
}

// One PASSIVE checkpoint on `connection`; true when it copied the whole
// log.
bool checkpoint(sqlite3* connection, const char* name)
{
  int log = 0;
  int copied = 0;
  const int rc = sqlite3_wal_checkpoint_v2(
    connection, name, SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  return rc == SQLITE_OK && copied == log;
}

} // namespace

Checkpointer::Checkpointer(sqlite3* writer)
  : m_writer(writer)
{
  if (!is_plain_file(writer)) {
    return;
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(sqlite3_db_filename(writer, "main"),
                                 &raw,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  DatabasePtr own(raw);
  // Its cache holds the few pages it reads, as the writer's would.
  if (rc != SQLITE_OK
      || sqlite3_exec(
           own.get(), "PRAGMA cache_size = -256", nullptr, nullptr, nullptr)
           != SQLITE_OK
      || !reads_as_wal(own.get())) {
    return;
  }
  m_own = std::move(own);
  try {
    m_thread = std::thread([this] { run(); });
  } catch (const std::exception&) {
    m_own.reset();
    return;
  }
  sqlite3_wal_hook(m_writer, &Checkpointer::on_commit, this);
}

Checkpointer::~Checkpointer()
{
  if (!m_thread.joinable()) {
    return;
  }
  // SQLite's own checkpoint is a WAL hook too: this puts it back.
  sqlite3_wal_autocheckpoint(m_writer, k_log_pages_to_start);
  {
    const std::lock_guard lock(m_mutex);
    m_is_stopping = true;
  }
  m_changed.notify_all();
  m_thread.join();
}

// noexcept: a mutex that fails ends the process, rather than unwinding
// through SQLite's frames.
int Checkpointer::on_commit(void* self,
                            sqlite3* writer,
                            const char* name,
                            int pages) noexcept
{
  if (pages < k_log_pages_to_start) {
    return SQLITE_OK;
  }
  auto& checkpointer = *static_cast<Checkpointer*>(self);
  std::unique_lock lock(checkpointer.m_mutex);
  if (pages >= k_log_pages_inline) {
    // After the thread's checkpoint, if one runs (a second one would find
    // the log locked, and do nothing); the thread starts none meanwhile.
    checkpointer.m_changed.wait(
      lock, [&checkpointer] { return !checkpointer.m_is_running; });
    checkpointer.m_is_running = true;
    lock.unlock();
    checkpoint(writer, name);
    lock.lock();
    checkpointer.m_is_running = false;
  } else {
    checkpointer.m_is_due = true;
  }
  lock.unlock();
  checkpointer.m_changed.notify_all();
  // A checkpoint that failed is not the commit's failure.
  return SQLITE_OK;
}

void Checkpointer::run() noexcept
{
  std::unique_lock lock(m_mutex);
  for (;;) {
    m_changed.wait(
      lock, [this] { return (m_is_due && !m_is_running) || m_is_stopping; });
    if (m_is_stopping) {
      return;
    }
    m_is_due = false;
    m_is_running = true;
    lock.unlock();
    for (int pass = 0; pass < k_passes; ++pass) {
      if (checkpoint(m_own.get(), "main")) {
        break;
      }
    }
    lock.lock();
    m_is_running = false;
    m_changed.notify_all();
  }
}

} // namespace jq::sql::sqlite
