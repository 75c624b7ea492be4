#include <jq/core/error.hpp>
#include <jq/sql/executor.hpp>
#include <jq/sql/request.hpp>

#include <SQLiteCpp/Database.h>
#include <doctest/doctest.h>
#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

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

Request request(const std::string& sql, const json& params = nullptr)
{
  Request made;
  made.db = "app";
  made.sql = sql;
  made.params = jq::sql::parse_params(params, {"params"});
  return made;
}

// Run `made` on `executor`; the reply, parsed.
json run(Executor& executor,
         const Request& made,
         const jq::sql::RunOptions& options = {})
{
  return json::parse(executor.run(made, options));
}

long long count_rows(Executor& executor)
{
  return run(executor, request("select count(*) from t"))["rows"][0][0]
    .get<long long>();
}

} // namespace

TEST_CASE("jq::sql::Executor ledger applies a write once per key")
{
  const std::string path = temp_db_path("once.sqlite");
  Executor first({{"app", path, false}});
  Executor second({{"app", path, false}});
  run(first, request("create table t(n integer)"));

  SUBCASE("a second delivery returns the recorded reply")
  {
    const jq::sql::RunOptions options{"bull:jq:job-1:1", {}};
    const json reply = run(
      first, request("insert into t values (?)", json::array({7})), options);
    CHECK(reply["changes"] == 1);
    // Another worker (another connection) gets the same job again.
    const std::string again = second.run(
      request("insert into t values (?)", json::array({7})), options);
    // Byte for byte: the recorded text itself.
    CHECK(again == reply.dump());
    CHECK(count_rows(first) == 1);
  }

  SUBCASE("different keys write twice; no key keeps no record")
  {
    run(first, request("insert into t values (1)"), {"k-a", {}});
    run(first, request("insert into t values (1)"), {"k-b", {}});
    run(first, request("insert into t values (1)"));
    CHECK(count_rows(first) == 3);
  }

  SUBCASE("a failed write records nothing, so a retry runs")
  {
    const jq::sql::RunOptions options{"k-fail", {}};
    CHECK_THROWS_AS(
      run(first, request("insert into missing values (1)"), options),
      jq::SqlError);
    run(first, request("create table missing(n)"));
    CHECK(
      run(first, request("insert into missing values (1)"), options)["changes"]
      == 1);
  }

  SUBCASE("reads keep no record")
  {
    run(first, request("select count(*) from t"), {"k-read", {}});
    CHECK(run(first,
              request(
                "select count(*) from sqlite_master where name = '_jq_ledger'"))
            ["rows"][0][0]
          == 0);
  }
}

TEST_CASE("jq::sql::Executor ledger cannot be replaced by a job")
{
  const std::string path = temp_db_path("replaced.sqlite");
  Executor executor({{"app", path, false}});
  run(executor, request("create table t(n integer)"));
  // Before the first write made the table, a job tries to put its own
  // in its place.
  for (const char* sql :
       {"create view _jq_ledger(job_key, reply, created_ms) as "
        "select 'k', '{}', 0 where 0",
        "create table _JQ_LEDGER(job_key, reply, created_ms)",
        "alter table t rename to _jq_ledger"}) {
    CAPTURE(sql);
    try {
      run(executor, request(sql));
      FAIL("a job replaced the ledger");
    } catch (const jq::SqlError& e) {
      CHECK(std::string(e.what()).find("_jq_ledger") != std::string::npos);
    }
  }
  const jq::sql::RunOptions options{"bull:jq:job-1:1", {}};
  CHECK(run(executor, request("insert into t values (1)"), options)["changes"]
        == 1);
  CHECK(run(executor, request("insert into t values (1)"), options)["changes"]
        == 1);
  CHECK(count_rows(executor) == 1);
}

