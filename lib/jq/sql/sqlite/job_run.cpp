#include "job_run.hpp"

#include <jq/core/error.hpp>
#include <jq/sql/reply_text.hpp>
#include <jq/sql/sqlite/bind.hpp>
#include <jq/sql/sqlite/result.hpp>

#include <fmt/format.h>

#include <sqlite3.h>

namespace jq::sql::sqlite {

using nlohmann::json;

std::optional<std::string> recorded_reply(Link& link, const RunOptions& options)
{
  if (options.idempotency_key.empty() || link.connection.is_read_only()) {
    return std::nullopt;
  }
  return link.ledger.recorded(options.idempotency_key);
}

sqlite3_stmt* job_statement(Connection& connection,
                            const Request& request,
                            StatementPtr& spare)
{
  if (spare) {
    return spare.get();
  }
  if (request.rows && request.rows->empty()) {
    // Only a step prepares a cached statement again after a schema change,
    // so one that will not be stepped (an empty batch) is prepared now, to
    // report today's columns and errors.
    spare = connection.prepare_job(request.sql);
    return spare.get();
  }
  return connection.job_statement(request.sql, spare);
}

std::string run_in_transaction(Link& link,
                               sqlite3_stmt* statement,
                               const Request& request,
                               const RunOptions& options,
                               const Limits& limits,
                               bool use_ledger)
{
  Connection& connection = link.connection;
  const ResetOnExit reset(statement);
  if (use_ledger) {
    // Under the write lock: a twin delivery that committed first is seen.
    if (auto recorded = link.ledger.lookup(options.idempotency_key)) {
      return std::move(*recorded);
    }
  }
  // The connection outlives jobs; without this a job that inserts nothing
  // would report the previous job's rowid.
  sqlite3_set_last_insert_rowid(connection.handle(), 0);

  json rows = json::array();
  ResultBudget budget(limits);
  std::int64_t changes = 0;
  if (request.rows) {
    const auto& batch = *request.rows;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      try {
        sqlite3_reset(statement);
        sqlite3_clear_bindings(statement);
        bind_params(statement, batch[i]);
        changes += step_all(connection, statement, rows, budget);
      } catch (const SqlError& e) {
        throw SqlError(fmt::format("row {}: {}", i + 1, e.what()),
                       e.code(),
                       e.extended_code());
      } catch (const JobError& e) {
        throw JobError(fmt::format("row {}: {}", i + 1, e.what()));
      }
    }
  } else {
    bind_params(statement, request.params);
    changes = step_all(connection, statement, rows, budget);
  }

  // Read after stepping: a step may have prepared the statement again (the
  // schema changed), and the columns with it.
  std::string reply = reply_text(changes,
                                 column_names(statement),
                                 sqlite3_last_insert_rowid(connection.handle()),
                                 rows,
                                 budget.non_finite(),
                                 "Infinity or -Infinity");
  if (use_ledger) {
    link.ledger.record(options.idempotency_key, reply);
  }
  // Before the commit: a statement not reset holds its read open.
  sqlite3_reset(statement);
  return reply;
}

std::string run_on(Link& link,
                   const Request& request,
                   const RunOptions& options,
                   const Limits& limits,
                   StatementPtr prepared)
{
  Connection& connection = link.connection;
  std::optional<InterruptScope> interrupt;
  interrupt.emplace(connection, options.should_interrupt);

  // Declared first so a statement the cache did not keep is finalized
  // last, after the reset and the rollback below.
  StatementPtr spare = std::move(prepared);
  sqlite3_stmt* statement = nullptr;
  try {
    statement = job_statement(connection, request, spare);
  } catch (const JobError&) {
    if (auto recorded = recorded_reply(link, options)) {
      return std::move(*recorded);
    }
    throw;
  }
  const bool is_read_only =
    connection.is_read_only() || sqlite3_stmt_readonly(statement) != 0;
  const bool use_ledger = !is_read_only && !options.idempotency_key.empty();

  if (use_ledger) {
    link.ledger.prepare();
  }
  // One statement run once is a transaction of its own; anything more gets
  // an explicit one. A write takes the write lock up front: upgrading a
  // deferred read transaction can fail with SQLITE_BUSY without waiting.
  std::optional<Transaction> transaction;
  if (!is_read_only || request.rows) {
    transaction.emplace(connection, !is_read_only);
  }
  std::string reply =
    run_in_transaction(link, statement, request, options, limits, use_ledger);
  if (transaction) {
    // A COMMIT either happens or not: only its wait for a lock may be cut
    // short (see InterruptReach).
    interrupt.reset();
    const InterruptScope wait(
      connection, options.should_interrupt, InterruptReach::waits_only);
    transaction->commit();
  }
  return reply;
}

} // namespace jq::sql::sqlite
