#include <jq/core/error.hpp>
#include <jq/sql/server/statement_rules.hpp>

#include <doctest/doctest.h>

#include <array>
#include <string>

using jq::sql::server::RefusedStatement;
using jq::sql::server::TranslatedSql;

namespace {

constexpr std::array<std::string_view, 2> k_ends = {"commit", "rollback"};
constexpr std::array<std::string_view, 1> k_to = {"to"};
constexpr std::array<std::string_view, 1> k_copy = {"copy"};
constexpr std::array<RefusedStatement, 2> k_refused = {{
  {k_ends, k_to, "each job is one transaction"},
  {k_copy},
}};

// The SqlError message for a statement of `first` and `second` words, or
// "" when it may be sent.
std::string
refusal(std::string_view sql, std::string first = "", std::string second = "")
{
  TranslatedSql translated;
  translated.first_word = std::move(first);
  translated.second_word = std::move(second);
  try {
    jq::sql::server::check_statement(sql, translated, k_refused, "42000");
  } catch (const jq::SqlError& e) {
    CHECK(e.sqlstate() == "42000");
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("server::check_statement")
{
  CHECK(refusal("select 1", "select") == "");
  CHECK(refusal("commit", "commit")
        == "COMMIT is not allowed in a job: each job is one transaction");
  CHECK(refusal("rollback", "rollback") != "");
  CHECK(refusal("rollback to a", "rollback", "to") == "");
  // A rule's second words allow that rule's statements only.
  CHECK(refusal("copy to x", "copy", "to") == "COPY is not allowed in a job");
  // The ledger, in any case, anywhere in the text.
  CHECK(refusal("select * from x._JQ_Ledger", "select")
        == "a job may not name _jq_ledger (jq-worker's ledger)");
  CHECK(refusal("-- _jq_ledger\nselect 1", "select") != "");
}

TEST_CASE("server::is_one_of")
{
  CHECK(jq::sql::server::is_one_of("copy", k_copy));
  CHECK_FALSE(jq::sql::server::is_one_of("cop", k_copy));
  CHECK_FALSE(jq::sql::server::is_one_of("", {}));
}