TEST_CASE("jq::sql::Executor ledger with a trigger made by hand refuses writes")
{
  const std::string path = temp_db_path("trigger.sqlite");
  Executor executor({{"app", path, false}});
  run(executor, request("create table t(n integer)"));
  const jq::sql::RunOptions options{"bull:jq:job-1:1", {}};
  run(executor, request("insert into t values (1)"), options);
  SQLite::Database by_hand(path, SQLite::OPEN_READWRITE);
  by_hand.exec("create trigger forget after insert on _jq_ledger "
               "begin delete from _jq_ledger; end");
  // The running executor (its ledger statements prepared before the
  // trigger) and a new one both refuse.
  try {
    run(executor, request("insert into t values (3)"), {"bull:jq:job-3:1", {}});
    FAIL("a write went through a ledger with a trigger");
  } catch (const jq::SqlError& e) {
    CHECK(std::string(e.what()).find("has a trigger (forget)")
          != std::string::npos);
  }
  Executor later({{"app", path, false}});
  try {
    run(later, request("insert into t values (2)"), {"bull:jq:job-2:1", {}});
    FAIL("a write went through a ledger with a trigger");
  } catch (const jq::SqlError& e) {
    CHECK(std::string(e.what()).find("has a trigger (forget)")
          != std::string::npos);
  }
  CHECK(count_rows(later) == 1);
  by_hand.exec("drop trigger forget");
  CHECK(run(later,
            request("insert into t values (2)"),
            {"bull:jq:job-2:1", {}})["changes"]
        == 1);
  CHECK(count_rows(later) == 2);
}

TEST_CASE("jq::sql::Executor ledger survives a failed first write")
{
  // The ledger's table is made outside the job's transaction: a job that
  // fails does not take it down, and the next write is recorded.
  const std::string path = temp_db_path("first.sqlite");
  Executor executor({{"app", path, false}});
  run(executor, request("create table t(n integer not null)"));
  CHECK_THROWS_AS(run(executor,
                      request("insert into t values (null)"),
                      {"bull:jq:job-1:1", {}}),
                  jq::SqlError);
  const jq::sql::RunOptions options{"bull:jq:job-2:1", {}};
  CHECK(run(executor, request("insert into t values (1)"), options)["changes"]
        == 1);
  CHECK(run(executor, request("insert into t values (1)"), options)["changes"]
        == 1);
  CHECK(count_rows(executor) == 1);
}

TEST_CASE("jq::sql::Executor ledger answers a schema change delivered again")
{
  // Its worker died after the commit: on a new worker the statement no
  // longer prepares (the table exists), and the recorded reply answers.
  const std::string path = temp_db_path("ddl.sqlite");
  const jq::sql::RunOptions options{"bull:jq:ddl-1:1", {}};
  std::string first;
  {
    Executor executor({{"app", path, false}});
    first = executor.run(request("create table z(a)"), options);
  }
  for (const int sessions : {1, 4}) {
    CAPTURE(sessions);
    jq::sql::EngineOptions engine;
    engine.sessions = sessions;
    Executor again(jq::sql::open_databases({{"app", path, false}}, engine));
    CHECK(again.run(request("create table z(a)"), options) == first);
    CHECK_THROWS_AS(
      again.run(request("create table z(a)"), {"bull:jq:ddl-2:1", {}}),
      jq::SqlError);
  }
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
    run(executor,
        request("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT "
                "x+1 FROM c WHERE x < 1000000000) SELECT count(*) "
                "FROM c"),
        options);
    FAIL("the statement was not interrupted");
  } catch (const jq::SqlError& error) {
    CHECK(error.code() == 9); // SQLITE_INTERRUPT
  }
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  // The connection works normally afterwards.
  CHECK(run(executor, request("select 1"))["rows"][0][0] == 1);
}

