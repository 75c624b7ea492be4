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
  // Always `main.`: a TEMP table of the same name would otherwise hide it
  // (jobs may not make one, but the rule costs nothing here).
  const StatementPtr create =
    m_connection.prepare_own("CREATE TABLE IF NOT EXISTS main._jq_ledger ("
                             "job_key TEXT PRIMARY KEY, reply TEXT NOT NULL, "
                             "created_ms INTEGER NOT NULL) WITHOUT ROWID");
  m_connection.run_own(create.get());

  // A trigger on the ledger would run with the ledger's trust. Jobs cannot
  // make one; one made by hand stops every write until it is dropped.
  const StatementPtr trigger = m_connection.prepare_own(
    "SELECT name FROM main.sqlite_master WHERE type = 'trigger' "
    "AND tbl_name = '_jq_ledger' COLLATE NOCASE LIMIT 1");
  {
    const FlagScope trusted(m_connection.sandbox().is_trusted);
    const ResetOnExit reset(trigger.get());
    if (sqlite3_step(trigger.get()) == SQLITE_ROW) {
      throw SqlError(fmt::format("the ledger table {} has a trigger ({}); "
                                 "jq-worker refuses writes until it is "
                                 "dropped",
                                 k_ledger_table,
                                 column_bytes(trigger.get(), 0)),
                     SQLITE_AUTH,
                     SQLITE_AUTH);
    }
  }

  const StatementPtr prune = m_connection.prepare_own(
    "DELETE FROM main._jq_ledger WHERE created_ms < ?");
  check_bind(
    m_connection,
    sqlite3_bind_int64(
      prune.get(),
      1,
      now
        - std::chrono::duration_cast<std::chrono::milliseconds>(k_retention)
            .count()));
  m_connection.run_own(prune.get());

  if (!m_lookup || !m_record) {
    // Both or neither.
    auto lookup = m_connection.prepare_own(
      "SELECT reply FROM main._jq_ledger WHERE job_key = ?");
    auto record = m_connection.prepare_own(
      "INSERT INTO main._jq_ledger (job_key, reply, created_ms) "
      "VALUES (?, ?, ?)");
    m_lookup = std::move(lookup);
    m_record = std::move(record);
  }
  m_checked_at_ms = now;
}

std::optional<std::string> Ledger::lookup(const std::string& key)
{
  sqlite3_stmt* lookup = m_lookup.get();
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
  return std::string(column_bytes(lookup, 0));
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
