#include "temp_dir.hpp"

#include <jq/core/base64.hpp>
#include <jq/core/error.hpp>
#include <jq/sql/engine.hpp>
#include <jq/sql/executor.hpp>
#include <jq/sql/request.hpp>

#include <SQLiteCpp/Database.h>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

using jq::sql::DatabaseSpec;
using jq::sql::Executor;
using jq::sql::parse_database_spec;
using jq::test::TempDir;
using nlohmann::json;

namespace fs = std::filesystem;

namespace {

json run_data(Executor& executor, const json& data)
{
  return json::parse(executor.run(jq::sql::parse_request(data)));
}

json run(Executor& executor,
         const std::string& sql,
         const json& params = nullptr)
{
  json data = {{"db", "app"}, {"sql", sql}};
  if (!params.is_null()) {
    data["params"] = params;
  }
  return run_data(executor, data);
}

// The JobError message of running `sql`, or "" when it succeeds.
std::string job_error(Executor& executor,
                      const std::string& sql,
                      const json& params = nullptr)
{
  try {
    run(executor, sql, params);
  } catch (const jq::JobError& e) {
    return e.what();
  }
  return "";
}

std::int64_t count_rows(Executor& executor)
{
  return run(executor, "select count(*) from board")["rows"][0][0]
    .get<std::int64_t>();
}

} // namespace

TEST_CASE("jq::sql::parse_database_spec")
{
  SUBCASE("read-write")
  {
    const auto spec = parse_database_spec("app=/var/db/app.sqlite");
    CHECK(spec.name == "app");
    CHECK(spec.path == "/var/db/app.sqlite");
    CHECK_FALSE(spec.read_only);
  }

  SUBCASE("read-only suffix")
  {
    const auto spec = parse_database_spec("app=/var/db/app.sqlite:ro");
    CHECK(spec.name == "app");
    CHECK(spec.path == "/var/db/app.sqlite");
    CHECK(spec.read_only);
  }

  SUBCASE("splits at the first '='")
  {
    const auto spec = parse_database_spec("a=b=c.db");
    CHECK(spec.name == "a");
    CHECK(spec.path == "b=c.db");
  }

  SUBCASE("in-memory")
  {
    const auto spec = parse_database_spec("m=:memory:");
    CHECK(spec.path == ":memory:");
    CHECK_FALSE(spec.read_only);
  }

  SUBCASE("malformed")
  {
    CHECK_THROWS_AS(parse_database_spec("app"), jq::UsageError);
    CHECK_THROWS_AS(parse_database_spec("=x.db"), jq::UsageError);
    CHECK_THROWS_AS(parse_database_spec("app="), jq::UsageError);
    CHECK_THROWS_AS(parse_database_spec("app=:ro"), jq::UsageError);
    CHECK_THROWS_AS(parse_database_spec(""), jq::UsageError);
  }
}