TEST_CASE("jq::sql sessions on several threads write through one shared "
          "connection")
{
  const std::string path = temp_db_path("shared.sqlite");
  // WAL, as the README recommends for writes: readers never wait for the
  // writer (in rollback-journal mode a large write locks them out too).
  SQLite::Database(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE)
    .exec("PRAGMA journal_mode = WAL");
  const std::vector<jq::sql::DatabaseSpec> specs = {{"app", path, false}};
  jq::sql::EngineOptions engine;
  engine.sessions = 4;
  const auto databases = jq::sql::open_databases(specs, engine);
  Executor setup(databases);
  run(setup, request("create table t(n integer)"));

  SUBCASE("every write lands once, reads run on each executor's own")
  {
    constexpr int k_threads = 4;
    constexpr int k_writes = 200;
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < k_threads; ++i) {
      threads.emplace_back([&, i] {
        Executor executor(databases);
        for (int j = 0; j < k_writes; ++j) {
          try {
            const std::string key = fmt::format("bull:jq:{}-{}:1", i, j);
            run(executor,
                request("insert into t values (?)", json::array({j})),
                {key, {}});
            // The same delivery again: the ledger, on the shared writer,
            // answers it.
            run(executor,
                request("insert into t values (?)", json::array({j})),
                {key, {}});
            run(executor, request("select count(*) from t"));
          } catch (const std::exception&) {
            failures.fetch_add(1);
          }
        }
      });
    }
    for (auto& thread : threads) {
      thread.join();
    }
    CHECK(failures.load() == 0);
    CHECK(count_rows(setup) == k_threads * k_writes);
  }

  SUBCASE("a write waiting for the writer gives up when interrupted")
  {
    std::atomic<bool> long_write_done{false};
    std::string holder_error;
    std::thread holder([&] {
      Executor executor(databases);
      const auto until =
        std::chrono::steady_clock::now() + std::chrono::seconds(3);
      jq::sql::RunOptions options;
      options.should_interrupt = [until] {
        return std::chrono::steady_clock::now() >= until;
      };
      try {
        run(executor,
            request("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
                    "SELECT x+1 FROM c WHERE x < 1000000000) "
                    "INSERT INTO t SELECT x FROM c"),
            options);
      } catch (const jq::SqlError& error) {
        holder_error = error.what(); // interrupted after 3 s, as planned
      }
      long_write_done = true;
    });
    // Let the holder take the writer first.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Executor waiter(databases);
    jq::sql::RunOptions options;
    options.should_interrupt = [] { return true; };
    std::string waiter_error;
    int waiter_code = 0;
    bool waited_for_holder = false;
    try {
      run(waiter, request("insert into t values (1)"), options);
    } catch (const jq::SqlError& error) {
      waiter_error = error.what();
      waiter_code = error.code();
      waited_for_holder = long_write_done.load();
    }
    // Reads do not wait for the writer.
    const json read = run(waiter, request("select 1"));
    holder.join();
    CHECK(holder_error == "interrupted");
    CHECK(waiter_error == "interrupted while waiting for another job's write");
    CHECK(waiter_code == 9); // SQLITE_INTERRUPT
    CHECK_FALSE(waited_for_holder);
    CHECK(read["rows"][0][0] == 1);
    CHECK(count_rows(setup) == 0);
  }
}

namespace {

// A write that runs until `after` has passed, then is interrupted.
jq::sql::RunOptions interrupted_after(std::chrono::milliseconds after,
                                      const std::string& key = {})
{
  const auto until = std::chrono::steady_clock::now() + after;
  jq::sql::RunOptions options;
  options.idempotency_key = key;
  options.should_interrupt = [until] {
    return std::chrono::steady_clock::now() >= until;
  };
  return options;
}

constexpr const char* k_endless_insert =
  "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < "
  "1000000000) INSERT INTO scratch SELECT x FROM c";

// Open the WAL-mode database at `path` for `sessions` threads sharing one
// writer, with tables t (rows of the jobs' own), u (one row, which
// conflicting inserts fail on) and scratch (for the endless insert).
jq::sql::Databases open_group_tables(const std::string& path, int sessions)
{
  SQLite::Database(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE)
    .exec("PRAGMA journal_mode = WAL");
  jq::sql::EngineOptions engine;
  engine.sessions = sessions;
  auto databases = jq::sql::open_databases({{"app", path, false}}, engine);
  Executor setup(databases);
  run(setup, request("create table t(n integer primary key)"));
  run(setup, request("create table u(id integer primary key)"));
  run(setup, request("create table scratch(x)"));
  run(setup, request("insert into u values (1)"));
  return databases;
}

} // namespace

