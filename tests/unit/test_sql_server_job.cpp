#include <jq/core/error.hpp>
#include <jq/sql/server/database.hpp>
#include <jq/sql/server/job.hpp>

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

// The job flow the server engines share (server/job.hpp, database.hpp), on
// a fake connection that logs what it is asked.

using jq::sql::Params;
using jq::sql::Request;
using jq::sql::RunOptions;
using jq::sql::Value;
using jq::sql::server::Interrupt;
using jq::sql::server::ServerJob;
using jq::sql::server::StatementReply;
using jq::sql::server::TranslatedSql;

namespace {

struct FakeServer
{
  std::vector<std::string> log;
  std::map<std::string, std::string> ledger;
  // record() fails on the key, as when a twin delivery committed it first
  // with this reply.
  std::optional<std::string> twin_reply;
  // Rows a twin delivery commits while a "unique" statement waits for its
  // row lock (ledger key -> reply).
  std::map<std::string, std::string> twin_commits;
  // Set by an "expire" statement: the job's time limit passes as it ends.
  bool is_past_limit = false;
  bool is_down = false;
  bool reset_fails = false;
  int links_opened = 0;
};

class FakeLink;

// Runs with one positional value: a number gives a row of it and changes
// one row; "sql-error", "job-error", "expire" (runs as the job's time
// limit passes), "unique" (fails on a key a twin
// delivery commits meanwhile), "commit" (ends the transaction) and
// "lose" (the connection breaks) do as they say.
class FakeStatement final : public jq::sql::server::ServerStatement
{
public:
  FakeStatement(FakeLink& link, std::string text)
    : m_link(link),
      m_text(std::move(text))
  {
  }
  void run(const Params& params,
           StatementReply& reply,
           const Interrupt& should_interrupt) override;

private:
  FakeLink& m_link;
  std::string m_text;
};

class FakeLink final : public jq::sql::server::ServerLink,
                       public jq::sql::server::ServerLedger
{
public:
  explicit FakeLink(FakeServer& on)
    : server(on)
  {
    if (server.is_down) {
      throw jq::SqlError("cannot connect", "08001");
    }
    ++server.links_opened;
  }

  bool is_lost() const noexcept override
  {
    return lost;
  }
  void begin(bool read_only, const Interrupt&) override
  {
    if (server.is_down) {
      lost = true;
      throw jq::SqlError("server closed the connection", "08006");
    }
    server.log.push_back(read_only ? "begin read only" : "begin");
    in_tx = true;
  }
  void commit(const Interrupt&) override
  {
    server.log.push_back("commit");
    in_tx = false;
  }
  void rollback() noexcept override
  {
    server.log.push_back("rollback");
    in_tx = false;
  }
  bool in_transaction() const noexcept override
  {
    return in_tx;
  }
  void reset_session(const Interrupt&) override
  {
    server.log.push_back("reset");
    if (server.reset_fails) {
      throw jq::SqlError("permission denied", "42501");
    }
  }
  void close() noexcept override
  {
    server.log.push_back("close");
    lost = true;
  }
  std::unique_ptr<jq::sql::server::ServerStatement> statement(
    const TranslatedSql& sql, const jq::sql::Limits&, const Interrupt&) override
  {
    server.log.push_back("prepare " + sql.text);
    return std::make_unique<FakeStatement>(*this, sql.text);
  }
  jq::sql::server::ServerLedger& ledger() noexcept override
  {
    return *this;
  }

  void prepare(const Interrupt&) override
  {
    server.log.push_back("ledger prepare");
  }
  std::optional<std::string> lookup(const std::string& key,
                                    const Interrupt&) override
  {
    server.log.push_back("ledger lookup");
    const auto found = server.ledger.find(key);
    if (found == server.ledger.end()) {
      return std::nullopt;
    }
    return found->second;
  }
  void record(const std::string& key,
              std::string_view reply,
              const Interrupt&) override
  {
    server.log.push_back("ledger record");
    if (server.twin_reply) {
      server.ledger[key] = *server.twin_reply;
      throw jq::SqlError("duplicate key", "23505");
    }
    server.ledger[key] = std::string(reply);
  }
  bool is_duplicate_key(const jq::SqlError& error) const noexcept override
  {
    return error.sqlstate() == "23505";
  }

  FakeServer& server;
  bool in_tx = false;
  bool lost = false;
};

void FakeStatement::run(const Params& params,
                        StatementReply& reply,
                        const Interrupt&)
{
  m_link.server.log.push_back("run " + m_text);
  const Value& value = params.values.at(0);
  if (const auto* number = std::get_if<std::int64_t>(&value)) {
    reply.columns = {"n"};
    reply.rows.push_back({*number});
    reply.changes += 1;
    if (!reply.last_insert_rowid.is_null()) { // an engine with insert ids
      reply.last_insert_rowid = *number;
    }
    return;
  }
  const auto& what = std::get<std::string>(value);
  if (what == "sql-error") {
    throw jq::SqlError("no such table", "42P01");
  }
  if (what == "job-error") {
    throw jq::JobError("too many rows");
  }
  if (what == "expire") {
    m_link.server.is_past_limit = true;
    return;
  }
  if (what == "unique") {
    m_link.server.ledger.merge(m_link.server.twin_commits);
    throw jq::SqlError("duplicate key value violates unique constraint",
                       "23505");
  }
  if (what == "commit") {
    m_link.in_tx = false;
  }
  if (what == "lose") {
    m_link.lost = true;
    throw jq::SqlError("server closed the connection", "08006");
  }
}

// Translation: the SQL as it is; parameters of any kind.
TranslatedSql translate(std::string_view sql, Params::Kind kind)
{
  TranslatedSql out;
  out.text = std::string(sql);
  if (kind == Params::Kind::named) {
    out.text += " (named)";
  }
  const auto space = sql.find(' ');
  out.first_word = std::string(sql.substr(0, space));
  return out;
}

void check(std::string_view sql, const TranslatedSql&)
{
  if (sql == "commit") {
    throw jq::SqlError("COMMIT is not allowed in a job", "42000");
  }
}

bool records_writes_only(const TranslatedSql& translated, std::uint64_t)
{
  return translated.first_word != "select";
}

constexpr jq::sql::server::Dialect k_dialect{&translate, &check};

Params positional(Value value)
{
  Params params;
  params.kind = Params::Kind::positional;
  params.values = {std::move(value)};
  return params;
}

struct Run
{
  std::string reply;
  std::string error;
  std::string sqlstate;
  bool is_sent = false;
};

Run run_job(FakeServer& server,
            const Request& request,
            const RunOptions& options = {},
            const jq::sql::server::Dialect& dialect = k_dialect,
            bool read_only = false)
{
  FakeLink link(server);
  const jq::sql::Limits limits;
  const Params::Kind kind = !request.rows ? request.params.kind
                            : request.rows->empty()
                              ? Params::Kind::none
                              : request.rows->front().kind;
  const TranslatedSql translated = dialect.translate(request.sql, kind);
  const ServerJob job{
    "fake", request, options, limits, dialect, read_only, translated, kind};
  Run run;
  try {
    run.reply = jq::sql::server::run_job(link, job, run.is_sent);
  } catch (const jq::SqlError& e) {
    run.error = e.what();
    run.sqlstate = e.sqlstate();
  } catch (const jq::JobError& e) {
    run.error = e.what();
  }
  return run;
}

Request job(std::string sql, Value value)
{
  Request request;
  request.sql = std::move(sql);
  request.params = positional(std::move(value));
  return request;
}

using Log = std::vector<std::string>;

} // namespace