TEST_CASE("jq::sql::Executor")
{
  const TempDir dir;
  Executor executor({{"app", dir.file("app.db"), false}});
  run(executor,
      "create table board (id integer primary key, title text not null, "
      "score real, data blob)");

  SUBCASE("insert then select")
  {
    CHECK(
      run(executor, "insert into board (id, title) values (?, ?)", {1, "x"})
      == json::parse(
        R"({"columns": [], "rows": [], "changes": 1, "last_insert_rowid": 1})"));
    CHECK(
      run(executor, "select id, title from board")
      == json::parse(
        R"({"columns": ["id", "title"], "rows": [[1, "x"]], "changes": 0, "last_insert_rowid": 0})"));
  }

  SUBCASE("a real JSON cannot carry is null, and the reply says so")
  {
    const json result = run(executor, "select 1e999, -1e999, 1.5");
    CHECK(result["rows"] == json::parse("[[null, null, 1.5]]"));
    REQUIRE(result["warnings"].size() == 1);
    CHECK(result["warnings"][0].get<std::string>().starts_with("2 real"));
    CHECK_FALSE(run(executor, "select 1.5").contains("warnings"));
  }

  SUBCASE("64-bit integers are exact")
  {
    const std::int64_t big = 9007199254740993;
    run(executor, "insert into board (id, title) values (?, 'big')", {big});
    const json result = run(executor, "select id from board");
    CHECK(result["rows"][0][0].get<std::int64_t>() == big);
    CHECK(result.dump().find("9007199254740993") != std::string::npos);

    const json extremes =
      run(executor,
          "select 9223372036854775807, -9223372036854775808, ?",
          json::parse("[9223372036854775807]"));
    CHECK(extremes["rows"][0][0].get<std::int64_t>() == INT64_MAX);
    CHECK(extremes["rows"][0][1].get<std::int64_t>() == INT64_MIN);
    CHECK(extremes["rows"][0][2].get<std::int64_t>() == INT64_MAX);
  }

  SUBCASE("NULL, floats, text and booleans")
  {
    run(executor,
        "insert into board values (?, ?, ?, ?)",
        json::parse(R"([1, "é \"q\"", 2.5, null])"));
    CHECK(run(executor, "select title, score, data from board")["rows"]
          == json::parse(R"([["é \"q\"", 2.5, null]])"));
    CHECK(run(executor, "select ?, ?", {true, false})["rows"]
          == json::parse("[[1, 0]]"));
    CHECK(run(executor, "select null")["rows"] == json::parse("[[null]]"));
  }

  SUBCASE("blobs round trip through $base64")
  {
    const std::string bytes("\x00\x01\xfe\xff", 4);
    const json blob = {{"$base64", jq::base64_encode(bytes)}};
    run(executor,
        "insert into board (id, title, data) values (1, 'b', ?)",
        json::array({blob}));
    const json result =
      run(executor, "select data, typeof(data), length(data) from board");
    CHECK(result["rows"][0][0] == blob);
    CHECK(result["rows"][0][1] == "blob");
    CHECK(result["rows"][0][2] == 4);
    CHECK(run(executor, "select x''")["rows"][0][0]
          == json::parse(R"({"$base64": ""})"));
  }

  SUBCASE("named parameters")
  {
    run(executor,
        "insert into board (id, title) values (:id, @title)",
        json::parse(R"({":id": 1, "@title": "one"})"));
    run(executor,
        "insert into board (id, title) values (:id, $title)",
        json::parse(R"({"id": 2, "title": "two"})"));
    CHECK(run(executor,
              "select title from board where id = :id or id = :id + 10",
              json::parse(R"({"id": 2})"))["rows"]
          == json::parse(R"([["two"]])"));
    CHECK(job_error(executor, "select :a, :b", json::parse(R"({"a": 1})"))
          == "parameter ':b' has no value");
    CHECK(job_error(executor, "select :a", json::parse(R"({"a": 1, "zz": 2})"))
          == "the statement has no parameter named 'zz'");
    CHECK(job_error(executor, "select ?", json::parse(R"({"a": 1})"))
          == "the statement has no parameter named 'a'");
  }

  SUBCASE("positional parameters")
  {
    CHECK(run(executor, "select ? + ?", {40, 2})["rows"]
          == json::parse("[[42]]"));
    CHECK(job_error(executor, "select ?, ?", {1})
          == "the statement has 2 parameters but 1 was given");
    CHECK(job_error(executor, "select ?")
          == "the statement has 1 parameter but 0 were given");
    CHECK(job_error(executor, "select 1", {1})
          == "the statement has 0 parameters but 1 was given");
  }

  SUBCASE("unsupported parameter values are refused when the job is read")
  {
    const json nested = {
      {"db", "app"}, {"sql", "select ?"}, {"params", json::parse("[[1]]")}};
    CHECK_THROWS_AS(run_data(executor, nested), jq::ProtocolError);
    const json too_big = {{"db", "app"},
                          {"sql", "select ?"},
                          {"params", json::parse("[18446744073709551615]")}};
    CHECK_THROWS_AS(run_data(executor, too_big), jq::ProtocolError);
  }

  SUBCASE("rows run in one transaction")
  {
    const json result =
      run_data(executor,
               {{"db", "app"},
                {"sql", "insert into board (id, title) values (?, ?)"},
                {"rows", json::parse(R"([[1, "a"], [2, "b"], [3, "c"]])")}});
    CHECK(result["changes"] == 3);
    CHECK(result["last_insert_rowid"] == 3);
    CHECK(result["rows"] == json::array());
    CHECK(count_rows(executor) == 3);
  }

  SUBCASE("rows by name and the seed's value-as-rows")
  {
    run_data(executor,
             {{"db", "app"},
              {"sql", "insert into board (id, title) values (:id, :title)"},
              {"rows",
               json::parse(
                 R"([{"id": 1, "title": "a"}, {":id": 2, ":title": "b"}])")}});
    run_data(executor,
             {{"dbname", "app"},
              {"sql", "insert into board (id, title) values (?, ?)"},
              {"value", json::parse(R"([[3, "c"], [4, "d"]])")}});
    CHECK(count_rows(executor) == 4);
  }

  SUBCASE("a failing row rolls back the whole batch")
  {
    try {
      run_data(
        executor,
        {{"db", "app"},
         {"sql", "insert into board (id, title) values (?, ?)"},
         {"rows", json::parse(R"([[1, "a"], [2, "b"], [1, "again"]])")}});
      FAIL("expected an SqlError");
    } catch (const jq::SqlError& e) {
      CHECK(std::string(e.what())
            == "row 3: UNIQUE constraint failed: board.id");
      CHECK(e.code() == 19);            // SQLITE_CONSTRAINT
      CHECK(e.extended_code() == 1555); // SQLITE_CONSTRAINT_PRIMARYKEY
    }
    CHECK(count_rows(executor) == 0);

    CHECK_THROWS_WITH_AS(
      run_data(executor,
               {{"db", "app"},
                {"sql", "insert into board (id, title) values (?, ?)"},
                {"rows", json::parse(R"([[1, "a"], [2]])")}}),
      "row 2: the statement has 2 parameters but 1 was given",
      jq::JobError);
    CHECK(count_rows(executor) == 0);
  }

  SUBCASE("SQL errors carry SQLite's message and code")
  {
    try {
      run(executor, "select * from nope");
      FAIL("expected an SqlError");
    } catch (const jq::SqlError& e) {
      CHECK(std::string(e.what()) == "no such table: nope");
      CHECK(e.code() == 1); // SQLITE_ERROR
    }
    try {
      run(executor, "insert into board (id) values (1)");
      FAIL("expected an SqlError");
    } catch (const jq::SqlError& e) {
      CHECK(std::string(e.what()) == "NOT NULL constraint failed: board.title");
      CHECK(e.code() == 19);
    }
    CHECK_THROWS_AS(run(executor, "selec 1"), jq::SqlError);
  }

  SUBCASE("an error leaves the connection usable")
  {
    CHECK_THROWS_AS(run(executor, "select * from nope"), jq::SqlError);
    run(executor, "insert into board (id, title) values (1, 'x')");
    Executor other({{"app", dir.file("app.db"), false}});
    CHECK(count_rows(other) == 1);
  }

  SUBCASE("unknown database")
  {
    try {
      run_data(executor, {{"db", "other"}, {"sql", "select 1"}});
      FAIL("expected a JobError");
    } catch (const jq::SqlError&) {
      FAIL("not an SqlError");
    } catch (const jq::JobError& e) {
      CHECK(std::string(e.what()) == "unknown database 'other'");
    }
  }

  SUBCASE("an empty result still has rows and columns")
  {
    CHECK(
      run(executor, "select id, title from board where id = ?", {5})
      == json::parse(
        R"({"columns": ["id", "title"], "rows": [], "changes": 0, "last_insert_rowid": 0})"));
  }

  SUBCASE("changes and last_insert_rowid belong to this job")
  {
    run(executor, "insert into board (id, title) values (7, 'x')");
    const json select = run(executor, "select id from board");
    CHECK(select["changes"] == 0);
    CHECK(select["last_insert_rowid"] == 0);
    const json create = run(executor, "create table other (x)");
    CHECK(create["changes"] == 0);
    CHECK(run(executor, "update board set title = 'y'")["changes"] == 1);
    CHECK(run(executor, "delete from board where id = 8")["changes"] == 0);
  }

  SUBCASE("RETURNING rows are returned")
  {
    const json result = run(
      executor, "insert into board (title) values ('r') returning id, title");
    CHECK(result["columns"] == json::parse(R"(["id", "title"])"));
    CHECK(result["rows"] == json::parse(R"([[1, "r"]])"));
    CHECK(result["changes"] == 1);
  }

  SUBCASE("one statement per job")
  {
    CHECK(job_error(executor, "select 1; select 2")
          == "the job's SQL has more than one statement; send one per job");
    CHECK(
      job_error(executor, "insert into board values (1, 'a', 0, 0); garbage")
      != "");
    CHECK(count_rows(executor) == 0);
    CHECK(run(executor, "select 1; ;; -- done\n /* c */ ")["rows"]
          == json::parse("[[1]]"));
    CHECK(job_error(executor, "-- nothing")
          == "the job's SQL has no statement in it");
  }

  SUBCASE("no ATTACH and no transaction control")
  {
    const std::string attach =
      "attach database '" + dir.file("other.db") + "' as other";
    CHECK(job_error(executor, attach) == "ATTACH is not allowed in a job");
    CHECK_FALSE(fs::exists(dir.file("other.db")));
    CHECK(job_error(executor, "begin") != "");
    CHECK(job_error(executor, "commit") != "");
    CHECK(job_error(executor, "savepoint s") != "");
    // The executor's own transaction still works after a refusal.
    run(executor, "insert into board (id, title) values (1, 'x')");
    CHECK(count_rows(executor) == 1);
  }

  SUBCASE("an executor can be moved")
  {
    Executor moved = std::move(executor);
    CHECK(count_rows(moved) == 0);
  }

  SUBCASE("a statement seen before follows a schema change")
  {
    // The second run of each text comes from the statement cache.
    run(executor, "insert into board (id, title) values (1, 'x')");
    const std::string select_all = "select * from board";
    CHECK(run(executor, select_all)["columns"].size() == 4);
    run(executor, "alter table board add column extra text default 'e'");
    const json after = run(executor, select_all);
    CHECK(after["columns"].size() == 5);
    CHECK(after["columns"][4] == "extra");
    CHECK(after["rows"][0][4] == "e");
    // An empty result names the new columns too.
    const std::string none = "select * from board where id < 0";
    CHECK(run(executor, none)["columns"].size() == 5);
    run(executor, "alter table board drop column extra");
    CHECK(run(executor, none)["columns"].size() == 4);
    run(executor, "drop table board");
    CHECK(job_error(executor, select_all) == "no such table: board");
  }

  SUBCASE("a cached statement over a view now calling load_extension() fails")
  {
    run(executor, "create view v as select 1 as a");
    const std::string select_view = "select * from v";
    CHECK(run(executor, select_view)["rows"] == json::parse("[[1]]"));
    // Same text, new schema: SQLite prepares it again at its next step,
    // and the job rules (or the untrusted schema) still refuse the call.
    run(executor, "drop view v");
    run(executor, "create view v as select load_extension('x') as a");
    CHECK(job_error(executor, select_view).find("load_extension")
          != std::string::npos);
  }

  SUBCASE("an empty batch of a statement seen before sees today's schema")
  {
    const json empty_batch = {{"db", "app"},
                              {"sql", "select * from board where id = ?"},
                              {"rows", json::array()}};
    CHECK(run_data(executor, empty_batch)["columns"].size() == 4);
    run(executor, "select * from board where id = ?", {1});
    run(executor, "alter table board add column extra text");
    CHECK(run_data(executor, empty_batch)["columns"].size() == 5);
    run(executor, "drop table board");
    try {
      run_data(executor, empty_batch);
      FAIL("an empty batch on a dropped table ran");
    } catch (const jq::JobError& e) {
      CHECK(std::string(e.what()) == "no such table: board");
    }
  }

  SUBCASE("FTS4's optimize() is refused; its 'optimize' command is a write")
  {
    run(executor, "create virtual table notes using fts4(body)");
    run(executor, "insert into notes(body) values ('one two'), ('two three')");
    // The function merges the index from inside a SELECT that SQLite
    // reports as read-only: outside the write lock and the ledger.
    CHECK(job_error(executor, "select optimize(notes) from notes limit 1")
            .starts_with("optimize() is not allowed in a job"));
    CHECK(
      run(executor, "insert into notes(notes) values ('optimize')")["changes"]
      == 1);
    CHECK(
      run(executor,
          "select count(*) from notes where notes match 'two'")["rows"][0][0]
      == 2);
    CHECK(job_error(executor, "savepoint s")
          == "SAVEPOINT is not allowed in a job");
  }

  SUBCASE("bindings do not leak from one job into the next")
  {
    run(executor, "insert into board (id, title) values (?, ?)", {1, "a"});
    CHECK(job_error(executor,
                    "insert into board (id, title) values (?, ?)",
                    json::array())
          == "the statement has 2 parameters but 0 were given");
    CHECK(run(executor,
              "select title from board where id = :id",
              {{"id", 1}})["rows"]
          == json::parse(R"([["a"]])"));
    CHECK(job_error(
            executor, "select title from board where id = :id", json::object())
          == "parameter ':id' has no value");
  }

  SUBCASE("many distinct statements: the oldest are dropped, all still run")
  {
    for (int i = 0; i < 200; ++i) {
      const json reply = run(executor, "select " + std::to_string(i));
      CHECK(reply["rows"][0][0] == i);
    }
    CHECK(run(executor, "select 0")["rows"][0][0] == 0);
  }
}

