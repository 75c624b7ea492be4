#include "server_sql_checks.hpp"

#include <jq/core/error.hpp>
#include <jq/sql/postgres/job_rules.hpp>
#include <jq/sql/postgres/parameters.hpp>
#include <jq/sql/postgres/placeholders.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using jq::sql::Params;
using jq::sql::postgres::translate_sql;

namespace {

constexpr auto k_positional = Params::Kind::positional;
constexpr auto k_named = Params::Kind::named;

using Sql = jq::test::ServerSql<&translate_sql, jq::sql::postgres::BoundParams>;
constexpr auto positional = &Sql::positional;
constexpr auto named = &Sql::named;
constexpr auto translate_error = &Sql::translate_error;
constexpr auto bind_error = &Sql::bind_error;
using jq::test::positional_params;

} // namespace

TEST_CASE("postgres::translate_sql: positional parameters")
{
  CHECK(positional("select ?, ?") == "select $1, $2");
  CHECK(translate_sql("select ?, ?", k_positional).parameter_count == 2);
  CHECK(positional("select $1, $2") == "select $1, $2");
  CHECK(translate_sql("select $2", k_positional).parameter_count == 2);
  // SQLite's ?NNN, and a bare ? after it takes the next number.
  CHECK(positional("select ?2, ?1, ?") == "select $2, $1, $3");
  CHECK(translate_sql("select ?2, ?1, ?", k_positional).parameter_count == 3);
  // With $n in the SQL, ? is jsonb's operator.
  CHECK(positional("select $1::jsonb ? 'a'") == "select $1::jsonb ? 'a'");
  CHECK(translate_sql("select $1::jsonb ?| $2", k_positional).parameter_count
        == 2);
  // Named-looking text is left alone for positional parameters.
  CHECK(positional("select a[1:n], ?") == "select a[1:n], $1");
  CHECK(translate_sql("select 1", Params::Kind::none).parameter_count == 0);
}

TEST_CASE("postgres::translate_sql: what is not a parameter")
{
  SUBCASE("string literals")
  {
    CHECK(positional("select '?', ?") == "select '?', $1");
    CHECK(positional("select 'it''s ?', ?") == "select 'it''s ?', $1");
    // E'' strings: \' does not end them.
    CHECK(positional(R"(select E'\'?', ?)") == R"(select E'\'?', $1)");
    CHECK(positional(R"(select e'a\\', ?)") == R"(select e'a\\', $1)");
    // Standard strings: a backslash is a plain character.
    CHECK(positional(R"(select '\', ?)") == R"(select '\', $1)");
    CHECK(positional("select U&'?', B'1', X'1', ?")
          == "select U&'?', B'1', X'1', $1");
  }

  SUBCASE("quoted identifiers")
  {
    CHECK(positional(R"(select "a?b", "x""?" from t where c = ?)")
          == R"(select "a?b", "x""?" from t where c = $1)");
  }

  SUBCASE("dollar-quoted bodies")
  {
    CHECK(positional("select $$ ? $1 :x $$, ?") == "select $$ ? $1 :x $$, $1");
    CHECK(positional("select $fn$ it's ? $$ $fn$, ?")
          == "select $fn$ it's ? $$ $fn$, $1");
    CHECK(named("select $body$ :x $body$, :y")
          == "select $body$ :x $body$, $1");
  }

  SUBCASE("comments")
  {
    CHECK(positional("select ? -- why?\n, ?") == "select $1 -- why?\n, $2");
    CHECK(positional("select /* ? /* nested ? */ still ? */ ?")
          == "select /* ? /* nested ? */ still ? */ $1");
    CHECK(named("select :a -- :b\n") == "select $1 -- :b\n");
  }

  SUBCASE("casts and := are not named parameters")
  {
    CHECK(named("select :a::int, x::text") == "select $1::int, x::text");
    CHECK(translate_sql("select '1'::int", k_named).parameter_count == 0);
    CHECK(named("select f(a := :v)") == "select f(a := $1)");
  }

  SUBCASE("$ inside identifiers")
  {
    CHECK(positional("select a$1 from t where b = ?")
          == "select a$1 from t where b = $1");
    CHECK(translate_sql("select a$1", k_positional).parameter_count == 0);
  }
}

TEST_CASE("postgres::translate_sql: named parameters")
{
  const auto translated =
    translate_sql("select :id, @name, $tag, :id, :id_2", k_named);
  CHECK(translated.text == "select $1, $2, $3, $1, $4");
  CHECK(translated.parameter_count == 4);
  CHECK(translated.names
        == std::vector<std::string>{":id", "@name", "$tag", ":id_2"});
  CHECK(translate_error("select :a, ?", k_named)
        == "parameter 2 has no name; pass positional parameters as an array");
  CHECK(translate_error("select $1", k_named).find("has no name")
        != std::string::npos);
}

TEST_CASE("postgres::translate_sql: one statement")
{
  Sql::check_one_statement();
  CHECK(positional("select ';' , ?") == "select ';' , $1");
  CHECK(positional("select $$a;b$$") == "select $$a;b$$");
  CHECK(translate_error(";", k_positional)
        == "the job's SQL has no statement in it");
  CHECK(
    translate_sql("/* x */ WITH a AS (select 1) select * from a", k_positional)
      .first_word
    == "with");
}

TEST_CASE("postgres::BoundParams: the same errors as SQLite")
{
  Sql::check_bind_errors();
  CHECK(bind_error("select ?", positional_params({std::string("a\0b", 3)}))
          .find("NUL")
        != std::string::npos);
}

TEST_CASE("postgres::check_job_sql")
{
  const auto refusal = [](std::string_view sql) -> std::string {
    try {
      jq::sql::postgres::check_job_sql(sql,
                                       translate_sql(sql, Params::Kind::none));
    } catch (const jq::SqlError& e) {
      CHECK(e.sqlstate() == "42501");
      return e.what();
    }
    return "";
  };
  CHECK(refusal("select * from _JQ_Ledger").find("_jq_ledger")
        != std::string::npos);
  CHECK(refusal("delete from public._jq_ledger") != "");
  CHECK(refusal("commit").find("COMMIT is not allowed") != std::string::npos);
  CHECK(refusal("/* x */ BEGIN") != "");
  CHECK(refusal("rollback") != "");
  CHECK(refusal("ROLLBACK TO SAVEPOINT a") == "");
  CHECK(refusal("copy t from stdin") != "");
  CHECK(refusal("set search_path = evil").find("SET is not allowed")
        != std::string::npos);
  CHECK(refusal("SET SESSION AUTHORIZATION x") != "");
  CHECK(refusal("reset all") != "");
  CHECK(refusal("set local statement_timeout = 1000") == "");
  CHECK(refusal("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE") == "");
  CHECK(refusal("select 1") == "");
  CHECK(refusal("insert into t values (1) returning *") == "");
}