TEST_CASE("server::run_job: one statement in one transaction")
{
  FakeServer server;
  const Run run = run_job(server, job("insert 1", std::int64_t{5}));
  CHECK(run.error == "");
  CHECK(run.is_sent);
  CHECK(run.reply
        == R"({"changes":1,"columns":["n"],"last_insert_rowid":null,)"
           R"("rows":[[5]]})");
  CHECK(server.log
        == Log{"prepare insert 1", "begin", "run insert 1", "commit", "reset"});
}

TEST_CASE("server::run_job: a batch, all rows or none")
{
  FakeServer server;
  Request request;
  request.sql = "insert";
  Params named;
  named.kind = Params::Kind::named;
  named.names = {"n"};
  named.values = {std::int64_t{3}};
  request.rows = {positional(std::int64_t{1}), named};
  Run run = run_job(server, request);
  CHECK(run.reply
        == R"({"changes":2,"columns":["n"],"last_insert_rowid":null,)"
           R"("rows":[[1],[3]]})");
  // A row of another kind of parameters: translated for it.
  CHECK(server.log
        == Log{"prepare insert",
               "begin",
               "run insert",
               "prepare insert (named)",
               "run insert (named)",
               "commit",
               "reset"});

  server.log.clear();
  request.rows = {positional(std::int64_t{1}), positional("sql-error")};
  run = run_job(server, request);
  CHECK(run.error == "row 2: no such table");
  CHECK(run.sqlstate == "42P01");
  // Rolled back, and the session reset all the same.
  CHECK(Log(server.log.end() - 2, server.log.end())
        == Log{"rollback", "reset"});
  request.rows = {positional("job-error")};
  CHECK(run_job(server, request).error == "row 1: too many rows");
}