TEST_CASE("jq::sql::Executor databases")
{
  const TempDir dir;

  SUBCASE("read-only rejects writes and allows reads")
  {
    {
      Executor writer({{"app", dir.file("ro.db"), false}});
      run(writer, "create table board (id integer primary key, title text)");
      run(writer, "insert into board values (1, 'x')");
    }
    Executor reader({{"app", dir.file("ro.db"), true}});
    CHECK(run(reader, "select title from board")["rows"]
          == json::parse(R"([["x"]])"));
    try {
      run(reader, "insert into board values (2, 'y')");
      FAIL("expected an SqlError");
    } catch (const jq::SqlError& e) {
      CHECK(std::string(e.what()) == "attempt to write a readonly database");
      CHECK(e.code() == 8); // SQLITE_READONLY
    }
    CHECK(count_rows(reader) == 1);
  }

  SUBCASE("in-memory")
  {
    Executor executor({{"app", ":memory:", false}});
    run(executor, "create table board (id integer)");
    CHECK(count_rows(executor) == 0);
  }

  SUBCASE("several databases by name")
  {
    Executor executor(
      {{"app", dir.file("a.db"), false}, {"log", dir.file("b.db"), false}});
    run(executor, "create table board (id integer)");
    run_data(executor, {{"db", "log"}, {"sql", "create table entry (x)"}});
    CHECK_THROWS_AS(run(executor, "select * from entry"), jq::SqlError);
  }

  SUBCASE("opening waits for another connection's write lock")
  {
    // A commit in progress elsewhere (rollback journal: readers are shut
    // out too) when a worker opens the file with --synchronous normal,
    // whose pragma reads the schema.
    const std::string path = dir.file("busy.db");
    SQLite::Database other(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    other.exec("create table board (id integer)");
    other.exec("begin exclusive");
    other.exec("insert into board values (1)");
    std::thread release([&other] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      other.exec("commit");
    });
    jq::sql::EngineOptions options;
    options.synchronous_normal = true;
    options.sessions = 4;
    jq::sql::Databases opened;
    CHECK_NOTHROW(opened =
                    jq::sql::open_databases({{"app", path, false}}, options));
    release.join();
    CHECK(opened.size() == 1);
  }

  SUBCASE("a session's opening stops waiting for another connection's lock "
          "when its job is interrupted")
  {
    // A worker slot's first job opens the slot's connection, whose pragma
    // reads the schema: under another process's lock that waits like any
    // statement, and must end at the job's deadline, not the busy timeout.
    const std::string path = dir.file("held.db");
    SQLite::Database other(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    other.exec("create table board (id integer)");
    jq::sql::EngineOptions options;
    options.synchronous_normal = true;
    // With more than one session, open_session opens a connection of its
    // own (with one, it would take the idle one opened here).
    options.sessions = 4;
    const auto opened =
      jq::sql::open_databases({{"app", path, false}}, options);
    REQUIRE(opened.size() == 1);
    other.exec("begin exclusive");
    other.exec("insert into board values (1)");
    const auto start = std::chrono::steady_clock::now();
    const auto interrupt_after = std::chrono::milliseconds(200);
    const auto should_interrupt = [start, interrupt_after] {
      return std::chrono::steady_clock::now() - start > interrupt_after;
    };
    CHECK_THROWS_WITH_AS(
      opened.front()->open_session(should_interrupt),
      doctest::Contains("interrupted while waiting for another connection"),
      jq::UsageError);
    const auto waited = std::chrono::steady_clock::now() - start;
    CHECK(waited >= interrupt_after);         // it did wait for the lock
    CHECK(waited < std::chrono::seconds(10)); // the busy timeout is 30 s
    other.exec("rollback");
    CHECK_NOTHROW(opened.front()->open_session({}));
  }

  SUBCASE("a database that cannot be opened is a UsageError")
  {
    CHECK_THROWS_AS(Executor({{"app", dir.file("missing.db"), true}}),
                    jq::UsageError);
    CHECK_THROWS_AS(Executor({{"app", dir.file("no/such/dir.db"), false}}),
                    jq::UsageError);
    {
      std::ofstream junk(dir.file("junk.db"));
      junk << "this is not an SQLite database, not even close to one....\n";
    }
    try {
      Executor executor({{"junk", dir.file("junk.db"), false}});
      FAIL("expected a UsageError");
    } catch (const jq::UsageError& e) {
      CHECK(std::string(e.what())
            == "cannot open database junk at " + dir.file("junk.db")
                 + ": file is not a database");
    }
  }

  SUBCASE("a name given twice is a UsageError")
  {
    CHECK_THROWS_AS(Executor({{"app", dir.file("a.db"), false},
                              {"app", dir.file("b.db"), false}}),
                    jq::UsageError);
  }
}
