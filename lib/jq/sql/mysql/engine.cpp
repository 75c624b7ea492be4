#include "engine.hpp"

#include <jq/core/error.hpp>
#include <jq/core/json.hpp>
#include <jq/core/log.hpp>
#include <jq/sql/budget.hpp>
#include <jq/sql/mysql/connection.hpp>
#include <jq/sql/mysql/job_rules.hpp>
#include <jq/sql/mysql/ledger.hpp>
#include <jq/sql/mysql/parameters.hpp>
#include <jq/sql/mysql/placeholders.hpp>
#include <jq/sql/mysql/statement.hpp>
#include <jq/sql/mysql/url.hpp>

#include <fmt/format.h>

#include <mutex>
#include <optional>

namespace jq::sql::mysql {

namespace {

using nlohmann::json;

// A connection and the ledger of its database, declared in that order.
struct Link
{
  Link(const DatabaseSpec& spec,
       const ConnectParams& params,
       const Interrupt& should_interrupt)
    : connection(spec, params, should_interrupt),
      ledger(connection)
  {
  }

  Connection connection;
  Ledger ledger;
};

// One transaction on a connection; rolled back unless committed.
class Transaction
{
public:
  Transaction(Connection& connection,
              bool read_only,
              const Interrupt& should_interrupt)
    : m_connection(connection)
  {
    m_connection.execute(read_only ? "START TRANSACTION READ ONLY"
                                   : "START TRANSACTION",
                         should_interrupt);
  }
  ~Transaction()
  {
    if (!m_is_done) {
      m_connection.rollback();
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit(const Interrupt& should_interrupt)
  {
    m_is_done = true;
    m_connection.execute("COMMIT", should_interrupt);
  }

private:
  Connection& m_connection;
  bool m_is_done = false;
};

// What one request needs besides its link.
struct Job
{
  const DatabaseSpec& spec;
  const Request& request;
  const RunOptions& options;
  const Limits& limits;
  const TranslatedSql& translated;
  Params::Kind kind;
};

// Run one request on `link` in one transaction (see Session::run).
// `is_sent` is set once the job's statement may have reached the server:
// before that, a lost connection can be opened again and the job retried.
std::string run_on(Link& link, const Job& job, bool& is_sent)
{
  const auto& should_interrupt = job.options.should_interrupt;
  const std::string& key = job.options.idempotency_key;
  Connection& connection = link.connection;
  const bool use_ledger = !job.spec.read_only && !key.empty();

  if (use_ledger) {
    link.ledger.prepare(should_interrupt);
  }
  // Prepared before the transaction: a statement the server refuses costs
  // it nothing.
  PreparedStatement prepared(connection, job.translated.text, should_interrupt);
  std::optional<Transaction> transaction;
  transaction.emplace(connection, job.spec.read_only, should_interrupt);
  if (use_ledger) {
    if (auto recorded = link.ledger.lookup(key, should_interrupt)) {
      return std::move(*recorded);
    }
  }
  is_sent = true;

  json columns = json::array();
  json rows = json::array();
  ResultBudget budget(job.limits);
  std::uint64_t changes = 0;
  std::uint64_t last_insert_id = 0;
  const auto run_once = [&](PreparedStatement& statement,
                            const TranslatedSql& sql,
                            const Params& params) {
    BoundParams bound(sql, params, job.limits);
    // The server and jq must read the same `?`s (an executable comment,
    // /*! ... */, holds SQL for the server).
    if (statement.parameter_count() != bound.all().size()) {
      throw JobError(fmt::format(
        "the server reads {} placeholder(s) in the statement where jq-worker "
        "reads {} (a ? in an executable comment /*! */?)",
        statement.parameter_count(),
        bound.all().size()));
    }
    Execution done =
      statement.execute(bound.binds(), should_interrupt, [&](ResultSet& row) {
        rows.push_back(row.read_row(budget));
      });
    columns = std::move(done.columns);
    // MariaDB's INSERT, DELETE and REPLACE ... RETURNING give a row for
    // each row they changed.
    const bool is_returning =
      !columns.empty()
      && (sql.first_word == "insert" || sql.first_word == "delete"
          || sql.first_word == "replace");
    changes += is_returning ? done.rows : done.changes;
    if (done.insert_id != 0) {
      last_insert_id = done.insert_id;
    }
  };
  if (job.request.rows) {
    const auto& batch = *job.request.rows;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      try {
        if (batch[i].kind == job.kind) {
          run_once(prepared, job.translated, batch[i]);
        } else {
          const TranslatedSql other =
            translate_sql(job.request.sql, batch[i].kind);
          PreparedStatement statement(connection, other.text, should_interrupt);
          run_once(statement, other, batch[i]);
        }
      } catch (const SqlError& e) {
        throw SqlError(fmt::format("row {}: {}", i + 1, e.what()),
                       e.sqlstate());
      } catch (const JobError& e) {
        throw JobError(fmt::format("row {}: {}", i + 1, e.what()));
      }
    }
  } else {
    run_once(prepared, job.translated, job.request.params);
  }
  if (!connection.in_transaction()) {
    throw SqlError("the job's statement ended its transaction", "25000");
  }

  // The same shape and key order as SQLite's reply.
  json document{{"columns", std::move(columns)},
                {"rows", std::move(rows)},
                {"changes", changes},
                {"last_insert_rowid", last_insert_id}};
  if (budget.non_finite() > 0) {
    document["warnings"] = {
      fmt::format("{} real value(s) were NaN, Infinity or -Infinity, which "
                  "JSON cannot represent: sent as null",
                  budget.non_finite())};
  }
  std::string reply = dump_json(document);
  if (use_ledger && records_reply(job.translated, changes)) {
    try {
      link.ledger.record(key, reply, should_interrupt);
    } catch (const ServerError& e) {
      if (e.number() != k_er_dup_entry) {
        throw;
      }
      // Another delivery of this job committed first: its reply stands.
      transaction.reset();
      const Transaction lookup(connection, true, should_interrupt);
      if (auto recorded = link.ledger.lookup(key, should_interrupt)) {
        return std::move(*recorded);
      }
      throw;
    }
  }
  transaction->commit(should_interrupt);
  return reply;
}

class MysqlDatabase;

class MysqlSession final : public Session
{
public:
  MysqlSession(std::shared_ptr<MysqlDatabase> database,
               std::unique_ptr<Link> link)
    : m_database(std::move(database)),
      m_link(std::move(link))
  {
  }

