#include <jq/sql/sqlite/statement_cache.hpp>

#include <doctest/doctest.h>

#include <sqlite3.h>

#include <memory>
#include <string>

using jq::sql::sqlite::StatementCache;
using jq::sql::sqlite::StatementPtr;

namespace {

struct CloseDatabase
{
  void operator()(sqlite3* handle) const noexcept
  {
    sqlite3_close(handle);
  }
};

StatementPtr prepare(sqlite3* handle, const std::string& sql)
{
  sqlite3_stmt* raw = nullptr;
  REQUIRE(sqlite3_prepare_v2(handle, sql.c_str(), -1, &raw, nullptr)
          == SQLITE_OK);
  return StatementPtr(raw);
}

} // namespace

TEST_CASE("jq::sql::sqlite::StatementCache")
{
  sqlite3* raw = nullptr;
  REQUIRE(sqlite3_open(":memory:", &raw) == SQLITE_OK);
  const std::unique_ptr<sqlite3, CloseDatabase> handle(raw);
  // Declared after the connection so its statements are finalized first.
  StatementCache cache(2);
  StatementPtr spare;

  SUBCASE("a kept statement is found by its text")
  {
    CHECK(cache.find("select 1") == nullptr);
    sqlite3_stmt* kept =
      cache.add("select 1", prepare(handle.get(), "select 1"), spare);
    CHECK(kept != nullptr);
    CHECK(spare == nullptr);
    CHECK(cache.find("select 1") == kept);
    CHECK(cache.find("select 2") == nullptr);
  }

  SUBCASE("beyond capacity the least recently used goes")
  {
    sqlite3_stmt* one =
      cache.add("select 1", prepare(handle.get(), "select 1"), spare);
    cache.add("select 2", prepare(handle.get(), "select 2"), spare);
    CHECK(cache.find("select 1") == one); // now the most recent
    cache.add("select 3", prepare(handle.get(), "select 3"), spare);
    CHECK(cache.size() == 2);
    CHECK(cache.find("select 2") == nullptr);
    CHECK(cache.find("select 1") == one);
    CHECK(cache.find("select 3") != nullptr);
  }

  SUBCASE("a long text is not kept; the caller's spare owns it")
  {
    std::string sql = "select 1 ";
    sql.append(StatementCache::k_max_sql_bytes, ' ');
    sqlite3_stmt* used = cache.add(sql, prepare(handle.get(), sql), spare);
    CHECK(used == spare.get());
    CHECK(cache.size() == 0);
    CHECK(cache.find(sql) == nullptr);
  }

  SUBCASE("capacity 0 keeps nothing")
  {
    StatementCache none(0);
    sqlite3_stmt* used =
      none.add("select 1", prepare(handle.get(), "select 1"), spare);
    CHECK(used == spare.get());
    CHECK(none.size() == 0);
  }
}
