// What a job may not do on an SQLite database, tried as a hostile job
// would: call dangerous functions, allocate without bound, touch the
// exactly-once ledger, or outlast its time limit while it waits for a lock.

#include <jq/core/error.hpp>
#include <jq/sql/executor.hpp>
#include <jq/sql/request.hpp>
#include <jq/sql/sqlite/sandbox.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

using jq::sql::Executor;
using nlohmann::json;

namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string temp_db_path(const std::string& name)
{
  const auto dir = fs::temp_directory_path()
                   / ("jq-unit-sandbox-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto path = dir / name;
  fs::remove(path);
  fs::remove(path.string() + "-journal");
  fs::remove(path.string() + "-wal");
  fs::remove(path.string() + "-shm");
  return path.string();
}

json run(Executor& executor,
         const std::string& sql,
         const json& params = nullptr,
         const jq::sql::RunOptions& options = {})
{
  json data = {{"db", "app"}, {"sql", sql}};
  if (!params.is_null()) {
    data["params"] = params;
  }
  return json::parse(executor.run(jq::sql::parse_request(data), options));
}

// The message of the JobError that running `sql` throws, or "" if none.
std::string refusal(Executor& executor,
                    const std::string& sql,
                    const json& params = nullptr,
                    const jq::sql::RunOptions& options = {})
{
  try {
    run(executor, sql, params, options);
  } catch (const jq::JobError& e) {
    return e.what();
  }
  return "";
}

std::int64_t count(Executor& executor, const std::string& table)
{
  return run(executor, "select count(*) from " + table)["rows"][0][0]
    .get<std::int64_t>();
}

// A second SQLite connection, as another process would hold one.
class Other
{
public:
  explicit Other(const std::string& path)
  {
    REQUIRE(sqlite3_open(path.c_str(), &m_handle) == SQLITE_OK);
  }
  ~Other()
  {
    sqlite3_close(m_handle);
  }
  Other(const Other&) = delete;
  Other& operator=(const Other&) = delete;

  void exec(const std::string& sql)
  {
    REQUIRE(sqlite3_exec(m_handle, sql.c_str(), nullptr, nullptr, nullptr)
            == SQLITE_OK);
  }

private:
  sqlite3* m_handle = nullptr;
};

// Stops a job once `after` has passed since it was made.
jq::sql::RunOptions interrupt_after(milliseconds after)
{
  const auto until = Clock::now() + after;
  return {"", [until] { return Clock::now() >= until; }};
}

template<typename F> Clock::duration time_of(F&& work)
{
  const auto started = Clock::now();
  work();
  return Clock::now() - started;
}

} // namespace

