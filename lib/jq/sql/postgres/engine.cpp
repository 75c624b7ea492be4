#include "engine.hpp"

#include <jq/core/error.hpp>
#include <jq/sql/postgres/connection.hpp>
#include <jq/sql/postgres/job_rules.hpp>
#include <jq/sql/postgres/ledger.hpp>
#include <jq/sql/postgres/parameters.hpp>
#include <jq/sql/postgres/placeholders.hpp>
#include <jq/sql/postgres/result.hpp>
#include <jq/sql/server/database.hpp>

#include <fmt/format.h>

namespace jq::sql::postgres {

namespace {

using server::Interrupt;
using server::StatementReply;

// The job's statement: sent with its parameters each time it runs
// (PQsendQueryParams), its rows read one at a time.
class Statement final : public server::ServerStatement
{
public:
  Statement(Connection& connection,
            const TranslatedSql& sql,
            const Limits& limits)
    : m_connection(connection),
      m_sql(sql),
      m_limits(limits)
  {
  }

  void run(const Params& params,
           StatementReply& reply,
           const Interrupt& should_interrupt) override
  {
    const BoundParams bound(m_sql, params, m_limits);
    const ResultPtr last = m_connection.run(
      bound.statement(m_sql), should_interrupt, [&](const PGresult& row) {
        append_row(row, reply.rows, reply.budget);
      });
    reply.columns = column_names(*last);
    reply.changes += static_cast<std::uint64_t>(changed_rows(*last));
  }

private:
  Connection& m_connection;
  const TranslatedSql& m_sql;
  const Limits& m_limits;
};

// A connection and the ledger of its database, and the job's transaction
// on it.
class Link final : public server::ConnectionAndLedger<Connection, Ledger>
{
public:
  Link(const DatabaseSpec& spec, const Interrupt& should_interrupt)
    : ConnectionAndLedger(spec, should_interrupt)
  {
  }

  void begin(bool read_only, const Interrupt& should_interrupt) override
  {
    m_connection.run(read_only ? "BEGIN READ ONLY" : "BEGIN", should_interrupt);
  }

  void commit(const Interrupt& should_interrupt) override
  {
    const ResultPtr done = m_connection.run("COMMIT", should_interrupt);
    // A transaction that failed inside answers COMMIT with ROLLBACK.
    if (std::string_view(PQcmdStatus(done.get())) != "COMMIT") {
      throw SqlError("the transaction was rolled back at its COMMIT", "40000");
    }
  }

  bool in_transaction() const noexcept override
  {
    return m_connection.transaction_status() == PQTRANS_INTRANS;
  }

  void reset_session(const Interrupt& give_up) override
  {
    m_connection.reset_session(give_up);
  }

  std::unique_ptr<server::ServerStatement>
  statement(const TranslatedSql& sql,
            const Limits& limits,
            const Interrupt& /*should_interrupt*/) override
  {
    return std::make_unique<Statement>(m_connection, sql, limits);
  }
};

constexpr server::Dialect k_dialect{&translate_sql, &check_job_sql};

class PostgresDatabase final : public server::ServerDatabase
{
public:
  PostgresDatabase(DatabaseSpec spec, const EngineOptions& options)
    : ServerDatabase(std::move(spec), options, k_dialect)
  {
    check_url();
    open_first_link();
  }

  std::unique_ptr<server::ServerLink>
  open_link(const Interrupt& should_interrupt) const override
  {
    return std::make_unique<Link>(spec(), should_interrupt);
  }

private:
  // A URL libpq cannot read is a usage error at start-up.
  void check_url() const
  {
    char* error = nullptr;
    PQconninfoOption* options = PQconninfoParse(spec().url.c_str(), &error);
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
      "invalid database {}: {}", spec().redacted(), spec().scrub(reason)));
  }
};

} // namespace

std::shared_ptr<Database> open_database(const DatabaseSpec& spec,
                                        const EngineOptions& options)
{
  return std::make_shared<PostgresDatabase>(spec, options);
}

} // namespace jq::sql::postgres
