#include <jq/sql/sqlite/checkpointer.hpp>

#include "temp_dir.hpp"

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

constexpr std::uintmax_t k_page = 4096;

// A database in WAL mode with a table whose rows take a page each.
SQLite::Database open_writer(const std::string& path)
{
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; "
          "PRAGMA synchronous = NORMAL; "
          "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
  return db;
}

// Commit `rows` rows of 3,000 bytes, each in a transaction of its own.
void commit_rows(SQLite::Database& db, int rows)
{
  SQLite::Statement insert(db, "INSERT INTO t (v) VALUES (zeroblob(3000))");
  for (int i = 0; i < rows; ++i) {
    insert.exec();
    insert.reset();
  }
}

std::uintmax_t size_of(const std::string& path)
{
  std::error_code error;
  const auto size = fs::file_size(path, error);
  return error ? 0 : size;
}

} // namespace

TEST_CASE("jq::sql::sqlite::Checkpointer")
{
  const TempDir dir;
  const std::string path = dir.file("wal.db");

  SUBCASE("the log is copied into the database file by its own thread")
  {
    SQLite::Database writer = open_writer(path);
    const std::uintmax_t empty = size_of(path);
    {
      const Checkpointer checkpointer(writer.getHandle());
      // Past k_start_pages (a row is a page), short of k_inline_pages: the
      // commits leave the copy to the thread.
      commit_rows(writer, Checkpointer::k_start_pages + 200);
      const auto give_up =
        std::chrono::steady_clock::now() + std::chrono::seconds(20);
      while (size_of(path) < empty + Checkpointer::k_start_pages * k_page
             && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    CHECK(size_of(path) >= empty + Checkpointer::k_start_pages * k_page);
    SQLite::Database reader(path);
    CHECK(reader.execAndGet("SELECT count(*) FROM t").getInt()
          == Checkpointer::k_start_pages + 200);
  }

  SUBCASE("commits without a pause keep the log bounded")
  {
    SQLite::Database writer = open_writer(path);
    std::uintmax_t largest_log = 0;
    {
      const Checkpointer checkpointer(writer.getHandle());
      for (int round = 0; round < 40; ++round) {
        commit_rows(writer, 250);
        largest_log = std::max(largest_log, size_of(path + "-wal"));
      }
    }
    // Each page in the log has a 24-byte header; a commit may add a few
    // pages past the limit.
    CHECK(largest_log <= (Checkpointer::k_inline_pages + 16) * (k_page + 24));
    CHECK(size_of(path) >= 5 * Checkpointer::k_start_pages * k_page);
    CHECK(writer.execAndGet("SELECT count(*) FROM t").getInt() == 10'000);
  }

  SUBCASE("a database without a file keeps SQLite's own checkpoint")
  {
    SQLite::Database memory(":memory:", SQLite::OPEN_READWRITE);
    const Checkpointer checkpointer(memory.getHandle());
    memory.exec("CREATE TABLE t (v); INSERT INTO t VALUES (1)");
    CHECK(memory.execAndGet("SELECT count(*) FROM t").getInt() == 1);
  }
}