TEST_CASE("jq::sql sandbox: SQL functions")
{
  Executor executor({{"app", ":memory:", false}});

  SUBCASE("SQLite's own functions of every class run")
  {
    run(executor, "create table t (x integer, doc text)");
    run(executor, "insert into t values (1, '{\"a\": [1, 2]}'), (2, '{}')");
    const json reply =
      run(executor,
          "select upper('a'), printf('%05d', x), substr('abc', 2), date('now') "
          "is not null, round(sqrt(16.0)), doc ->> '$.a[1]', json_array_length("
          "doc, '$.a'), sum(x) over (), row_number() over (order by x), "
          "coalesce(null, 3), typeof(randomblob(4)), hex(zeroblob(2)) "
          "from t order by x limit 1");
    CHECK(reply["rows"][0]
          == json::parse(R"(["A", "00001", "bc", 1, 4.0, 2, 2, 3, 1, 3,
                             "blob", "0000"])"));
    CHECK(run(executor,
              "select count(*), group_concat(x), max(x) from t")["rows"][0]
          == json::parse(R"([2, "1,2", 2])"));
  }

  SUBCASE("full-text search and its functions run")
  {
    run(executor, "create virtual table notes using fts5(body)");
    run(executor, "insert into notes values ('one two'), ('two three')");
    CHECK(run(executor,
              "select highlight(notes, 0, '[', ']') from notes where notes "
              "match 'three' order by bm25(notes)")["rows"][0][0]
          == "two [three]");
    run(executor, "create virtual table old using fts4(body)");
    run(executor, "insert into old values ('alpha beta')");
    CHECK(
      run(
        executor,
        "select snippet(old), length(offsets(old)) > 0, "
        "length(matchinfo(old)) > 0 from old where old match 'beta'")["rows"][0]
      == json::parse(R"(["alpha <b>beta</b>", 1, 1])"));
  }

  SUBCASE("loading code is refused")
  {
    CHECK(refusal(executor, "select load_extension('/tmp/x.so')")
          == "load_extension() is not allowed in a job: it loads code into "
             "the worker");
  }

  SUBCASE("functions that hand out or take pointers are refused")
  {
    // The two-argument form with a bound blob installs a tokenizer at the
    // address in the blob; the next FTS3 table made with it would call it.
    CHECK(refusal(executor,
                  "select fts3_tokenizer('simple', ?)",
                  json::parse(R"([{"$base64": "QUFBQUFBQUE="}])"))
          == "fts3_tokenizer() is not allowed in a job: it hands out or takes "
             "pointers into the worker's memory");
    // The one-argument form hands out the tokenizer's address.
    CHECK(refusal(executor, "select fts3_tokenizer('simple')")
            .starts_with("fts3_tokenizer() is not allowed"));
    CHECK(refusal(executor, "select fts5(null)")
            .starts_with("fts5() is not allowed"));
    // The tokenizer is still SQLite's own.
    run(executor, "create virtual table f using fts3(x, tokenize=simple)");
    run(executor, "insert into f values ('still works')");
    CHECK(count(executor, "f where f match 'works'") == 1);
  }

  SUBCASE("functions that read raw bytes as a structure are refused")
  {
    CHECK(refusal(executor, "select rtreenode(2, x'00000000')")
            .starts_with("rtreenode() is not allowed in a job: a debugging "
                         "function"));
    CHECK(refusal(executor, "select rtreedepth(x'0001')")
            .starts_with("rtreedepth() is not allowed"));
  }

  SUBCASE("a function not on the list is refused by name")
  {
    CHECK(refusal(executor, "select sqlite_log(1, 'x')")
          == "sqlite_log() is not allowed in a job: it is not on jq-worker's "
             "list of SQL functions");
  }

  SUBCASE("every refused function is refused inside a view or a trigger too")
  {
    run(executor, "create table t (x)");
    // Refused by the sandbox, or as an "unsafe use" by the untrusted
    // schema, whichever SQLite asks first.
    run(executor, "create view v as select fts3_tokenizer('simple') as p");
    CHECK(refusal(executor, "select * from v").find("fts3_tokenizer()")
          != std::string::npos);
    run(executor,
        "create trigger tr after insert on t begin "
        "select load_extension('x'); end");
    CHECK(refusal(executor, "insert into t values (1)").find("load_extension")
          != std::string::npos);
    CHECK(count(executor, "t") == 0);
  }

  SUBCASE("refused virtual tables and tables")
  {
    CHECK(refusal(executor, "create virtual table d using dbstat")
            .starts_with("virtual tables using dbstat are not allowed"));
    CHECK(refusal(executor, "select sql from sqlite_stmt")
          == "reading sqlite_stmt is not allowed in a job");
    CHECK(refusal(executor, "select name, ncell from dbstat")
          == "reading dbstat is not allowed in a job");
  }

  SUBCASE("VACUUM is refused, also after empty statements")
  {
    for (const char* sql :
         {"vacuum", ";vacuum into '/tmp/jq-never.db'", " ;; /* x */ VACUUM"}) {
      CAPTURE(sql);
      CHECK(refusal(executor, sql) == "VACUUM is not allowed in a job");
    }
    CHECK_FALSE(fs::exists("/tmp/jq-never.db"));
  }

  SUBCASE("no TEMP objects: they would outlive the job")
  {
    for (const char* sql :
         {"create temp table t (x)",
          "create temp view v as select 1",
          "create temporary table t (x)",
          "create table temp.t (x)",
          "create view temp.v as select 1",
          "create virtual table temp.r using rtree(id, a, b)"}) {
      CAPTURE(sql);
      CHECK(refusal(executor, sql)
              .starts_with("TEMP tables, views, indexes "
                           "and triggers are not allowed"));
    }
    run(executor, "create table m (x)");
    for (const char* sql : {"create temp trigger tr after insert on main.m "
                            "begin delete from m; end",
                            "create trigger temp.tr after insert on main.m "
                            "begin delete from m; end"}) {
      CAPTURE(sql);
      CHECK(refusal(executor, sql).starts_with("TEMP tables"));
    }
  }
}

