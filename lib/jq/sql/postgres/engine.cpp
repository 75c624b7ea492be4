#include "engine.hpp"

#include <jq/core/error.hpp>
#include <jq/core/json.hpp>
#include <jq/core/log.hpp>
#include <jq/sql/budget.hpp>
#include <jq/sql/postgres/connection.hpp>
#include <jq/sql/postgres/job_rules.hpp>
#include <jq/sql/postgres/ledger.hpp>
#include <jq/sql/postgres/parameters.hpp>
#include <jq/sql/postgres/placeholders.hpp>
#include <jq/sql/postgres/result.hpp>

#include <fmt/format.h>

#include <mutex>
#include <optional>

namespace jq::sql::postgres {

namespace {

using nlohmann::json;

constexpr std::string_view k_unique_violation = "23505";

// A connection and the ledger of its database, declared in that order.
struct Link
{
  Link(const DatabaseSpec& spec, const std::function<bool()>& should_interrupt)
    : connection(spec, should_interrupt),
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
              const std::function<bool()>& should_interrupt)
    : m_connection(connection)
  {
    m_connection.run(read_only ? "BEGIN READ ONLY" : "BEGIN", should_interrupt);
  }
  ~Transaction()
  {
    if (!m_is_done) {
      m_connection.rollback();
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit(const std::function<bool()>& should_interrupt)
  {
    const ResultPtr done = m_connection.run("COMMIT", should_interrupt);
    m_is_done = true;
    // A transaction that failed inside answers COMMIT with ROLLBACK.
    if (std::string_view(PQcmdStatus(done.get())) != "COMMIT") {
      throw SqlError("the transaction was rolled back at its COMMIT", "40000");
    }
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
  std::int64_t changes = 0;
  const auto run_once = [&](const TranslatedSql& sql, const Params& params) {
    const BoundParams bound(sql, params, job.limits);
    const ResultPtr last = connection.run(
      bound.statement(sql), should_interrupt, [&](const PGresult& row) {
        append_row(row, rows, budget);
      });
    columns = column_names(*last);
    changes += changed_rows(*last);
  };
  if (job.request.rows) {
    const auto& batch = *job.request.rows;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      try {
        if (batch[i].kind == job.kind) {
          run_once(job.translated, batch[i]);
        } else {
          run_once(translate_sql(job.request.sql, batch[i].kind), batch[i]);
        }
      } catch (const SqlError& e) {
        throw SqlError(fmt::format("row {}: {}", i + 1, e.what()),
                       e.sqlstate());
      } catch (const JobError& e) {
        throw JobError(fmt::format("row {}: {}", i + 1, e.what()));
      }
    }
  } else {
    run_once(job.translated, job.request.params);
  }
  if (connection.transaction_status() != PQTRANS_INTRANS) {
    throw SqlError("the job's statement ended its transaction", "25000");
  }

  // The same shape as SQLite's reply; PostgreSQL has no rowid (RETURNING
  // gives what was inserted).
  json document{{"columns", std::move(columns)},
                {"rows", std::move(rows)},
                {"changes", changes},
                {"last_insert_rowid", nullptr}};
  if (budget.non_finite() > 0) {
    document["warnings"] = {
      fmt::format("{} real value(s) were NaN, Infinity or -Infinity, which "
                  "JSON cannot represent: sent as null",
                  budget.non_finite())};
  }
  std::string reply = dump_json(document);
  if (use_ledger) {
    try {
      link.ledger.record(key, reply, should_interrupt);
    } catch (const SqlError& e) {
      if (e.sqlstate() != k_unique_violation) {
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

class PostgresDatabase;

class PostgresSession final : public Session
{
public:
  PostgresSession(std::shared_ptr<PostgresDatabase> database,
                  std::unique_ptr<Link> link)
    : m_database(std::move(database)),
      m_link(std::move(link))
  {
  }

  std::string run(const Request& request, const RunOptions& options) override;

private:
  std::shared_ptr<PostgresDatabase> m_database;
  std::unique_ptr<Link> m_link; // null until connected, or once lost
};

class PostgresDatabase final
  : public Database,
    public std::enable_shared_from_this<PostgresDatabase>
{
public:
  PostgresDatabase(DatabaseSpec spec, const EngineOptions& options)
    : Database(spec.name),
      m_spec(std::move(spec)),
      m_limits(options.limits)
  {
    check_url();
    try {
      m_unused = std::make_unique<Link>(m_spec, std::function<bool()>());
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
    return std::make_unique<PostgresSession>(shared_from_this(),
                                             std::move(link));
  }

  const DatabaseSpec& spec() const noexcept
  {
    return m_spec;
  }
  const Limits& limits() const noexcept
  {
    return m_limits;
  }

private:
  // A URL libpq cannot read is a usage error at start-up.
  void check_url() const
  {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(m_spec.url.c_str(), &error);
    if (options != nullptr) {
      PQconninfoFree(options);
      return;
    }
    std::string reason = error != nullptr ? error : "cannot be read";
    PQfreemem(error);
    while (!reason.empty() && reason.back() == '\n') {
      reason.pop_back();
    }
    throw UsageError(fmt::format(
      "invalid database {}: {}", m_spec.redacted(), m_spec.scrub(reason)));
  }

  DatabaseSpec m_spec;
  Limits m_limits;
  std::mutex m_unused_mutex;
  std::unique_ptr<Link> m_unused;
};

std::string PostgresSession::run(const Request& request,
                                 const RunOptions& options)
{
  const Limits& limits = m_database->limits();
  if (request.sql.size() > limits.max_value_bytes) {
    throw JobError("the job's SQL is too long");
  }
  // libpq takes SQL as a C string: what follows a NUL would go unseen.
  if (request.sql.find('\0') != std::string::npos) {
    throw JobError("the job's SQL has a NUL byte in it");
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
  // Given up by an earlier job (a server that did not answer its cancel).
  if (m_link && m_link->connection.is_lost()) {
    m_link.reset();
  }
  for (int attempt = 1;; ++attempt) {
    if (!m_link) {
      m_link =
        std::make_unique<Link>(m_database->spec(), options.should_interrupt);
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
  return std::make_shared<PostgresDatabase>(spec, options);
}

} // namespace jq::sql::postgres
