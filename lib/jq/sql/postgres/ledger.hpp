#pragma once

#include <jq/sql/postgres/connection.hpp>
#include <jq/sql/server/link.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace jq::sql::postgres {

// The exactly-once ledger on a PostgreSQL database: the same `_jq_ledger`
// table as SQLite's (job_key text PRIMARY KEY, reply text, created_ms
// bigint), in the connection's first schema on its search_path. A write
// job's reply is recorded in the job's own transaction; a job delivered
// again finds it and writes nothing. Two workers that run the same job at
// once both insert the key: the second waits for the first's commit, then
// fails on the primary key, rolls back, and returns the recorded reply.
// The table is made when first needed if the role may (it is looked up
// first, so a role without CREATE works with a table made ahead of time).
// Not thread-safe.
class Ledger final : public server::ServerLedger
{
public:
  explicit Ledger(Connection& connection);

  // Make sure of the table and prune rows past k_retention, now and then;
  // call before the job's transaction begins (these commit on their own).
  // A table that cannot be made (no CREATE on the schema) is remembered,
  // not thrown: reads go on, and record() says why a write cannot.
  void prepare(const std::function<bool()>& should_interrupt) override;

  // The reply recorded under `key`, if any (inside the job's transaction).
  std::optional<std::string>
  lookup(const std::string& key,
         const std::function<bool()>& should_interrupt) override;

  // Record `reply` under `key` if the running transaction wrote anything
  // (has a transaction id). Throws SqlError when it did and the table
  // could not be made, and SqlError with SQLSTATE 23505 when another
  // delivery of the job committed the key first.
  void record(const std::string& key,
              std::string_view reply,
              const std::function<bool()>& should_interrupt) override;
  // SQLSTATE 23505 (unique_violation).
  bool is_duplicate_key(const SqlError& error) const noexcept override;

  // Rows older than this are pruned: a job is not delivered again later.
  static constexpr std::chrono::hours k_retention{24 * 7};

private:
  Connection& m_connection;
  // Why the table cannot be made (empty when it exists).
  std::string m_unavailable;
  // When the table was last made sure of and pruned; 0: not yet.
  std::int64_t m_checked_at_ms = 0;
};

} // namespace jq::sql::postgres