TEST_CASE("jq::sql sandbox: the ledger cannot be touched by a job")
{
  const std::string path = temp_db_path("ledger.sqlite");
  Executor executor({{"app", path, false}});
  run(executor, "create table t (n integer)");
  const jq::sql::RunOptions once{"bull:jq:job-1:abc", {}};
  run(executor, "insert into t values (1)", nullptr, once);
  REQUIRE(count(executor, "t") == 1);

  const auto refused = [&](const std::string& sql) {
    CAPTURE(sql);
    const std::string reason = refusal(executor, sql);
    CHECK(reason.find("_jq_ledger") != std::string::npos);
  };
  SUBCASE("directly")
  {
    refused("delete from _jq_ledger");
    refused("update _jq_ledger set job_key = 'other'");
    refused("insert into _jq_ledger values ('k', '{}', 0)");
    refused("replace into _jq_ledger values ('bull:jq:job-1:abc', '{}', 0)");
    refused("insert into main._jq_ledger values ('k', '{}', 0) "
            "on conflict (job_key) do update set reply = '{}'");
    refused("select * from _jq_ledger");
    refused("drop table _jq_ledger");
    refused("alter table _jq_ledger rename to kept");
    refused("alter table t rename to _jq_ledger");
  }
  SUBCASE("through a trigger on another table")
  {
    refused("create trigger forget after insert on t begin "
            "delete from _jq_ledger; end");
    refused("create trigger forget after insert on t begin "
            "insert into _JQ_LEDGER values ('x', '{}', 0); end");
  }
  SUBCASE("through a trigger on the ledger")
  {
    refused("create trigger forget after insert on _jq_ledger begin "
            "delete from _jq_ledger; end");
    refused("create trigger noop before insert on _jq_ledger begin "
            "select 1; end");
  }
  SUBCASE("through an index or a view")
  {
    refused("create index sneaky on _jq_ledger (reply)");
    refused("create view peek as select * from _jq_ledger");
  }
  SUBCASE("through a TEMP table of the same name")
  {
    CHECK(refusal(executor,
                  "create temp table _jq_ledger (job_key, reply, "
                  "created_ms)")
            .starts_with("TEMP tables"));
  }
  SUBCASE("a trigger made outside jq fires its refusal inside the job")
  {
    Other by_hand(path);
    by_hand.exec("create trigger forget after insert on t begin "
                 "delete from _jq_ledger; end");
    CHECK(refusal(executor, "insert into t values (2)").find("_jq_ledger")
          != std::string::npos);
    by_hand.exec("drop trigger forget");
  }
  // Whatever was tried, the same job delivered again writes nothing.
  CHECK(run(executor, "insert into t values (1)", nullptr, once)["changes"]
        == 1);
  CHECK(count(executor, "t") == 1);
}

