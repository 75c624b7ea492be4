#include <jq/cli/sql_handler.hpp>
#include <jq/core/error.hpp>
#include <jq/queue/job.hpp>

#include <SQLiteCpp/Database.h>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <deque>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

using jq::queue::JobRun;
using nlohmann::json;

namespace fs = std::filesystem;

namespace {

// Held jobs for run_sql_jobs, offered in order; records what it gave back.
class HeldJobs final : public jq::queue::MoreJobs
{
public:
  explicit HeldJobs(const std::vector<std::string>& data)
  {
    for (const auto& text : data) {
      jq::queue::Job& job = m_jobs.emplace_back();
      job.id = std::to_string(m_jobs.size());
      job.data = text;
      m_runs.push_back(JobRun{&job, &m_context, {}});
    }
  }

  JobRun* take() override
  {
    ++m_takes;
    return m_next < m_runs.size() ? &m_runs[m_next++] : nullptr;
  }

  void give_back(JobRun* run) override
  {
    CHECK(run == &m_runs[m_next - 1]);
    m_given_back.push_back(run->job->id);
    --m_next;
  }

  JobRun& run(std::size_t i)
  {
    return m_runs[i];
  }
  // How many were taken and kept.
  std::size_t kept() const
  {
    return m_next;
  }
  int takes() const
  {
    return m_takes;
  }
  const std::vector<std::string>& given_back() const
  {
    return m_given_back;
  }

private:
  jq::queue::JobContext m_context;
  std::deque<jq::queue::Job> m_jobs;
  std::deque<JobRun> m_runs;
  std::size_t m_next = 0;
  int m_takes = 0;
  std::vector<std::string> m_given_back;
};

std::string insert(int n)
{
  return json{
    {"db", "app"}, {"sql", "insert into t values (?)"}, {"params", {n}}}
    .dump();
}

// The ProtocolError's message of `run`, or "" when it has none.
std::string protocol_error(const JobRun& run)
{
  if (!run.result.error) {
    return "";
  }
  try {
    std::rethrow_exception(run.result.error);
  } catch (const jq::ProtocolError& e) {
    return e.what();
  } catch (...) {
    return "(another error)";
  }
}

} // namespace

TEST_CASE("jq::cli::run_sql_jobs: a run of held writes to the same database "
          "commits with the first; anything else stays held")
{
  const auto dir = fs::temp_directory_path()
                   / ("jq-unit-sql-handler-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "app.sqlite").string();
  fs::remove(path);
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("create table t (n integer primary key)");
  }
  jq::sql::EngineOptions engine;
  engine.sessions = 2; // writes go through the shared writer
  const auto databases =
    jq::sql::open_databases({{"app", path, false}}, engine);
  jq::sql::JobHandler handler(databases, 1000);
  const jq::queue::JobContext context;
  const auto count_rows = [&path] {
    return SQLite::Database(path).execAndGet("select count(*) from t").getInt();
  };

  SUBCASE("a read runs alone: nothing held is taken")
  {
    jq::queue::Job job;
    job.data = R"({"db": "app", "sql": "select 7"})";
    JobRun first{&job, &context, {}};
    HeldJobs held({insert(1)});
    jq::cli::run_sql_jobs(handler, first, held);
    CHECK(json::parse(first.result.reply)["rows"] == json::parse("[[7]]"));
    CHECK(held.takes() == 0);
    CHECK(count_rows() == 0);
  }

  SUBCASE("writes join until the first job that is not one")
  {
    jq::queue::Job job;
    job.data = insert(1);
    JobRun first{&job, &context, {}};
    HeldJobs held({insert(2),
                   "not json",
                   insert(3),
                   R"({"db": "app", "sql": "select 1"})",
                   insert(4)});
    jq::cli::run_sql_jobs(handler, first, held);
    CHECK_FALSE(first.result.error);
    CHECK(json::parse(first.result.reply)["last_insert_rowid"] == 1);
    CHECK(json::parse(held.run(0).result.reply)["last_insert_rowid"] == 2);
    // Data that is not a job fails at once, as it would alone.
    CHECK(protocol_error(held.run(1))
          == "job data is not valid JSON (or nests deeper than 256 levels)");
    CHECK(json::parse(held.run(2).result.reply)["last_insert_rowid"] == 3);
    CHECK(held.given_back() == std::vector<std::string>{"4"});
    CHECK(held.kept() == 3);
    CHECK(held.run(3).result.reply.empty());
    CHECK_FALSE(held.run(3).result.error);
    CHECK(count_rows() == 3);
  }

  SUBCASE("a first job that is not one fails alone")
  {
    jq::queue::Job job;
    job.data = R"({"db": "app"})";
    JobRun first{&job, &context, {}};
    HeldJobs held({insert(1)});
    jq::cli::run_sql_jobs(handler, first, held);
    CHECK(protocol_error(first).find("sql") != std::string::npos);
    CHECK(held.takes() == 0);
    CHECK(first.result.done != std::chrono::steady_clock::time_point{});
  }

  SUBCASE("a write to a database the worker does not have is not batched")
  {
    jq::queue::Job job;
    job.data = insert(1);
    JobRun first{&job, &context, {}};
    HeldJobs held(
      {R"j({"db": "nowhere", "sql": "insert into t values (2)"})j", insert(3)});
    jq::cli::run_sql_jobs(handler, first, held);
    CHECK_FALSE(first.result.error);
    CHECK(held.given_back() == std::vector<std::string>{"1"});
    CHECK(count_rows() == 1);
  }
  fs::remove_all(dir);
}
