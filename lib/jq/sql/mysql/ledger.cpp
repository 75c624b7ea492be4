#include "ledger.hpp"

#include <jq/core/clock.hpp>
#include <jq/core/sha1.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>

namespace jq::sql::mysql {

namespace {

// How often the table is checked and pruned.
constexpr std::int64_t k_check_every_ms = 3'600'000;
constexpr std::size_t k_max_key = 255;

// The key is ASCII (stored_key), compared byte for byte.
constexpr std::string_view k_create_table =
  "CREATE TABLE IF NOT EXISTS _jq_ledger (job_key VARCHAR(255) CHARACTER "
  "SET ascii COLLATE ascii_bin PRIMARY KEY, reply LONGTEXT NOT NULL, "
  "created_ms BIGINT NOT NULL, KEY _jq_ledger_created (created_ms)) "
  "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4";

// Access denied: to the database (1044), to a command on a table (1142).
bool is_denied(unsigned int number)
{
  return number == 1044 || number == 1142;
}

MYSQL_BIND text_bind(const std::string& text, unsigned long& length)
{
  MYSQL_BIND bind{};
  length = static_cast<unsigned long>(text.size());
  bind.buffer_type = MYSQL_TYPE_STRING;
  bind.buffer = const_cast<char*>(text.data()); // only read
  bind.buffer_length = length;
  bind.length = &length;
  return bind;
}

MYSQL_BIND integer_bind(std::int64_t& value)
{
  MYSQL_BIND bind{};
  bind.buffer_type = MYSQL_TYPE_LONGLONG;
  bind.buffer = &value;
  return bind;
}

} // namespace

Ledger::Ledger(Connection& connection)
  : m_connection(connection)
{
}

Ledger::~Ledger() = default;

std::string Ledger::stored_key(const std::string& key)
{
  const bool is_plain =
    key.size() <= k_max_key && std::all_of(key.begin(), key.end(), [](char c) {
      return c >= 0x20 && c <= 0x7e;
    });
  if (is_plain) {
    return key;
  }
  std::string prefix = key.substr(0, k_max_key - 41);
  for (char& c : prefix) {
    if (c < 0x20 || c > 0x7e) {
      c = '?';
    }
  }
  return fmt::format("{}#{}", prefix, sha1_hex(key));
}

bool Ledger::is_duplicate_key(const SqlError& error) const noexcept
{
  const auto* server_error = dynamic_cast<const ServerError*>(&error);
  return server_error != nullptr && server_error->number() == k_er_dup_entry;
}

void Ledger::forget_statements() noexcept
{
  m_lookup.reset();
  m_record.reset();
}

void Ledger::prepare(const Interrupt& should_interrupt)
{
  const std::int64_t now = now_ms();
  if (m_checked_at_ms != 0 && now - m_checked_at_ms < k_check_every_ms) {
    return;
  }
  bool exists = false;
  {
    PreparedStatement found(
      m_connection,
      "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
      "DATABASE() AND table_name = '_jq_ledger'",
      should_interrupt);
    Limits limits;
    ResultBudget budget(limits);
    found.execute(nullptr, should_interrupt, [&](ResultSet& row) {
      exists = row.read_row(budget)[0] != 0;
    });
  }
  if (!exists) {
    try {
      m_connection.execute(k_create_table, should_interrupt);
    } catch (const ServerError& e) {
      if (!is_denied(e.number())) {
        throw;
      }
      m_unavailable = e.what();
      m_checked_at_ms = now;
      return;
    }
  }
  m_unavailable.clear();

  // A bounded batch, so a backlog costs no job its time limit; a full
  // batch leaves the rest to the next write. An account that may not
  // delete (a table made ahead with fewer rights) keeps its rows.
  std::int64_t cutoff =
    now
    - std::chrono::duration_cast<std::chrono::milliseconds>(k_retention)
        .count();
  std::array<MYSQL_BIND, 1> binds = {integer_bind(cutoff)};
  try {
    PreparedStatement prune(
      m_connection,
      "DELETE FROM _jq_ledger WHERE created_ms < ? LIMIT 1000",
      should_interrupt);
    const Execution done = prune.execute(binds.data(), should_interrupt, {});
    if (done.changes < 1000) {
      m_checked_at_ms = now;
    }
  } catch (const ServerError& e) {
    if (!is_denied(e.number())) {
      throw;
    }
    m_checked_at_ms = now;
  }
}

std::optional<std::string> Ledger::lookup(const std::string& key,
                                          const Interrupt& should_interrupt)
{
  if (!m_unavailable.empty()) {
    return std::nullopt;
  }
  if (!m_lookup) {
    m_lookup = std::make_unique<PreparedStatement>(
      m_connection,
      "SELECT reply FROM _jq_ledger WHERE job_key = ?",
      should_interrupt);
  }
  const std::string stored = stored_key(key);
  unsigned long length = 0;
  std::array<MYSQL_BIND, 1> binds = {text_bind(stored, length)};
  std::optional<std::string> reply;
  Limits limits;
  limits.max_result_bytes = std::numeric_limits<std::size_t>::max();
  ResultBudget budget(limits);
  m_lookup->execute(binds.data(), should_interrupt, [&](ResultSet& row) {
    reply = row.read_row(budget)[0].get<std::string>();
  });
  return reply;
}

void Ledger::record(const std::string& key,
                    std::string_view reply,
                    const Interrupt& should_interrupt)
{
  if (!m_unavailable.empty()) {
    throw SqlError(
      fmt::format("the job wrote, but its reply cannot be recorded for "
                  "exactly-once: the _jq_ledger table is missing and cannot "
                  "be made ({}); create it ahead (README.md, MySQL)",
                  m_unavailable),
      "42000");
  }
  if (!m_record) {
    m_record = std::make_unique<PreparedStatement>(
      m_connection,
      "INSERT INTO _jq_ledger (job_key, reply, created_ms) VALUES (?, ?, ?)",
      should_interrupt);
  }
  const std::string stored = stored_key(key);
  const std::string reply_text(reply);
  std::int64_t created = now_ms();
  unsigned long key_length = 0;
  unsigned long reply_length = 0;
  std::array<MYSQL_BIND, 3> binds = {text_bind(stored, key_length),
                                     text_bind(reply_text, reply_length),
                                     integer_bind(created)};
  m_record->execute(binds.data(), should_interrupt, {});
}

} // namespace jq::sql::mysql