TEST_CASE("server::run_job: a session that cannot be reset closes its "
          "connection")
{
  FakeServer server;
  server.reset_fails = true;
  const Run run = run_job(server, job("insert", std::int64_t{1}));
  // The job committed: its reply stands.
  CHECK(run.error == "");
  CHECK(server.log
        == Log{
          "prepare insert", "begin", "run insert", "commit", "reset", "close"});
}

TEST_CASE("server::run_job: a statement that ends the transaction fails")
{
  FakeServer server;
  const Run run = run_job(server, job("x", "commit"));
  CHECK(run.error == "the job's statement ended its transaction");
  CHECK(run.sqlstate == "25000");
}

TEST_CASE("server::run_job: the ledger")
{
  FakeServer server;
  RunOptions options;
  options.idempotency_key = "bull:jq:1:0";
  // Up to the ledger's lookup in the job's transaction.
  const Log looked_up = {
    "ledger prepare", "prepare insert", "begin", "ledger lookup"};
  const auto then = [&](const Log& rest) {
    Log log = looked_up;
    log.insert(log.end(), rest.begin(), rest.end());
    return log;
  };
  const Run first = run_job(server, job("insert", std::int64_t{1}), options);
  CHECK(server.log == then({"run insert", "ledger record", "commit", "reset"}));
  CHECK(server.ledger.at("bull:jq:1:0") == first.reply);

  SUBCASE("a job delivered again returns its reply, runs nothing")
  {
    server.log.clear();
    const Run again = run_job(server, job("insert", std::int64_t{2}), options);
    CHECK(again.reply == first.reply);
    CHECK_FALSE(again.is_sent);
    // Nothing ran: no reset either.
    CHECK(server.log == then({"rollback"}));
  }

  SUBCASE("a twin that recorded the key first: its reply stands")
  {
    server.log.clear();
    server.twin_reply = R"({"twin":true})";
    options.idempotency_key = "bull:jq:2:0";
    const Run raced = run_job(server, job("insert", std::int64_t{2}), options);
    CHECK(raced.reply == R"({"twin":true})");
    CHECK(server.log
          == then({"run insert",
                   "ledger record",
                   "rollback",
                   "begin read only",
                   "ledger lookup",
                   "rollback",
                   "reset"}));
  }

  SUBCASE("a twin that committed first failed the job's own statement: its "
          "reply stands")
  {
    server.log.clear();
    options.idempotency_key = "bull:jq:4:0";
    server.twin_commits["bull:jq:4:0"] = R"({"twin":true})";
    const Run raced =
      run_job(server, job("insert", std::string("unique")), options);
    CHECK(raced.reply == R"({"twin":true})");
    CHECK(server.log
          == then({"run insert",
                   "rollback",
                   "begin read only",
                   "ledger lookup",
                   "rollback",
                   "reset"}));
  }

  SUBCASE("past its time limit before COMMIT: rolled back, nothing lands")
  {
    server.log.clear();
    options.idempotency_key = "bull:jq:6:0";
    options.should_interrupt = [&] { return server.is_past_limit; };
    const Run late =
      run_job(server, job("insert", std::string("expire")), options);
    CHECK(late.error == "interrupted before its COMMIT");
    CHECK(server.log
          == then({"run insert", "ledger record", "rollback", "reset"}));
  }

  SUBCASE("a statement that fails with no twin: its own error")
  {
    server.log.clear();
    options.idempotency_key = "bull:jq:5:0";
    const Run failed =
      run_job(server, job("insert", std::string("unique")), options);
    CHECK(failed.error == "duplicate key value violates unique constraint");
    CHECK(failed.sqlstate == "23505");
    CHECK(server.ledger.count("bull:jq:5:0") == 0);
  }

  SUBCASE("no record where the dialect says so, nor on a read-only database")
  {
    jq::sql::server::Dialect dialect = k_dialect;
    dialect.records_reply = &records_writes_only;
    options.idempotency_key = "bull:jq:3:0";
    run_job(server, job("select", std::int64_t{1}), options, dialect);
    CHECK(server.ledger.count("bull:jq:3:0") == 0);
    server.log.clear();
    run_job(server, job("insert", std::int64_t{1}), options, k_dialect, true);
    CHECK(
      server.log
      == Log{
        "prepare insert", "begin read only", "run insert", "commit", "reset"});
  }
}

