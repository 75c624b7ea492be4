#include "ledger.hpp"

#include <jq/core/clock.hpp>
#include <jq/sql/sqlite/connection.hpp>
#include <jq/sql/sqlite/result.hpp>

#include <fmt/format.h>

#include <sqlite3.h>

namespace jq::sql::sqlite {

namespace {

// How often the table is checked and pruned.
constexpr std::int64_t k_check_every_ms = 3'600'000;

// A failed bind of the ledger's own value fails the job (it would
// otherwise bind NULL).
void check_bind(Connection& connection, int rc)
{
  if (rc != SQLITE_OK) {
    throw connection.last_error();
  }
}

void bind_text(Connection& connection,
               sqlite3_stmt* statement,
               int index,
               std::string_view text)
{
  check_bind(
    connection,
    sqlite3_bind_text64(
      statement, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8));
}

} // namespace

Ledger::Ledger(Connection& connection)
  : m_connection(connection)
{
}

void Ledger::prepare()
{
  const std::int64_t now = now_ms();
  if (m_checked_at_ms != 0 && now - m_checked_at_ms < k_check_every_ms) {
    return;
  }
  // Each statement commits on its own, before the job's transaction: a job
  // that fails must not take the table, or a prune, down with it.
  // Always `main.`: a TEMP table of the same name would otherwise hide it
  // (jobs may not make one, but the rule costs nothing here).
  for (const char* sql : {"CREATE TABLE IF NOT EXISTS main._jq_ledger ("
                          "job_key TEXT PRIMARY KEY, reply TEXT NOT NULL, "
                          "created_ms INTEGER NOT NULL) WITHOUT ROWID",
                          "CREATE INDEX IF NOT EXISTS main._jq_ledger_created "
                          "ON _jq_ledger (created_ms)"}) {
    const StatementPtr create = m_connection.prepare_own(sql);
    m_connection.run_own(create.get());
  }
  if (!m_lookup || !m_record) {
    // Both or neither. A trigger on the table makes the second fail (see
    // the authorizer), and so every write, until it is dropped.
    auto lookup = m_connection.prepare_own(
      "SELECT reply FROM main._jq_ledger WHERE job_key = ?");
    auto record = m_connection.prepare_own(
      "INSERT INTO main._jq_ledger (job_key, reply, created_ms) "
      "VALUES (?, ?, ?)");
    m_lookup = std::move(lookup);
    m_record = std::move(record);
  }

  // A bounded batch, so a backlog costs no job its time limit; a full batch
  // leaves the rest to the next write.
  if (!m_prune) {
    m_prune = m_connection.prepare_own(
      "DELETE FROM main._jq_ledger WHERE job_key IN (SELECT job_key FROM "
      "main._jq_ledger WHERE created_ms < ? LIMIT 1000)");
  }
  check_bind(
    m_connection,
    sqlite3_bind_int64(
      m_prune.get(),
      1,
      now
        - std::chrono::duration_cast<std::chrono::milliseconds>(k_retention)
            .count()));
  m_connection.run_own(m_prune.get());
  if (sqlite3_changes64(m_connection.handle()) < 1000) {
    m_checked_at_ms = now;
  }
}

std::optional<std::string> Ledger::recorded(const std::string& key) noexcept
{
  try {
    if (!m_lookup) {
      // No statement yet: the table may not exist, and is not made here.
      m_lookup = m_connection.prepare_own(
        "SELECT reply FROM main._jq_ledger WHERE job_key = ?");
    }
    return lookup(key);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<std::string> Ledger::lookup(const std::string& key)
{
  sqlite3_stmt* lookup = m_lookup.get();
  m_connection.sandbox().denied.clear();
  const FlagScope trusted(m_connection.sandbox().is_trusted);
  const ResetOnExit reset(lookup);
  bind_text(m_connection, lookup, 1, key);
  const int rc = sqlite3_step(lookup);
  if (rc == SQLITE_DONE) {
    return std::nullopt;
  }
  if (rc != SQLITE_ROW) {
    throw m_connection.last_error();
  }
  return std::string(column_text(lookup, 0));
}

void Ledger::record(const std::string& key, std::string_view reply)
{
  sqlite3_stmt* record = m_record.get();
  const ResetOnExit reset(record);
  bind_text(m_connection, record, 1, key);
  bind_text(m_connection, record, 2, reply);
  check_bind(m_connection, sqlite3_bind_int64(record, 3, now_ms()));
  m_connection.run_own(record);
}

} // namespace jq::sql::sqlite