  std::string run(const Request& request, const RunOptions& options) override;

private:
  std::shared_ptr<MysqlDatabase> m_database;
  std::unique_ptr<Link> m_link; // null until connected, or once lost
};

class MysqlDatabase final : public Database,
                            public std::enable_shared_from_this<MysqlDatabase>
{
public:
  MysqlDatabase(DatabaseSpec spec, const EngineOptions& options)
    : Database(spec.name),
      m_spec(std::move(spec)),
      m_params(parse_url(m_spec)),
      m_limits(options.limits)
  {
    try {
      m_unused = std::make_unique<Link>(m_spec, m_params, Interrupt());
    } catch (const SqlError& e) {
      JQ_LOG(warn,
             "{}; starting anyway: its jobs fail until it can be reached",
             e.what());
    }
  }

  std::unique_ptr<Session> open_session() override
  {
    std::unique_ptr<Link> link;
    {
      const std::lock_guard lock(m_unused_mutex);
      link = std::move(m_unused);
    }
    return std::make_unique<MysqlSession>(shared_from_this(), std::move(link));
  }

  const DatabaseSpec& spec() const noexcept
  {
    return m_spec;
  }
  const ConnectParams& params() const noexcept
  {
    return m_params;
  }
  const Limits& limits() const noexcept
  {
    return m_limits;
  }

private:
  DatabaseSpec m_spec;
  ConnectParams m_params;
  Limits m_limits;
  std::mutex m_unused_mutex;
  std::unique_ptr<Link> m_unused;
};

std::string MysqlSession::run(const Request& request, const RunOptions& options)
{
  const Limits& limits = m_database->limits();
  if (request.sql.size() > limits.max_value_bytes) {
    throw JobError("the job's SQL is too long");
  }
  const Params::Kind kind = !request.rows ? request.params.kind
                            : request.rows->empty()
                              ? Params::Kind::none
                              : request.rows->front().kind;
  // Checked before any connection: a bad job fails even with the server
  // down.
  const TranslatedSql translated = translate_sql(request.sql, kind);
  check_job_sql(request.sql, translated);
  const Job job{m_database->spec(), request, options, limits, translated, kind};
  // Given up by an earlier job (a server that did not answer its kill).
  if (m_link && m_link->connection.is_lost()) {
    m_link.reset();
  }
  for (int attempt = 1;; ++attempt) {
    if (!m_link) {
      m_link = std::make_unique<Link>(
        m_database->spec(), m_database->params(), options.should_interrupt);
    }
    bool is_sent = false;
    try {
      return run_on(*m_link, job, is_sent);
    } catch (const SqlError&) {
      if (!m_link->connection.is_lost()) {
        throw;
      }
      m_link.reset();
      // A connection found lost before the job was sent (the server
      // restarted since the last job) is opened again, once.
      if (is_sent || attempt > 1) {
        throw;
      }
    }
  }
}

} // namespace

std::shared_ptr<Database> open_database(const DatabaseSpec& spec,
                                        const EngineOptions& options)
{
  return std::make_shared<MysqlDatabase>(spec, options);
}

} // namespace jq::sql::mysql