TEST_CASE("server::run_job: last_insert_rowid where the dialect has one")
{
  FakeServer server;
  jq::sql::server::Dialect dialect = k_dialect;
  dialect.has_insert_id = true;
  Request request;
  request.sql = "insert";
  request.rows = std::vector<Params>{};
  const Run run = run_job(server, request, {}, dialect);
  CHECK(run.reply
        == R"({"changes":0,"columns":[],"last_insert_rowid":0,"rows":[]})");
  CHECK(run_job(server, job("insert", std::int64_t{9}), {}, dialect).reply
        == R"({"changes":1,"columns":["n"],"last_insert_rowid":9,)"
           R"("rows":[[9]]})");
}

namespace {

class FakeDatabase final : public jq::sql::server::ServerDatabase
{
public:
  FakeDatabase(FakeServer& server, const jq::sql::EngineOptions& options)
    : ServerDatabase(
      jq::sql::parse_database_spec("fake=mysql://h/d"), options, k_dialect),
      m_server(server)
  {
    open_first_link();
  }

  std::unique_ptr<jq::sql::server::ServerLink>
  open_link(const Interrupt&) const override
  {
    return std::make_unique<FakeLink>(m_server);
  }

private:
  FakeServer& m_server;
};

std::string session_error(jq::sql::Session& session, const Request& request)
{
  try {
    session.run(request, {});
  } catch (const jq::JobError& e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("server::ServerDatabase: a session's connection, opened again")
{
  FakeServer server;
  const auto database =
    std::make_shared<FakeDatabase>(server, jq::sql::EngineOptions{});
  CHECK(server.links_opened == 1); // at start-up, for the first session
  const auto session = database->open_session({});
  CHECK(session->run(job("insert", std::int64_t{1}), {}) != "");
  CHECK(server.links_opened == 1);

  // Checked before any connection.
  CHECK(session_error(*session, job("commit", std::int64_t{1}))
        == "COMMIT is not allowed in a job");
  jq::sql::EngineOptions small;
  small.limits.max_value_bytes = 4;
  const auto strict = std::make_shared<FakeDatabase>(server, small);
  CHECK(session_error(*strict->open_session({}), job("insert", std::int64_t{1}))
        == "the job's SQL is too long");
  server.links_opened = 1;

  // Found lost before the job was sent: opened again, and the job runs.
  server.is_down = true;
  CHECK(session_error(*session, job("insert", std::int64_t{1}))
        == "cannot connect");
  server.is_down = false;
  CHECK(session->run(job("insert", std::int64_t{2}), {}) != "");
  CHECK(server.links_opened == 2);

  // Lost once sent: the job fails (it may have run), the next one
  // connects.
  CHECK(session_error(*session, job("insert", "lose"))
        == "server closed the connection");
  CHECK(session->run(job("insert", std::int64_t{3}), {}) != "");
  CHECK(server.links_opened == 3);

  // A second session connects at its first job.
  const auto other = database->open_session({});
  CHECK(server.links_opened == 3);
  CHECK(other->run(job("insert", std::int64_t{4}), {}) != "");
  CHECK(server.links_opened == 4);
}

TEST_CASE("server::ServerDatabase: a server down at start-up")
{
  FakeServer server;
  server.is_down = true;
  const auto database =
    std::make_shared<FakeDatabase>(server, jq::sql::EngineOptions{});
  CHECK(server.links_opened == 0);
  const auto session = database->open_session({});
  CHECK(session_error(*session, job("insert", std::int64_t{1}))
        == "cannot connect");
  server.is_down = false;
  CHECK(session->run(job("insert", std::int64_t{1}), {}) != "");
  CHECK(server.links_opened == 1);
}
