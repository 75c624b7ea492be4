#pragma once

#include <jq/sql/mysql/connection.hpp>
#include <jq/sql/mysql/statement.hpp>
#include <jq/sql/server/link.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace jq::sql::mysql {

// The exactly-once ledger on a MySQL or MariaDB database: the `_jq_ledger`
// table (job_key VARCHAR(255) PRIMARY KEY, reply LONGTEXT, created_ms
// BIGINT; InnoDB) in the URL's database. A write job's reply is recorded in
// the job's own transaction; a job delivered again finds it and writes
// nothing. Two workers that run the same job at once both insert the key:
// the second waits for the first's commit, then fails on the primary key
// (ER_DUP_ENTRY), rolls back, and returns the recorded reply. The table is
// made when first needed if the account may (looked up first, so an
// account without CREATE works with a table made ahead of time); MySQL
// commits a CREATE TABLE at once, so that happens outside any job's
// transaction. Not thread-safe.
class Ledger final : public server::ServerLedger
{
public:
  explicit Ledger(Connection& connection);
  ~Ledger();
  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;

  // Make sure of the table and prune rows past k_retention, now and then;
  // call before the job's transaction begins (these commit on their own).
  // A table that cannot be made (no CREATE) is remembered, not thrown:
  // reads go on, and record() says why a write cannot.
  void prepare(const Interrupt& should_interrupt) override;

  // The reply recorded under `key`, if any (inside the job's transaction).
  std::optional<std::string> lookup(const std::string& key,
                                    const Interrupt& should_interrupt) override;

  // Record `reply` under `key`. Throws SqlError when the table could not
  // be made, and ServerError k_er_dup_entry when another delivery of the
  // job committed the key first.
  void record(const std::string& key,
              std::string_view reply,
              const Interrupt& should_interrupt) override;
  // A ServerError k_er_dup_entry.
  bool is_duplicate_key(const SqlError& error) const noexcept override;

  // The connection's session was reset, which deallocated the statements
  // prepared on it: they are prepared again when next needed.
  void forget_statements() noexcept;

  // The key as stored: itself when it is printable ASCII of at most 255
  // bytes, else its first bytes (non-ASCII as '?') and its SHA-1.
  static std::string stored_key(const std::string& key);

  // Rows older than this are pruned: a job is not delivered again later.
  static constexpr std::chrono::hours k_retention{24 * 7};

private:
  Connection& m_connection;
  // Prepared once per connection.
  std::unique_ptr<PreparedStatement> m_lookup;
  std::unique_ptr<PreparedStatement> m_record;
  // Why the table cannot be made (empty when it exists).
  std::string m_unavailable;
  // When the table was last made sure of and pruned; 0: not yet.
  std::int64_t m_checked_at_ms = 0;
};

} // namespace jq::sql::mysql
