#include "job_rules.hpp"

#include <jq/sql/server/statement_rules.hpp>

#include <array>

namespace jq::sql::postgres {

namespace {

using server::RefusedStatement;

constexpr const char* k_insufficient_privilege = "42501";

constexpr std::string_view k_one_transaction = "each job is one transaction";
constexpr std::string_view k_later_jobs =
  "it would change the worker's connection for later jobs (SET LOCAL lasts "
  "for the job)";

constexpr std::array<std::string_view, 6> k_transaction_words = {
  "begin", "start", "commit", "end", "abort", "prepare"};
constexpr std::array<std::string_view, 1> k_rollback = {"rollback"};
// ROLLBACK TO [SAVEPOINT] stays inside the job's transaction.
constexpr std::array<std::string_view, 1> k_to = {"to"};
// Session settings would outlast the job on the worker's connection.
constexpr std::array<std::string_view, 1> k_set = {"set"};
constexpr std::array<std::string_view, 3> k_set_for_the_job = {
  "local", "transaction", "constraints"};
constexpr std::array<std::string_view, 2> k_session_words = {"reset",
                                                             "discard"};
constexpr std::array<std::string_view, 2> k_conversation_words = {"copy",
                                                                  "listen"};

constexpr std::array<RefusedStatement, 5> k_refused = {{
  {k_transaction_words, {}, k_one_transaction},
  {k_rollback, k_to, k_one_transaction},
  {k_set, k_set_for_the_job, k_later_jobs},
  {k_session_words, {}, k_later_jobs},
  {k_conversation_words},
}};

} // namespace

void check_job_sql(std::string_view sql, const TranslatedSql& translated)
{
  server::check_statement(sql, translated, k_refused, k_insufficient_privilege);
}

} // namespace jq::sql::postgres
