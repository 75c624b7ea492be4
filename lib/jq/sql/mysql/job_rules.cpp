#include "job_rules.hpp"

#include <jq/core/error.hpp>
#include <jq/sql/server/statement_rules.hpp>

#include <fmt/format.h>

#include <array>

namespace jq::sql::mysql {

namespace {

using server::RefusedStatement;

// MySQL's SQLSTATE for a syntax error or an access violation.
constexpr const char* k_refused_state = "42000";

constexpr std::string_view k_one_transaction = "each job is one transaction";

constexpr std::array<std::string_view, 4> k_transaction_words = {
  "begin", "start", "commit", "xa"};
constexpr std::array<std::string_view, 1> k_rollback = {"rollback"};
// ROLLBACK TO [SAVEPOINT] stays inside the job's transaction (SAVEPOINT
// and RELEASE SAVEPOINT too).
constexpr std::array<std::string_view, 1> k_to = {"to"};
constexpr std::array<std::string_view, 22> k_committing_words = {
  "create",    "alter",  "drop",   "rename",  "truncate", "grant",
  "revoke",    "lock",   "unlock", "analyze", "check",    "optimize",
  "repair",    "cache",  "load",   "flush",   "reset",    "install",
  "uninstall", "change", "purge",  "stop"};
constexpr std::array<std::string_view, 5> k_session_words = {
  "use", "prepare", "execute", "deallocate", "handler"};
constexpr std::array<std::string_view, 1> k_set = {"set"};
constexpr std::string_view k_later_jobs =
  "it would change the worker's connection for later jobs";
constexpr std::array<std::string_view, 1> k_call = {"call"};

constexpr std::array<RefusedStatement, 6> k_refused = {{
  {k_transaction_words, {}, k_one_transaction},
  {k_rollback, k_to, k_one_transaction},
  {k_committing_words,
   {},
   "MySQL commits before and after it, which would break the job's one "
   "transaction and its exactly-once record (make tables ahead of time: "
   "README.md)"},
  {k_session_words, {}, k_later_jobs},
  {k_set, {}, k_later_jobs},
  {k_call, {}, "a procedure may commit, or give more than one result"},
}};

constexpr std::array<std::string_view, 9> k_read_words = {"select",
                                                          "show",
                                                          "explain",
                                                          "describe",
                                                          "desc",
                                                          "help",
                                                          "values",
                                                          "table",
                                                          "with"};

// What a job may send: its first word must be one of these. The refusals
// above say why for the statements one would try; this list keeps out the
// rest (KILL, SHUTDOWN, BINLOG, ...), and what a later MySQL adds.
constexpr std::array<std::string_view, 17> k_job_words = {"select",
                                                          "insert",
                                                          "update",
                                                          "delete",
                                                          "replace",
                                                          "with",
                                                          "values",
                                                          "table",
                                                          "show",
                                                          "explain",
                                                          "describe",
                                                          "desc",
                                                          "help",
                                                          "do",
                                                          "savepoint",
                                                          "release",
                                                          "rollback"};

} // namespace

void check_job_sql(std::string_view sql, const TranslatedSql& translated)
{
  if (sql.find('\0') != std::string_view::npos) {
    throw JobError("the job's SQL has a NUL byte in it");
  }
  if (translated.first_word == "set" && translated.second_word == "statement") {
    // What follows its FOR may be any statement, DDL or a SET included.
    throw SqlError("SET STATEMENT is not allowed in a job: it may hold any "
                   "statement (--job-timeout limits a job's time)",
                   k_refused_state);
  }
  server::check_statement(sql, translated, k_refused, k_refused_state);
  if (!translated.first_word.empty()
      && !server::is_one_of(translated.first_word, k_job_words)) {
    throw SqlError(
      fmt::format("{} is not allowed in a job: a job runs one SELECT, "
                  "INSERT, UPDATE, DELETE, REPLACE, WITH, VALUES, TABLE, "
                  "SHOW, EXPLAIN, DESCRIBE, HELP or DO statement (and "
                  "SAVEPOINT, RELEASE SAVEPOINT, ROLLBACK TO within it)",
                  server::upper(translated.first_word)),
      k_refused_state);
  }
}

bool records_reply(const TranslatedSql& translated, std::uint64_t changes)
{
  return changes > 0 || !server::is_one_of(translated.first_word, k_read_words);
}

} // namespace jq::sql::mysql
