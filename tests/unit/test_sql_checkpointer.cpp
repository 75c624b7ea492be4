#include "temp_dir.hpp"

#include <jq/sql/sqlite/checkpointer.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>

using jq::sql::sqlite::Checkpointer;
using jq::test::TempDir;

namespace fs = std::filesystem;

namespace {

// A database in WAL mode (or `journal_mode`) with a table whose rows take a
// page each.
SQLite::Database open_writer(const std::string& path,
                             const std::string& journal_mode = "WAL")
{
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  // As the worker's connections do (Connection::on_busy): a commit can meet
  // the checkpointer's connection holding a WAL lock for a moment, and on a
  // loaded machine the moment was long enough to fail a test ("database is
  // locked", once, with ASan builds running beside it).
  db.setBusyTimeout(10'000);
  db.exec("PRAGMA page_size = 4096; PRAGMA journal_mode = " + journal_mode
          + "; PRAGMA synchronous = NORMAL; "
            "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
  return db;
}

// Insert `rows` rows of 3,000 bytes, in one transaction, or in a
// transaction each.
void insert_rows(SQLite::Database& db, int rows, bool at_once)
{
  if (at_once) {
    db.exec("BEGIN");
  }
  SQLite::Statement insert(db, "INSERT INTO t (v) VALUES (zeroblob(3000))");
  for (int i = 0; i < rows; ++i) {
    insert.exec();
    insert.reset();
  }
  if (at_once) {
    db.exec("COMMIT");
  }
}

std::uintmax_t size_of(const std::string& path)
{
  std::error_code error;
  const auto size = fs::file_size(path, error);
  return error ? 0 : size;
}

// The database's size in pages, as its file holds it once every page in
// the log was copied back.
std::uintmax_t database_bytes(SQLite::Database& db)
{
  return static_cast<std::uintmax_t>(
    db.execAndGet("PRAGMA page_count").getInt64() * 4096);
}

} // namespace

TEST_CASE("jq::sql::sqlite::Checkpointer")
{
  const TempDir dir;
  const std::string path = dir.file("wal.db");
  constexpr int k_rows = Checkpointer::k_log_pages_to_start + 200;

  SUBCASE("its thread copies the log into the database file")
  {
    SQLite::Database writer = open_writer(path);
    {
      const Checkpointer checkpointer(writer.getHandle());
      REQUIRE(checkpointer.is_on());
      // One commit past k_log_pages_to_start, short of k_log_pages_inline:
      // it leaves the copy to the thread.
      insert_rows(writer, k_rows, true);
      const auto give_up =
        std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (size_of(path) < database_bytes(writer)
             && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      CHECK(size_of(path) == database_bytes(writer));
    }
    SQLite::Database reader(path);
    CHECK(reader.execAndGet("SELECT count(*) FROM t").getInt() == k_rows);
  }

  SUBCASE("commits without a pause keep the log bounded")
  {
    SQLite::Database writer = open_writer(path);
    std::uintmax_t largest_log = 0;
    {
      const Checkpointer checkpointer(writer.getHandle());
      REQUIRE(checkpointer.is_on());
      for (int round = 0; round < 40; ++round) {
        insert_rows(writer, 250, false);
        largest_log = std::max(largest_log, size_of(path + "-wal"));
      }
    }
    // Each page in the log has a 24-byte header; a commit adds a few
    // pages past the limit.
    CHECK(largest_log
          <= (Checkpointer::k_log_pages_inline + 16) * (4096 + 24) + 32);
    CHECK(writer.execAndGet("SELECT count(*) FROM t").getInt() == 10'000);
  }

  SUBCASE("once it is gone, SQLite's own checkpoint is back")
  {
    SQLite::Database writer = open_writer(path);
    {
      const Checkpointer checkpointer(writer.getHandle());
      REQUIRE(checkpointer.is_on());
      // Gone while its thread may be copying.
      insert_rows(writer, k_rows, true);
    }
    // Copied by the commit itself.
    insert_rows(writer, k_rows, true);
    CHECK(size_of(path) == database_bytes(writer));
    CHECK(writer.execAndGet("SELECT count(*) FROM t").getInt() == 2 * k_rows);
  }

  SUBCASE("a database with a rollback journal keeps SQLite's own")
  {
    SQLite::Database writer = open_writer(path, "DELETE");
    const Checkpointer checkpointer(writer.getHandle());
    CHECK_FALSE(checkpointer.is_on());
  }

  SUBCASE("a database opened through a URI with parameters keeps SQLite's "
          "own")
  {
    open_writer(path);
    SQLite::Database writer("file:" + path + "?cache=private",
                            SQLite::OPEN_READWRITE | SQLite::OPEN_URI);
    const Checkpointer checkpointer(writer.getHandle());
    CHECK_FALSE(checkpointer.is_on());
  }

  SUBCASE("a database opened through a URI without parameters has one")
  {
    open_writer(path);
    SQLite::Database writer("file:" + path,
                            SQLite::OPEN_READWRITE | SQLite::OPEN_URI);
    const Checkpointer checkpointer(writer.getHandle());
    CHECK(checkpointer.is_on());
  }

  SUBCASE("a database on another VFS keeps SQLite's own")
  {
    open_writer(path);
    SQLite::Database writer(path, SQLite::OPEN_READWRITE, 0, "unix-excl");
    const Checkpointer checkpointer(writer.getHandle());
    CHECK_FALSE(checkpointer.is_on());
  }

  SUBCASE("a database without a file keeps SQLite's own")
  {
    SQLite::Database memory(":memory:", SQLite::OPEN_READWRITE);
    const Checkpointer checkpointer(memory.getHandle());
    CHECK_FALSE(checkpointer.is_on());
  }
}
