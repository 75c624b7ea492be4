#include "job_rules.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace jq::sql::mysql {

namespace {

constexpr std::string_view k_ledger_table = "_jq_ledger";
// MySQL's SQLSTATE for a syntax error or an access violation.
constexpr const char* k_refused = "42000";

bool contains_nocase(std::string_view text, std::string_view needle)
{
  const auto found = std::search(
    text.begin(), text.end(), needle.begin(), needle.end(), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a))
             == std::tolower(static_cast<unsigned char>(b));
    });
  return found != text.end();
}

std::string upper(std::string_view word)
{
  std::string out(word);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

template<std::size_t N>
bool is_one_of(const std::string& word,
               const std::array<std::string_view, N>& words)
{
  return std::find(words.begin(), words.end(), word) != words.end();
}

} // namespace

void check_job_sql(std::string_view sql, const TranslatedSql& translated)
{
  if (contains_nocase(sql, k_ledger_table)) {
    throw SqlError(
      fmt::format("a job may not name {} (jq-worker's ledger)", k_ledger_table),
      k_refused);
  }
  const std::string& word = translated.first_word;
  const std::string& second = translated.second_word;
  static constexpr std::array<std::string_view, 5> k_transaction_words = {
    "begin", "start", "commit", "rollback", "xa"};
  // ROLLBACK TO [SAVEPOINT] stays inside the job's transaction (SAVEPOINT
  // and RELEASE SAVEPOINT too).
  const bool is_rollback_to = word == "rollback" && second == "to";
  if (is_one_of(word, k_transaction_words) && !is_rollback_to) {
    throw SqlError(
      fmt::format("{} is not allowed in a job: each job is one transaction",
                  upper(word)),
      k_refused);
  }
  static constexpr std::array<std::string_view, 21> k_committing_words = {
    "create", "alter",  "drop",    "rename",  "truncate",  "grant",  "revoke",
    "lock",   "unlock", "analyze", "check",   "optimize",  "repair", "cache",
    "load",   "flush",  "reset",   "install", "uninstall", "change", "purge"};
  if (is_one_of(word, k_committing_words) || word == "stop") {
    throw SqlError(
      fmt::format("{} is not allowed in a job: MySQL commits before and after "
                  "it, which would break the job's one transaction and its "
                  "exactly-once record (make tables ahead of time: README.md)",
                  upper(word)),
      k_refused);
  }
  static constexpr std::array<std::string_view, 6> k_session_words = {
    "use", "prepare", "execute", "deallocate", "handler", "set"};
  if (is_one_of(word, k_session_words)
      && !(word == "set" && second == "statement")) {
    throw SqlError(fmt::format("{} is not allowed in a job: it would change "
                               "the worker's connection for later jobs",
                               upper(word)),
                   k_refused);
  }
  if (word == "call") {
    throw SqlError("CALL is not allowed in a job: a procedure may commit, "
                   "or give more than one result",
                   k_refused);
  }
}

bool records_reply(const TranslatedSql& translated, std::uint64_t changes)
{
  static constexpr std::array<std::string_view, 9> k_read_words = {"select",
                                                                   "show",
                                                                   "explain",
                                                                   "describe",
                                                                   "desc",
                                                                   "help",
                                                                   "values",
                                                                   "table",
                                                                   "with"};
  return changes > 0 || !is_one_of(translated.first_word, k_read_words);
}

} // namespace jq::sql::mysql