TEST_CASE("jq::sql writes that share the writer commit in groups, each as if "
          "alone")
{
  // synchronous=FULL, the default: each commit waits for the disk, so the
  // writes of eight threads queue behind it and run in groups.
  const std::string path = temp_db_path("groups.sqlite");
  const auto databases = open_group_tables(path, 8);
  Executor setup(databases);

  // Threads 0-5 write rows of their own; 7 sends each of 6's jobs again,
  // under the same key, at the same time (a twin delivery). Between them,
  // 0-3 send jobs that fail in the three ways a job can fail in a group:
  // an error of its own statement (ABORT: its own writes are undone; 3
  // sends a batch whose second row fails after its first one landed),
  // one that rolls back the whole transaction (ON CONFLICT ROLLBACK), and
  // an interrupt in the middle of a write (also the whole transaction).
  constexpr int k_threads = 8;
  constexpr int k_writes = 60;
  std::atomic<int> failures{0};
  std::atomic<int> aborted{0};
  std::atomic<int> rolled_back{0};
  std::atomic<int> interrupted{0};
  std::vector<std::vector<std::string>> replies(
    k_threads, std::vector<std::string>(k_writes));
  std::vector<std::thread> threads;
  for (int i = 0; i < k_threads; ++i) {
    threads.emplace_back([&, i] {
      Executor executor(databases);
      const int owner = i == 7 ? 6 : i;
      for (int j = 0; j < k_writes; ++j) {
        try {
          replies[i][j] =
            executor.run(request("insert into t values (?)",
                                 json::array({owner * 1000 + j})),
                         {fmt::format("bull:jq:{}-{}:1", owner, j), {}});
        } catch (const std::exception& e) {
          MESSAGE("write ", owner, "-", j, " failed: ", e.what());
          failures.fetch_add(1);
        }
        if (i > 3 || j % 3 != 0) {
          continue;
        }
        try {
          if (i == 0) {
            executor.run(request("insert into u values (1)"),
                         {fmt::format("bull:jq:abort-{}:1", j), {}});
          } else if (i == 3) {
            // Its first row lands, then the second fails: the first must
            // go with it.
            Request batch = request("insert into t values (?)");
            const json row = json::array({3500 + j});
            batch.rows.emplace();
            batch.rows->push_back(jq::sql::parse_params(row, {"row"}));
            batch.rows->push_back(jq::sql::parse_params(row, {"row"}));
            executor.run(batch, {fmt::format("bull:jq:batch-{}:1", j), {}});
          } else if (i == 1) {
            executor.run(request("insert or rollback into u values (1)"),
                         {fmt::format("bull:jq:rollback-{}:1", j), {}});
          } else {
            executor.run(
              request(k_endless_insert),
              interrupted_after(std::chrono::milliseconds(5),
                                fmt::format("bull:jq:long-{}:1", j)));
          }
          failures.fetch_add(1);
        } catch (const jq::SqlError& e) {
          const int code = e.code();
          (code == 9 ? interrupted
           : i == 1  ? rolled_back
                     : aborted)
            .fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  CHECK(failures.load() == 0);
  CHECK(aborted.load() == 2 * k_writes / 3);
  CHECK(rolled_back.load() == k_writes / 3);
  CHECK(interrupted.load() == k_writes / 3);
  // Every write landed once; none of the failed ones left anything.
  CHECK(count_rows(setup) == 7 * k_writes);
  CHECK(run(setup, request("select count(*) from u"))["rows"][0][0] == 1);
  CHECK(run(setup, request("select count(*) from scratch"))["rows"][0][0] == 0);
  // Jobs may not read the ledger; the test does, on a connection of its own.
  CHECK(SQLite::Database(path)
          .execAndGet("select count(*) from _jq_ledger")
          .getInt()
        == 7 * k_writes);
  for (int j = 0; j < k_writes; ++j) {
    // The second delivery answers with the first one's reply.
    CHECK(replies[6][j] == replies[7][j]);
    CHECK(json::parse(replies[6][j])["last_insert_rowid"] == 6000 + j);
  }
}

TEST_CASE("jq::sql writes waiting for another connection's lock: the "
          "interrupted one gives up, the others land")
{
  const std::string path = temp_db_path("group-lock.sqlite");
  SQLite::Database other(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  other.exec("PRAGMA journal_mode = WAL");
  other.exec("create table t(n integer)");
  jq::sql::EngineOptions engine;
  engine.sessions = 4;
  const auto databases =
    jq::sql::open_databases({{"app", path, false}}, engine);

  // Another process writes until the interrupted job has given up (or for
  // 10 s at most), whenever its thread gets to run.
  other.exec("begin immediate");
  other.exec("insert into t values (0)");
  std::atomic<bool> gave_up{false};
  std::thread release([&other, &gave_up] {
    const auto until =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!gave_up && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    other.exec("commit");
  });
  std::atomic<int> landed{0};
  std::atomic<int> interrupted_code{0};
  std::vector<std::thread> writers;
  for (int i = 0; i < 4; ++i) {
    writers.emplace_back([&, i] {
      Executor executor(databases);
      try {
        executor.run(request("insert into t values (?)", json::array({i + 1})),
                     i == 0 ? interrupted_after(std::chrono::milliseconds(100),
                                                "bull:jq:lock-0:1")
                            : jq::sql::RunOptions{
                              fmt::format("bull:jq:lock-{}:1", i), {}});
        landed.fetch_add(1);
      } catch (const jq::SqlError& e) {
        interrupted_code = e.code();
      }
      if (i == 0) {
        gave_up = true;
      }
    });
  }
  for (auto& writer : writers) {
    writer.join();
  }
  release.join();
  CHECK(landed.load() == 3);
  CHECK(interrupted_code.load() == 9); // SQLITE_INTERRUPT
  Executor executor(databases);
  CHECK(count_rows(executor) == 4);
  CHECK(
    run(executor, request("select count(*) from t where n = 1"))["rows"][0][0]
    == 0);
}

TEST_CASE("jq::sql a write whose job is interrupted leaves no transaction "
          "open")
{
  // SQLite asks the progress handler at the end of a statement too, after
  // its work: an interrupt there reported a BEGIN that had begun as failed,
  // and the transaction it left open refused every later write ("cannot
  // start a transaction within a transaction"), at about the 200th job.
  for (const int sessions : {1, 2}) {
    CAPTURE(sessions);
    const std::string path =
      temp_db_path(fmt::format("interrupted-{}.sqlite", sessions));
    jq::sql::EngineOptions engine;
    engine.sessions = sessions;
    engine.synchronous_normal = true;
    Executor executor(jq::sql::open_databases({{"app", path, false}}, engine));
    run(executor, request("create table t(n integer)"));
    jq::sql::RunOptions interrupted;
    interrupted.should_interrupt = [] { return true; };
    int landed = 0;
    for (int i = 0; i < 1000; ++i) {
      try {
        executor.run(request("insert into t values (?)", json::array({i})),
                     interrupted);
        ++landed;
      } catch (const jq::SqlError& e) {
        CHECK(e.code() == 9); // SQLITE_INTERRUPT
      }
    }
    // Every reply told the truth, and the writer still writes.
    CHECK(count_rows(executor) == landed);
    CHECK(run(executor, request("insert into t values (-1)"))["changes"] == 1);
  }
}

namespace {

// The error of `batch_run` as its SQLite code (0: none; -1: an error that
// is not an SqlError).
int error_code(const jq::sql::BatchRun& batch_run)
{
  if (!batch_run.result.error) {
    return 0;
  }
  try {
    std::rethrow_exception(batch_run.result.error);
  } catch (const jq::SqlError& e) {
    return e.code();
  } catch (...) {
    return -1;
  }
}

} // namespace

TEST_CASE("jq::sql a batch of jobs from one thread: the writes commit "
          "together, each job as if alone")
{
  const std::string path = temp_db_path("batches.sqlite");
  const auto databases = open_group_tables(path, 4);
  Executor setup(databases);

  // Each thread runs batches of seven jobs: two writes of its own, one
  // failing on its own statement (ABORT), one rolling back the whole
  // transaction (ON CONFLICT ROLLBACK), one interrupted in the middle of
  // its write, a read, and one for a database the worker does not have.
  // Thread 3 sends thread 2's writes again, under the same keys, at the
  // same time (a twin delivery).
  constexpr int k_threads = 4;
  constexpr int k_batches = 30;
  constexpr std::size_t k_size = 7;
  std::vector<std::vector<std::string>> replies(
    k_threads, std::vector<std::string>(k_batches));
  std::vector<std::vector<std::vector<int>>> codes(
    k_threads, std::vector<std::vector<int>>(k_batches));
  std::atomic<int> without_end{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < k_threads; ++i) {
    threads.emplace_back([&, i] {
      Executor executor(databases);
      const int owner = i == 3 ? 2 : i;
      for (int b = 0; b < k_batches; ++b) {
        std::vector<Request> requests;
        std::vector<jq::sql::RunOptions> options;
        const auto key = [&](const char* what) {
          return fmt::format("bull:jq:{}-{}-{}:1", what, owner, b);
        };
        requests.push_back(
          request("insert into t values (?)", json::array({owner * 1000 + b})));
        options.push_back({key("own"), {}});
        requests.push_back(request("insert into u values (1)"));
        options.push_back({key(i == 3 ? "abort-twin" : "abort"), {}});
        requests.push_back(request("insert or rollback into u values (1)"));
        options.push_back({key(i == 3 ? "rollback-twin" : "rollback"), {}});
        requests.push_back(request(k_endless_insert));
        options.push_back(interrupted_after(
          std::chrono::milliseconds(5), key(i == 3 ? "long-twin" : "long")));
        requests.push_back(request("select count(*) from t"));
        options.emplace_back();
        requests.push_back(request("select 1"));
        requests.back().db = "nowhere";
        options.emplace_back();
        requests.push_back(request("insert into t values (?)",
                                   json::array({owner * 1000 + 500 + b})));
        options.push_back({key("second"), {}});
        std::vector<jq::sql::BatchRun> runs(k_size);
        std::vector<jq::sql::BatchRun*> pointers;
        for (std::size_t r = 0; r < k_size; ++r) {
          runs[r].request = &requests[r];
          runs[r].options = &options[r];
          pointers.push_back(&runs[r]);
        }
        executor.run_batch(pointers);
        replies[i][b] = runs[0].result.reply;
        for (const auto& batch_run : runs) {
          codes[i][b].push_back(error_code(batch_run));
          if (batch_run.result.done
              == std::chrono::steady_clock::time_point{}) {
            without_end.fetch_add(1);
          }
        }
      }
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  CHECK(without_end.load() == 0);
  for (int i = 0; i < k_threads; ++i) {
    for (int b = 0; b < k_batches; ++b) {
      const auto& got = codes[i][b];
      CHECK(got[0] == 0);
      CHECK(got[1] == 19); // SQLITE_CONSTRAINT
      CHECK(got[2] == 19);
      CHECK(got[3] == 9); // SQLITE_INTERRUPT
      CHECK(got[4] == 0);
      CHECK(got[5] == -1); // JobError: unknown database
      CHECK(got[6] == 0);
    }
  }
  // Every write landed once; none of the failed ones left anything.
  CHECK(count_rows(setup) == 3 * 2 * k_batches);
  CHECK(run(setup, request("select count(*) from u"))["rows"][0][0] == 1);
  CHECK(run(setup, request("select count(*) from scratch"))["rows"][0][0] == 0);
  CHECK(SQLite::Database(path)
          .execAndGet("select count(*) from _jq_ledger")
          .getInt()
        == 3 * 2 * k_batches);
  for (int b = 0; b < k_batches; ++b) {
    // The second delivery answers with the first one's reply.
    CHECK(replies[2][b] == replies[3][b]);
    CHECK(json::parse(replies[2][b])["last_insert_rowid"] == 2000 + b);
  }
}
