#pragma once

#include <jq/sql/sqlite/statement_cache.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jq::sql::sqlite {

class Connection;

// The table that makes writes exactly-once: a write job's reply is recorded
// under the job's key in the same transaction as the write, so a job
// delivered again (a worker killed after its commit, a job added again
// after Redis lost it) finds its reply there and writes nothing. Jobs may
// not touch it (see sandbox.hpp).
inline constexpr std::string_view k_ledger_table = "_jq_ledger";

// The ledger of one connection's database: creates the table when first
// needed, prunes rows older than k_retention now and then, and keeps its
// two statements prepared. Not thread-safe; declare it after its
// Connection, so its statements are finalized first.
class Ledger
{
public:
  explicit Ledger(Connection& connection);

  // Make the table and statements ready, and prune now and then; call
  // before the write's transaction begins (these commit on their own), then
  // lookup() and record() inside it. Throws SqlError when the table cannot
  // be used (e.g. someone gave it a trigger).
  void prepare();

  // The reply (JSON text) recorded under `key`, if any.
  std::optional<std::string> lookup(const std::string& key);

  // The reply recorded under `key`, looked up outside any transaction and
  // without making the table; std::nullopt when there is none or the
  // lookup fails. For a job that fails before it could run: it may have run
  // already (a table it made exists now).
  std::optional<std::string> recorded(const std::string& key) noexcept;

  // Record `reply` (JSON text) under `key`.
  void record(const std::string& key, std::string_view reply);

  // Rows older than this are pruned: a job is not delivered again later.
  static constexpr std::chrono::hours k_retention{24 * 7};

private:
  Connection& m_connection;
  StatementPtr m_lookup;
  StatementPtr m_record;
  StatementPtr m_prune;
  // When the table was last made sure of and pruned to the end; 0 until
  // it is known to exist.
  std::int64_t m_checked_at_ms = 0;
};

} // namespace jq::sql::sqlite
