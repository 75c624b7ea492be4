#include "engine.hpp"

#include <jq/core/error.hpp>
#include <jq/sql/mysql/connection.hpp>
#include <jq/sql/mysql/job_rules.hpp>
#include <jq/sql/mysql/ledger.hpp>
#include <jq/sql/mysql/parameters.hpp>
#include <jq/sql/mysql/placeholders.hpp>
#include <jq/sql/mysql/statement.hpp>
#include <jq/sql/mysql/url.hpp>
#include <jq/sql/server/database.hpp>

#include <fmt/format.h>

namespace jq::sql::mysql {

namespace {

using server::StatementReply;

// The job's statement, prepared on the server once and executed once, or
// once per row of a batch.
class Statement final : public server::ServerStatement
{
public:
  Statement(Connection& connection,
            const TranslatedSql& sql,
            const Limits& limits,
            const Interrupt& should_interrupt)
    : m_prepared(connection, sql.text, should_interrupt),
      m_sql(sql),
      m_limits(limits)
  {
  }

  void run(const Params& params,
           StatementReply& reply,
           const Interrupt& should_interrupt) override
  {
    BoundParams bound(m_sql, params, m_limits);
    // The server and jq must read the same `?`s (an executable comment,
    // /*! ... */, holds SQL for the server).
    if (m_prepared.parameter_count() != bound.all().size()) {
      throw JobError(fmt::format(
        "the server reads {} placeholder(s) in the statement where jq-worker "
        "reads {} (a ? in an executable comment /*! */?)",
        m_prepared.parameter_count(),
        bound.all().size()));
    }
    Execution done =
      m_prepared.execute(bound.binds(), should_interrupt, [&](ResultSet& row) {
        reply.rows.push_back(row.read_row(reply.budget));
      });
    reply.columns = std::move(done.columns);
    // MariaDB's INSERT, DELETE and REPLACE ... RETURNING give a row for
    // each row they changed.
    const std::string& word = m_sql.first_word;
    const bool is_returning =
      !reply.columns.empty()
      && (word == "insert" || word == "delete" || word == "replace");
    reply.changes += is_returning ? done.rows : done.changes;
    if (done.insert_id != 0) {
      reply.last_insert_rowid = done.insert_id;
    }
  }

private:
  PreparedStatement m_prepared;
  const TranslatedSql& m_sql;
  const Limits& m_limits;
};

// A connection and the ledger of its database, and the job's transaction
// on it.
class Link final : public server::ConnectionAndLedger<Connection, Ledger>
{
public:
  Link(const DatabaseSpec& spec,
       const ConnectParams& params,
       const Interrupt& should_interrupt)
    : ConnectionAndLedger(spec, params, should_interrupt)
  {
  }

  void begin(bool read_only, const Interrupt& should_interrupt) override
  {
    m_connection.execute(read_only ? "START TRANSACTION READ ONLY"
                                   : "START TRANSACTION",
                         should_interrupt);
  }

  void commit(const Interrupt& should_interrupt) override
  {
    m_connection.execute("COMMIT", should_interrupt);
  }

  bool in_transaction() const noexcept override
  {
    return m_connection.in_transaction();
  }

  void reset_session(const Interrupt& give_up) override
  {
    // Deallocated by the reset.
    m_ledger.forget_statements();
    m_connection.reset_session(give_up);
  }

  std::unique_ptr<server::ServerStatement>
  statement(const TranslatedSql& sql,
            const Limits& limits,
            const Interrupt& should_interrupt) override
  {
    return std::make_unique<Statement>(
      m_connection, sql, limits, should_interrupt);
  }
};

constexpr server::Dialect k_dialect{
  &translate_sql, &check_job_sql, &records_reply, true};

class MysqlDatabase final : public server::ServerDatabase
{
public:
  MysqlDatabase(DatabaseSpec spec, const EngineOptions& options)
    : ServerDatabase(std::move(spec), options, k_dialect),
      m_params(parse_url(this->spec()))
  {
    open_first_link();
  }

  std::unique_ptr<server::ServerLink>
  open_link(const Interrupt& should_interrupt) const override
  {
    return std::make_unique<Link>(spec(), m_params, should_interrupt);
  }

private:
  ConnectParams m_params;
};

} // namespace

std::shared_ptr<Database> open_database(const DatabaseSpec& spec,
                                        const EngineOptions& options)
{
  return std::make_shared<MysqlDatabase>(spec, options);
}

} // namespace jq::sql::mysql
