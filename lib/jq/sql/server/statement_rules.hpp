#pragma once

#include <jq/sql/server/placeholder_scan.hpp>

#include <span>
#include <string>
#include <string_view>

namespace jq::sql::server {

// A kind of statement a job may not send to a server, known by its first
// words (each engine's job_rules.cpp has its list).
struct RefusedStatement
{
  // The first words, lower-case.
  std::span<const std::string_view> words;
  // Second words that make it allowed after all ("to": ROLLBACK TO a
  // savepoint stays inside the job's transaction).
  std::span<const std::string_view> unless_second = {};
  // Why, after "WORD is not allowed in a job: "; empty for no reason.
  std::string_view reason = {};
};

// Refuse a job's statement before it is sent: throws SqlError with
// `sqlstate`, naming the reason, when `sql` names `_jq_ledger` (checked
// case-insensitively: the worker's exactly-once record is not the jobs'),
// or when its first two words (`translated`'s) are one of `refused`.
void check_statement(std::string_view sql,
                     const TranslatedSql& translated,
                     std::span<const RefusedStatement> refused,
                     const char* sqlstate);

// `word` in capitals, as messages name statements.
std::string upper(std::string_view word);

// Whether `word` is one of `words`.
bool is_one_of(std::string_view word, std::span<const std::string_view> words);

} // namespace jq::sql::server
