#include "job_rules.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace jq::sql::postgres {

namespace {

constexpr std::string_view k_ledger_table = "_jq_ledger";
constexpr const char* k_insufficient_privilege = "42501";

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

} // namespace

void check_job_sql(std::string_view sql, const TranslatedSql& translated)
{
  if (contains_nocase(sql, k_ledger_table)) {
    throw SqlError(
      fmt::format("a job may not name {} (jq-worker's ledger)", k_ledger_table),
      k_insufficient_privilege);
  }
  static constexpr std::array<std::string_view, 7> k_transaction_words = {
    "begin", "start", "commit", "end", "abort", "rollback", "prepare"};
  const std::string& word = translated.first_word;
  const std::string& second = translated.second_word;
  // ROLLBACK TO [SAVEPOINT] stays inside the job's transaction.
  const bool is_rollback_to = word == "rollback" && second == "to";
  for (const auto refused : k_transaction_words) {
    if (word == refused && !is_rollback_to) {
      throw SqlError(
        fmt::format("{} is not allowed in a job: each job is one transaction",
                    upper(word)),
        k_insufficient_privilege);
    }
  }
  // Session settings would outlast the job on the worker's connection.
  if ((word == "set" && second != "local" && second != "transaction"
       && second != "constraints")
      || word == "reset" || word == "discard") {
    throw SqlError(fmt::format("{} is not allowed in a job: it would change "
                               "the worker's connection for later jobs (SET "
                               "LOCAL lasts for the job)",
                               upper(word)),
                   k_insufficient_privilege);
  }
  if (word == "copy" || word == "listen") {
    throw SqlError(fmt::format("{} is not allowed in a job", upper(word)),
                   k_insufficient_privilege);
  }
}

} // namespace jq::sql::postgres
