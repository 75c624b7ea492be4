#pragma once

#include <jq/core/error.hpp>
#include <jq/sql/budget.hpp>
#include <jq/sql/server/placeholder_scan.hpp>
#include <jq/sql/server/waiting.hpp>
#include <jq/sql/value.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace jq::sql::server {

// What a job's statement gives for its reply, added up over the rows of a
// batch.
struct StatementReply
{
  explicit StatementReply(const Limits& limits)
    : budget(limits)
  {
  }

  nlohmann::json columns = nlohmann::json::array();
  nlohmann::json rows = nlohmann::json::array();
  std::uint64_t changes = 0;
  // The id the job's last insert made (MySQL), or null (see Dialect).
  nlohmann::json last_insert_rowid;
  // What the rows used of the job's limits: each value is charged here
  // before it is added.
  ResultBudget budget;
};

// A job's statement, ready to run on a connection (MySQL prepares it on
// the server); run once, or once per row of a batch.
class ServerStatement
{
public:
  virtual ~ServerStatement() = default;

  // Run with `params` (the job's, or one row of its batch), adding to
  // `reply` what it gave. Throws JobError (bad parameters, a limit) or
  // SqlError.
  virtual void run(const Params& params,
                   StatementReply& reply,
                   const Interrupt& should_interrupt) = 0;
};

// The exactly-once ledger of a database on a server, on one connection:
// made ready before the job's transaction (outside it), then looked up and
// written in it. Each engine's ledger.hpp has one.
class ServerLedger
{
public:
  virtual ~ServerLedger() = default;

  // Make sure of the table, and prune it now and then; before the job's
  // transaction begins.
  virtual void prepare(const Interrupt& should_interrupt) = 0;
  // The reply recorded under `key`, if any.
  virtual std::optional<std::string>
  lookup(const std::string& key, const Interrupt& should_interrupt) = 0;
  // Record `reply` under `key`. Throws SqlError, which is_duplicate_key()
  // tells when another delivery of the job recorded the key first.
  virtual void record(const std::string& key,
                      std::string_view reply,
                      const Interrupt& should_interrupt) = 0;
  virtual bool is_duplicate_key(const SqlError& error) const noexcept = 0;
};

// One connection to a database server, with the ledger of its database:
// what the shared job flow (job.hpp) asks of an engine. Each engine's
// engine.cpp has one on its own connection. Not thread-safe.
class ServerLink
{
public:
  virtual ~ServerLink() = default;

  // Whether the connection is lost and must be opened again.
  virtual bool is_lost() const noexcept = 0;

  // Begin the job's transaction (read-only when asked).
  virtual void begin(bool read_only, const Interrupt& should_interrupt) = 0;
  // Commit it. Throws SqlError when it could not, or the server rolled it
  // back instead.
  virtual void commit(const Interrupt& should_interrupt) = 0;
  // Roll back what is open; a connection that cannot is marked lost.
  virtual void rollback() noexcept = 0;
  // Whether the job's transaction is still open.
  virtual bool in_transaction() const noexcept = 0;
  // Undo what the job may have left on the connection's session for the
  // jobs after it (settings, locks no COMMIT releases, temporary tables,
  // variables), once its transaction is over; `give_up` stops it. Throws
  // SqlError (run_job() then closes the connection).
  virtual void reset_session(const Interrupt& give_up) = 0;
  // Close the connection now, so that the server lets go of what its
  // session held, and mark it lost.
  virtual void close() noexcept = 0;

  // `sql`, ready to run. Called before the transaction begins, so that a
  // statement the server refuses costs it nothing (and for a batch row of
  // another kind of parameters, in it). Throws SqlError.
  virtual std::unique_ptr<ServerStatement>
  statement(const TranslatedSql& sql,
            const Limits& limits,
            const Interrupt& should_interrupt) = 0;

  virtual ServerLedger& ledger() noexcept = 0;
};

// A connection and the ledger of its database, declared in that order,
// as each engine's link holds them: what a ServerLink only passes on to
// them. `Connection` has is_lost(), rollback() and close(); `Ledger` is a
// ServerLedger made on the connection.
template<class Connection, class Ledger>
class ConnectionAndLedger : public ServerLink
{
public:
  bool is_lost() const noexcept override
  {
    return m_connection.is_lost();
  }
  void rollback() noexcept override
  {
    m_connection.rollback();
  }
  void close() noexcept override
  {
    m_connection.close();
  }
  ServerLedger& ledger() noexcept override
  {
    return m_ledger;
  }

protected:
  // Connect with `args`; throws what the connection's constructor throws.
  template<class... Args>
  explicit ConnectionAndLedger(Args&&... args)
    : m_connection(std::forward<Args>(args)...),
      m_ledger(m_connection)
  {
  }

  Connection m_connection;
  Ledger m_ledger;
};

} // namespace jq::sql::server