TEST_CASE("jq::sql sandbox: values and memory are bounded")
{
  SUBCASE("a value past --max-value-bytes fails at once, naming the limit")
  {
    Executor executor({{"app", ":memory:", false}});
    for (const std::string sql :
         {"select length(randomblob(900000000))",
          "select length(zeroblob(900000000))",
          "select length(replace(hex(zeroblob(40000000)), '0', '00'))"}) {
      CAPTURE(sql);
      const auto started = Clock::now();
      const std::string reason = refusal(executor, sql);
      CAPTURE(reason);
      CHECK(reason.find("--max-value-bytes (64 MiB)") != std::string::npos);
      CHECK(Clock::now() - started < std::chrono::seconds(5));
    }
  }

  SUBCASE("printf() asked for more than --max-value-bytes fails at once")
  {
    // SQLite's own printf() would count to 900 million for ten seconds,
    // deaf to interruption, and then return NULL.
    Executor executor({{"app", ":memory:", false}});
    for (const std::string sql :
         {"select printf('%.*c', 900000000, 'x')",
          "select format('%900000000d', 1)",
          "select printf('%.*c%.*c', 40000000, 'x', 40000000, 'y')",
          "select printf('%-*s', -900000000, 'x')",
          "select printf('%n%.*c', 900000000, 'x')"}) {
      CAPTURE(sql);
      const auto started = Clock::now();
      CHECK(refusal(executor, sql).find("--max-value-bytes (64 MiB)")
            != std::string::npos);
      // The reason shows the guard refused before any work; the bound is
      // loose because a shared machine may be busy (unguarded: 10 s).
      CHECK(Clock::now() - started < std::chrono::seconds(5));
    }
    // Within the limit it is SQLite's printf(), byte for byte.
    CHECK(
      run(executor,
          "select printf('%5.2f|%-4d|%q|%.3s|%c|%%|%,d', 3.14159, 7, "
          "'it''s', 'abcdef', 'xyz', 1234567), printf('%s', null), "
          "printf(null), format('%.*c', 3, 'z'), printf('%d %d', 1)")["rows"][0]
      == json::parse(R"([" 3.14|7   |it''s|abc|x|%|1,234,567", "", null,
                             "zzz", "1 0"])"));
    CHECK(
      run(executor, "select length(printf('%.*c', 1000000, 'x'))")["rows"][0][0]
      == 1000000);
  }

  SUBCASE("a pattern search asked for too much work fails at once")
  {
    // Each asks for at least twice its budget of comparisons, deaf to the
    // job's time limit. The values are a few MB at most: a sanitizer build
    // copies 20 MB about ten times slower than a plain one.
    Executor executor({{"app", ":memory:", false}});
    for (const std::string sql :
         {"select instr(printf('%.*c', 2000000, 'a'), printf('%.*c', 50000, "
          "'a') || 'b')",
          "select replace(printf('%.*c', 2000000, 'a'), printf('%.*c', "
          "50000, 'a') || 'b', 'x')",
          "select json_patch('{\"a\":\"' || printf('%.*c', 2000000, 'x') "
          "|| '\"}', '{\"b\":\"' || printf('%.*c', 250000, 'y') || '\"}')",
          "select trim(printf('%.*c', 100000, 'a'), printf('%.*c', 100000, "
          "'b') || 'a')",
          "select printf('%.*c', 2000000, 'a') like '%' || printf('%.*c', "
          "1000, 'a') || 'b%'",
          "select printf('%.*c', 2000000, 'a') like '%' || printf('%.*c', "
          "1000, 'a') || 'b%' escape '!'",
          "select printf('%.*c', 2000000, 'a') glob '*' || printf('%.*c', "
          "1000, 'a') || 'b*'"}) {
      CAPTURE(sql);
      const auto started = Clock::now();
      CHECK(refusal(executor, sql).find("is more work than one call may do")
            != std::string::npos);
      // Unguarded, each compares for seconds (trim: tens of seconds).
      CHECK(Clock::now() - started < std::chrono::seconds(5));
    }
    // Within the budget they are SQLite's own, byte for byte.
    CHECK(run(executor,
              "select instr('héllo wörld', 'wö'), instr(x'00ff01', x'01'), "
              "replace('a-b-c', '-', '+'), trim('xxhixx', 'x'), "
              "ltrim('  a '), rtrim('ab..', '.'), 'ABC' like 'a%', "
              "'a_c' like 'a!_c' escape '!', 'abc' glob 'a*', "
              "'ABC' glob 'a*', instr(null, 'a'), replace('x', '', 'y'), "
              "x'61' like 'a', 'é' like 'É', 'x' like null, "
              "json_array(json_patch('{\"a\":1}', '{\"b\":2}'))")["rows"][0]
          == json::parse(R"([7, 3, "a+b+c", "hi", "a ", "ab", 1, 1, 1, 0,
                         null, "x", 0, 0, null, "[{\"a\":1,\"b\":2}]"])"));
    CHECK(refusal(executor, "select 'a' like 'a' escape 'xy'")
          == "ESCAPE expression must be a single character");
    CHECK(refusal(executor, "pragma case_sensitive_like = 1")
          == "PRAGMA case_sensitive_like is not allowed in a job");
  }

  SUBCASE("a smaller --max-value-bytes holds for parameters and results")
  {
    jq::sql::Limits limits;
    limits.max_value_bytes = 4096;
    Executor executor({{"app", ":memory:", false}}, limits);
    CHECK(refusal(
            executor, "select length(?)", json::array({std::string(5000, 'x')}))
            .find("longer than --max-value-bytes (4096 bytes)")
          != std::string::npos);
    CHECK(refusal(executor, "select randomblob(5000)").find("--max-value-bytes")
          != std::string::npos);
    CHECK(run(executor, "select length(randomblob(4000))")["rows"][0][0]
          == 4000);
  }

  SUBCASE("SQLite's memory is capped for the whole process")
  {
    jq::sql::sqlite::set_memory_limit(64 * 1024 * 1024);
    Executor executor({{"app", ":memory:", false}});
    // Each value is under --max-value-bytes; together they are not.
    const std::string reason =
      refusal(executor,
              "select randomblob(20000000), randomblob(20000000), "
              "randomblob(20000000)");
    // 60 MB would fit under 64 MiB, but SQLite has seven eighths of it.
    jq::sql::sqlite::set_memory_limit(0);
    CHECK(reason.find("--max-memory (64 MiB") != std::string::npos);
    CHECK(run(executor, "select 1")["rows"][0][0] == 1);
  }
}

