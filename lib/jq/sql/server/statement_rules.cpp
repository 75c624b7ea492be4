#include "statement_rules.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <string>

namespace jq::sql::server {

namespace {

constexpr std::string_view k_ledger_table = "_jq_ledger";

bool contains_nocase(std::string_view text, std::string_view needle)
{
  const auto found = std::search(
    text.begin(), text.end(), needle.begin(), needle.end(), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a))
             == std::tolower(static_cast<unsigned char>(b));
    });
  return found != text.end();
}

} // namespace

std::string upper(std::string_view word)
{
  std::string out(word);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

bool is_one_of(std::string_view word, std::span<const std::string_view> words)
{
  return std::find(words.begin(), words.end(), word) != words.end();
}

void check_statement(std::string_view sql,
                     const TranslatedSql& translated,
                     std::span<const RefusedStatement> refused,
                     const char* sqlstate)
{
  const std::string& first_word = translated.first_word;
  if (contains_nocase(sql, k_ledger_table)) {
    throw SqlError(
      fmt::format("a job may not name {} (jq-worker's ledger)", k_ledger_table),
      sqlstate);
  }
  for (const RefusedStatement& rule : refused) {
    if (is_one_of(first_word, rule.words)
        && !is_one_of(translated.second_word, rule.unless_second)) {
      throw SqlError(fmt::format("{} is not allowed in a job{}{}",
                                 upper(first_word),
                                 rule.reason.empty() ? "" : ": ",
                                 rule.reason),
                     sqlstate);
    }
  }
}

} // namespace jq::sql::server
