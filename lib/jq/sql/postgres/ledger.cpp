#include "ledger.hpp"

#include <jq/core/clock.hpp>

#include <fmt/format.h>

#include <array>
#include <string_view>

namespace jq::sql::postgres {

namespace {

// How often the table is checked and pruned.
constexpr std::int64_t k_check_every_ms = 3'600'000;

constexpr Oid k_int8 = 20;
constexpr Oid k_text = 25;

constexpr const char* k_create_table =
  "CREATE TABLE IF NOT EXISTS _jq_ledger (job_key text PRIMARY KEY, "
  "reply text NOT NULL, created_ms bigint NOT NULL)";
constexpr const char* k_create_index =
  "CREATE INDEX IF NOT EXISTS _jq_ledger_created ON _jq_ledger (created_ms)";

bool is_state(const SqlError& error, std::string_view sqlstate)
{
  return error.sqlstate() == sqlstate;
}

} // namespace

bool Ledger::is_duplicate_key(const SqlError& error) const noexcept
{
  return is_state(error, "23505");
}

Ledger::Ledger(Connection& connection)
  : m_connection(connection)
{
}

void Ledger::prepare(const std::function<bool()>& should_interrupt)
{
  const std::int64_t now = now_ms();
  if (m_checked_at_ms != 0 && now - m_checked_at_ms < k_check_every_ms) {
    return;
  }
  const ResultPtr found = m_connection.run(
    "SELECT to_regclass('_jq_ledger') IS NOT NULL", should_interrupt);
  const bool exists = PQntuples(found.get()) == 1
                      && std::string_view(PQgetvalue(found.get(), 0, 0)) == "t";
  if (!exists) {
    try {
      m_connection.run(k_create_table, should_interrupt);
      m_connection.run(k_create_index, should_interrupt);
    } catch (const SqlError& e) {
      if (is_state(e, "42501")) {
        m_unavailable = e.what();
        m_checked_at_ms = now;
        return;
      }
      // Another worker made it at the same moment: it is there.
      if (!is_state(e, "23505") && !is_state(e, "42P07")) {
        throw;
      }
    }
  }
  m_unavailable.clear();

  // A bounded batch, so a backlog costs no job its time limit; a full
  // batch leaves the rest to the next write. A role that may not delete
  // (a table made ahead with fewer rights) keeps its rows.
  const std::string cutoff = fmt::format(
    "{}",
    now
      - std::chrono::duration_cast<std::chrono::milliseconds>(k_retention)
          .count());
  const std::array<const char*, 1> values = {cutoff.c_str()};
  const std::array<Oid, 1> types = {k_int8};
  Statement prune;
  prune.sql = "DELETE FROM _jq_ledger WHERE job_key IN (SELECT job_key FROM "
              "_jq_ledger WHERE created_ms < $1 LIMIT 1000)";
  prune.parameter_count = 1;
  prune.types = types.data();
  prune.values = values.data();
  try {
    const ResultPtr pruned = m_connection.run(prune, should_interrupt);
    if (std::string_view(PQcmdTuples(pruned.get())) != "1000") {
      m_checked_at_ms = now;
    }
  } catch (const SqlError& e) {
    if (!is_state(e, "42501")) {
      throw;
    }
    m_checked_at_ms = now;
  }
}

std::optional<std::string>
Ledger::lookup(const std::string& key,
               const std::function<bool()>& should_interrupt)
{
  if (!m_unavailable.empty()) {
    return std::nullopt;
  }
  const std::array<const char*, 1> values = {key.c_str()};
  Statement statement;
  statement.sql = "SELECT reply FROM _jq_ledger WHERE job_key = $1";
  statement.parameter_count = 1;
  statement.values = values.data();
  std::optional<std::string> reply;
  m_connection.run(statement, should_interrupt, [&](const PGresult& row) {
    reply.emplace(PQgetvalue(&row, 0, 0),
                  static_cast<std::size_t>(PQgetlength(&row, 0, 0)));
  });
  return reply;
}

void Ledger::record(const std::string& key,
                    std::string_view reply,
                    const std::function<bool()>& should_interrupt)
{
  if (!m_unavailable.empty()) {
    const ResultPtr wrote = m_connection.run(
      "SELECT pg_current_xact_id_if_assigned() IS NOT NULL", should_interrupt);
    if (std::string_view(PQgetvalue(wrote.get(), 0, 0)) == "t") {
      throw SqlError(
        fmt::format("the job wrote, but its reply cannot be recorded for "
                    "exactly-once: the _jq_ledger table is missing and "
                    "cannot be made ({}); create it ahead (README.md, "
                    "PostgreSQL)",
                    m_unavailable),
        "42501");
    }
    return;
  }
  const std::string reply_text(reply);
  const std::string created = fmt::format("{}", now_ms());
  const std::array<const char*, 3> values = {
    key.c_str(), reply_text.c_str(), created.c_str()};
  const std::array<Oid, 3> types = {k_text, k_text, k_int8};
  Statement statement;
  // Only a transaction that wrote has an id: a read leaves no record.
  statement.sql = "INSERT INTO _jq_ledger (job_key, reply, created_ms) "
                  "SELECT $1, $2, $3 WHERE "
                  "pg_current_xact_id_if_assigned() IS NOT NULL";
  statement.parameter_count = 3;
  statement.types = types.data();
  statement.values = values.data();
  m_connection.run(statement, should_interrupt);
}

} // namespace jq::sql::postgres
