#include <jq/core/error.hpp>
#include <jq/sql/executor.hpp>
#include <jq/sql/request.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

using jq::sql::Executor;
using jq::sql::Request;
using nlohmann::json;

namespace fs = std::filesystem;

namespace {

std::string temp_db_path(const std::string& name)
{
  const auto dir = fs::temp_directory_path()
                   / ("jq-unit-ledger-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto path = dir / name;
  fs::remove(path);
  return path.string();
}

Request request(const std::string& sql, json params = nullptr)
{
  return {"app", sql, std::move(params), std::nullopt};
}

long long count_rows(Executor& executor)
{
  return executor.run(request("select count(*) from t"))["rows"][0][0]
    .get<long long>();
}

} // namespace

TEST_CASE("jq::sql::Executor ledger applies a write once per key")
{
  const std::string path = temp_db_path("once.sqlite");
  Executor first({{"app", path, false}});
  Executor second({{"app", path, false}});
  first.run(request("create table t(n integer)"));

  SUBCASE("a second delivery returns the recorded reply")
  {
    const jq::sql::RunOptions options{"bull:jq:job-1:1", {}};
    const json reply =
      first.run(request("insert into t values (?)", json::array({7})), options);
    CHECK(reply["changes"] == 1);
    // Another worker (another connection) gets the same job again.
    const json again = second.run(
      request("insert into t values (?)", json::array({7})), options);
    CHECK(again == reply);
    CHECK(count_rows(first) == 1);
  }

  SUBCASE("different keys write twice; no key keeps no record")
  {
    first.run(request("insert into t values (1)"), {"k-a", {}});
    first.run(request("insert into t values (1)"), {"k-b", {}});
    first.run(request("insert into t values (1)"));
    CHECK(count_rows(first) == 3);
  }

  SUBCASE("a failed write records nothing, so a retry runs")
  {
    const jq::sql::RunOptions options{"k-fail", {}};
    CHECK_THROWS_AS(
      first.run(request("insert into missing values (1)"), options),
      jq::SqlError);
    first.run(request("create table missing(n)"));
    CHECK(
      first.run(request("insert into missing values (1)"), options)["changes"]
      == 1);
  }

  SUBCASE("reads keep no record")
  {
    first.run(request("select count(*) from t"), {"k-read", {}});
    CHECK(
      first.run(request(
        "select count(*) from sqlite_master where name = '_jq_ledger'"))["rows"]
                                                                        [0][0]
      == 0);
  }
}

TEST_CASE(
  "jq::sql::Executor ledger replaced by a job fails writes, not the worker")
{
  const std::string path = temp_db_path("replaced.sqlite");
  Executor executor({{"app", path, false}});
  executor.run(request("create table t(n integer)"));
  // A view the ledger's SELECT and DELETE work on but its INSERT does not.
  executor.run(request("create view _jq_ledger(job_key, reply, created_ms) as "
                       "select 'k', '{}', 0 where 0"));
  executor.run(request("create trigger no_delete instead of delete on "
                       "_jq_ledger begin select 1; end"));
  const jq::sql::RunOptions options{"bull:jq:job-1:1", {}};
  for (int attempt = 0; attempt < 2; ++attempt) {
    CHECK_THROWS_AS(executor.run(request("insert into t values (1)"), options),
                    jq::JobError);
  }
  CHECK(count_rows(executor) == 0);
  // Once the table is back, writes go through again.
  executor.run(request("drop view _jq_ledger"));
  const json reply = executor.run(request("insert into t values (1)"), options);
  CHECK(reply["changes"] == 1);
  CHECK(count_rows(executor) == 1);
}

TEST_CASE("jq::sql::Executor interrupts a statement when asked")
{
  const std::string path = temp_db_path("interrupt.sqlite");
  Executor executor({{"app", path, false}});
  const auto until =
    std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
  jq::sql::RunOptions options;
  options.should_interrupt = [until] {
    return std::chrono::steady_clock::now() >= until;
  };
  const auto started = std::chrono::steady_clock::now();
  try {
    executor.run(request("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT "
                         "x+1 FROM c WHERE x < 1000000000) SELECT count(*) "
                         "FROM c"),
                 options);
    FAIL("the statement was not interrupted");
  } catch (const jq::SqlError& error) {
    CHECK(error.code() == 9); // SQLITE_INTERRUPT
  }
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  // The connection works normally afterwards.
  CHECK(executor.run(request("select 1"))["rows"][0][0] == 1);
}