TEST_CASE("jq::sql sandbox: a statement calling a slow function on every row "
          "stops at its time limit")
{
  Executor executor({{"app", ":memory:", false}});
  run(executor, "create table big (s text)");
  run(executor,
      "with recursive c(i) as (select 1 union all select i + 1 from c where "
      "i < 20) insert into big select printf('%.*c', 2000000, 'a') from c");
  // Each like() is within its budget (a few hundred ms of the worst case)
  // but twenty of them are not within the job's 300 ms. The bounds are in
  // units of one call timed in the same run, so a busy machine moves both.
  const auto one_like = time_of([&] {
    run(executor,
        "select s like '%' || printf('%.*c', 400, 'a') || 'b%' from big "
        "where rowid = 1");
  });
  const auto started = Clock::now();
  const std::string reason =
    refusal(executor,
            "select count(*) from big where s like '%' || printf('%.*c', 400, "
            "'a') || 'b%'",
            nullptr,
            interrupt_after(milliseconds(300)));
  const auto took = Clock::now() - started;
  CHECK(reason == "interrupted");
  MESSAGE("like() on every row stopped after "
          << std::chrono::duration_cast<milliseconds>(took).count() << " ms");
  // Unguarded, all twenty calls would run.
  CHECK(took < milliseconds(300) + 5 * one_like);

  // An unguarded function that takes long on every row: between two
  // progress checks lie many rows; the watchdog's interrupt is seen at the
  // next step.
  const auto one_blob =
    time_of([&] { run(executor, "select length(randomblob(20000000 + 1))"); });
  // How long until a blob on every row of 400 is stopped, 300 ms in.
  const auto blobs_stopped_after = [&] {
    const auto began = Clock::now();
    CHECK(
      refusal(executor,
              "select length(randomblob(20000000 + a.rowid)) from big a, big b",
              nullptr,
              interrupt_after(milliseconds(300)))
      == "interrupted");
    return Clock::now() - began;
  };
  const auto took_blobs = blobs_stopped_after();
  MESSAGE("randomblob() on every row stopped after "
          << std::chrono::duration_cast<milliseconds>(took_blobs).count()
          << " ms");
  // Unguarded, all 400 rows would run.
  CHECK(took_blobs < milliseconds(300) + 20 * one_blob);

  // The same once the watchdog's thread has gone to sleep (100 ms after
  // the last watch began): the next watch wakes it.
  std::this_thread::sleep_for(milliseconds(500));
  CHECK(blobs_stopped_after() < milliseconds(300) + 20 * one_blob);
}

TEST_CASE("jq::sql sandbox: a wait for another connection's lock is "
          "interruptible")
{
  const std::string path = temp_db_path("busy.sqlite");
  {
    Executor setup({{"app", path, false}});
    run(setup, "create table t (n integer)");
  }

  SUBCASE("a write waiting for another process's write lock")
  {
    Executor executor({{"app", path, false}});
    Other holder(path);
    holder.exec("begin immediate");
    const auto started = Clock::now();
    jq::sql::RunOptions options = interrupt_after(milliseconds(300));
    options.idempotency_key = "bull:jq:busy:1";
    std::string reason;
    try {
      run(executor, "insert into t values (1)", nullptr, options);
    } catch (const jq::SqlError& e) {
      reason = e.what();
      CHECK(e.code() == SQLITE_INTERRUPT);
    }
    const auto waited = Clock::now() - started;
    CHECK(reason == "interrupted while waiting for another connection's lock");
    MESSAGE("interrupted after "
            << std::chrono::duration_cast<milliseconds>(waited).count()
            << " ms of waiting");
    // Without the interruption it would wait for the holder's commit.
    CHECK(waited >= milliseconds(300));
    CHECK(waited < std::chrono::seconds(3));
    holder.exec("commit");
    CHECK(count(executor, "t") == 0);
  }

  SUBCASE("a read of a read-only database waiting for an exclusive lock")
  {
    Executor executor({{"app", path, true}});
    Other holder(path);
    holder.exec("begin exclusive");
    const auto started = Clock::now();
    std::string reason = refusal(executor,
                                 "select count(*) from t",
                                 nullptr,
                                 interrupt_after(milliseconds(200)));
    const auto waited = Clock::now() - started;
    CHECK(reason == "interrupted while waiting for another connection's lock");
    CHECK(waited < std::chrono::seconds(3));
    holder.exec("commit");
    CHECK(count(executor, "t") == 0);
  }

  SUBCASE("without an interruption the wait goes on until the lock is free")
  {
    Executor executor({{"app", path, false}});
    auto holder = std::make_unique<Other>(path);
    holder->exec("begin immediate");
    std::thread release([&] {
      std::this_thread::sleep_for(milliseconds(300));
      holder->exec("commit");
    });
    CHECK(run(executor, "insert into t values (1)")["changes"] == 1);
    release.join();
    CHECK(count(executor, "t") == 1);
  }
}
