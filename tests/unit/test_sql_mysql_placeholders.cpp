#include "server_sql_checks.hpp"

#include <jq/core/error.hpp>
#include <jq/sql/database_spec.hpp>
#include <jq/sql/mysql/job_rules.hpp>
#include <jq/sql/mysql/ledger.hpp>
#include <jq/sql/mysql/parameters.hpp>
#include <jq/sql/mysql/placeholders.hpp>
#include <jq/sql/mysql/url.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using jq::sql::Params;
using jq::sql::mysql::translate_sql;

namespace {

constexpr auto k_positional = Params::Kind::positional;
constexpr auto k_named = Params::Kind::named;

using Sql = jq::test::ServerSql<&translate_sql, jq::sql::mysql::BoundParams>;
constexpr auto positional = &Sql::positional;
constexpr auto named = &Sql::named;
constexpr auto translate_error = &Sql::translate_error;
constexpr auto bind_error = &Sql::bind_error;
using jq::test::positional_params;

std::vector<std::size_t> slots(std::string_view sql, Params::Kind kind)
{
  return translate_sql(sql, kind).slots;
}

// The SqlError message of checking `sql`, or "" when a job may send it.
std::string rule_error(std::string_view sql)
{
  try {
    jq::sql::mysql::check_job_sql(sql, translate_sql(sql, k_positional));
  } catch (const jq::SqlError& e) {
    CHECK(e.sqlstate() == "42000");
    return e.what();
  }
  return "";
}

jq::sql::mysql::ConnectParams url(const std::string& text)
{
  return jq::sql::mysql::parse_url(jq::sql::parse_database_spec("m=" + text));
}

std::string url_error(const std::string& text)
{
  try {
    url(text);
  } catch (const jq::UsageError& e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("mysql::translate_sql: positional parameters")
{
  CHECK(positional("select ?, ?") == "select ?, ?");
  CHECK(slots("select ?, ?", k_positional) == std::vector<std::size_t>{0, 1});
  CHECK(translate_sql("select ?, ?", k_positional).parameter_count == 2);
  // SQLite's ?NNN, and a bare ? after it takes the next number.
  CHECK(positional("select ?2, ?1, ?") == "select ?, ?, ?");
  CHECK(slots("select ?2, ?1, ?", k_positional)
        == std::vector<std::size_t>{1, 0, 2});
  CHECK(translate_sql("select ?2, ?1, ?", k_positional).parameter_count == 3);
  CHECK(slots("select ?1, ?1", k_positional) == std::vector<std::size_t>{0, 0});
  // @name is a user variable with positional parameters, @@name a system
  // one, := an assignment.
  CHECK(positional("select @a := ?, @@sql_mode, @@session.time_zone")
        == "select @a := ?, @@sql_mode, @@session.time_zone");
  CHECK(translate_sql("select @a", k_positional).parameter_count == 0);
  CHECK(translate_sql("select 1", Params::Kind::none).parameter_count == 0);
  CHECK(translate_error("select ?0", k_positional).find("from 1")
        != std::string::npos);
}

TEST_CASE("mysql::translate_sql: what is not a parameter")
{
  SUBCASE("string literals, both quotes, with backslash escapes")
  {
    CHECK(positional("select '?', ?") == "select '?', ?");
    CHECK(positional("select 'it''s ?', ?") == "select 'it''s ?', ?");
    CHECK(positional(R"(select 'it\'s ?', ?)") == R"(select 'it\'s ?', ?)");
    CHECK(positional(R"(select "a ? \" :x", ?)") == R"(select "a ? \" :x", ?)");
    CHECK(positional(R"(select 'a\\', ?)") == R"(select 'a\\', ?)");
    CHECK(positional("select x'3F', _utf8mb4'?', N'?', ?")
          == "select x'3F', _utf8mb4'?', N'?', ?");
    CHECK(named("select '10:00', :t") == "select '10:00', ?");
  }

  SUBCASE("backquoted identifiers")
  {
    CHECK(positional("select `a?b`, `x``?` from t where c = ?")
          == "select `a?b`, `x``?` from t where c = ?");
    CHECK(named("select `:x` from t where c = :y")
          == "select `:x` from t where c = ?");
  }

  SUBCASE("comments")
  {
    CHECK(positional("select ? -- why?\n, ?") == "select ? -- why?\n, ?");
    CHECK(positional("select ? # why?\n, ?") == "select ? # why?\n, ?");
    CHECK(positional("select /* ? :x */ ?") == "select /* ? :x */ ?");
    // Executable comments: the server runs them or not by its version.
    CHECK_THROWS_AS(positional("select * from t /*! where k = ? */"),
                    jq::SqlError);
    CHECK_THROWS_AS(positional("/*!999999 select */ set sql_select_limit=1"),
                    jq::SqlError);
    CHECK_THROWS_AS(positional("select 1 /*M!100500 + 1 */"), jq::SqlError);
    CHECK(positional("select '/*!', \"/*M!\", `/*!` /* /*! */ -- /*!\n")
          == "select '/*!', \"/*M!\", `/*!` /* /*! */ -- /*!\n");
    // `--` without a space is two minus signs.
    CHECK(positional("select 1--?") == "select 1--?");
    CHECK(translate_sql("select 1--?", k_positional).parameter_count == 1);
  }

  SUBCASE("$ inside identifiers")
  {
    CHECK(named("select a$b from t where c = $c")
          == "select a$b from t where c = ?");
    CHECK(translate_sql("select a$b", k_named).parameter_count == 0);
  }
}

TEST_CASE("mysql::translate_sql: named parameters")
{
  const auto translated =
    translate_sql("select :id, @name, $tag, :id, :id_2", k_named);
  CHECK(translated.text == "select ?, ?, ?, ?, ?");
  CHECK(translated.parameter_count == 4);
  CHECK(translated.slots == std::vector<std::size_t>{0, 1, 2, 0, 3});
  CHECK(translated.names
        == std::vector<std::string>{":id", "@name", "$tag", ":id_2"});
  CHECK(named("select @@version, :a") == "select @@version, ?");
  CHECK(translate_error("select :a, ?", k_named)
        == "parameter 2 has no name; pass positional parameters as an array");
}

TEST_CASE("mysql::translate_sql: one statement")
{
  Sql::check_one_statement();
  CHECK(positional("select ';' , ?") == "select ';' , ?");
  CHECK(positional("select \";\" # ;\n") == "select \";\" # ;\n");
  CHECK(translate_error("# nothing", k_positional)
        == "the job's SQL has no statement in it");
  const auto words = translate_sql("/* x */ START TRANSACTION", k_positional);
  CHECK(words.first_word == "start");
  CHECK(words.second_word == "transaction");
}

TEST_CASE("mysql::BoundParams: the same errors as SQLite")
{
  Sql::check_bind_errors();
  // A NUL byte is fine in MySQL text: its length is bound.
  CHECK(bind_error("select ?", positional_params({std::string("a\0b", 3)}))
        == "");
  jq::sql::Limits small;
  small.max_value_bytes = 2;
  const auto translated = translate_sql("select ?", k_positional);
  CHECK_THROWS_WITH_AS(
    jq::sql::mysql::BoundParams(
      translated, positional_params({std::string("abc")}), small),
    "parameter 1: longer than --max-value-bytes (2 bytes)",
    jq::JobError);
}

TEST_CASE("mysql::BoundParams: one bind per ?, typed by the JSON")
{
  const auto translated =
    translate_sql("select :a, :b, :a, :c, :d, :e", k_named);
  Params params;
  params.kind = k_named;
  params.names = {"a", "b", "c", "d", "e"};
  params.values = {std::int64_t{-7},
                   std::string("x"),
                   true,
                   jq::sql::Value{},
                   jq::sql::Blob{"\x01\x02"}};
  jq::sql::mysql::BoundParams bound(translated, params, {});
  const auto& binds = bound.all();
  REQUIRE(binds.size() == 6);
  CHECK(binds[0].buffer_type == MYSQL_TYPE_LONGLONG);
  CHECK(*static_cast<std::int64_t*>(binds[0].buffer) == -7);
  CHECK(binds[1].buffer_type == MYSQL_TYPE_STRING);
  CHECK(*binds[1].length == 1);
  CHECK(binds[2].buffer == binds[0].buffer);
  CHECK(binds[3].buffer_type == MYSQL_TYPE_TINY);
  CHECK(*static_cast<signed char*>(binds[3].buffer) == 1);
  CHECK(binds[4].buffer_type == MYSQL_TYPE_NULL);
  CHECK(binds[5].buffer_type == MYSQL_TYPE_BLOB);
  CHECK(*binds[5].length == 2);
}

TEST_CASE("mysql::check_job_sql: what a job may not send")
{
  CHECK(rule_error("select * from t") == "");
  CHECK(rule_error("insert into t values (1)") == "");
  CHECK(rule_error("savepoint a") == "");
  CHECK(rule_error("rollback to savepoint a") == "");
  CHECK(rule_error("do sleep(0)") == "");
  CHECK(rule_error("with a as (select 1) select * from a") == "");
  CHECK(rule_error("set statement max_statement_time=1 for select 1")
          .find("SET STATEMENT is not allowed")
        != std::string::npos);
  CHECK(rule_error("SET STATEMENT x=1 FOR create table t (n int)")
          .find("SET STATEMENT is not allowed")
        != std::string::npos);
  for (const char* sql : {"kill 5",
                          "kill query 5",
                          "shutdown",
                          "binlog 'x'",
                          "/* hi */ kill 5",
                          "checksum table t",
                          "get diagnostics @n = number"}) {
    CHECK(rule_error(sql).find("is not allowed in a job: a job runs one")
          != std::string::npos);
  }
  CHECK(rule_error("select * from _JQ_Ledger").find("_jq_ledger")
        != std::string::npos);
  for (const char* sql :
       {"begin", "start transaction", "commit", "rollback", "xa start 'x'"}) {
    CHECK(rule_error(sql).find("each job is one transaction")
          != std::string::npos);
  }
  for (const char* sql : {"create table t (n int)",
                          "alter table t add x int",
                          "drop table t",
                          "truncate t",
                          "rename table a to b",
                          "lock tables t write",
                          "unlock tables",
                          "grant select on t to u",
                          "optimize table t",
                          "flush tables",
                          "load data infile 'f' into table t"}) {
    CHECK(rule_error(sql).find("MySQL commits") != std::string::npos);
  }
  for (const char* sql : {"set @x = 1",
                          "set autocommit = 0",
                          "use other",
                          "prepare s from 'select 1'",
                          "set session x = 1"}) {
    CHECK(rule_error(sql).find("later jobs") != std::string::npos);
  }
  CHECK(rule_error("call p()").find("CALL") != std::string::npos);
}

TEST_CASE("mysql::records_reply: writes keep a record, reads do not")
{
  using jq::sql::mysql::records_reply;
  CHECK(
    records_reply(translate_sql("insert into t values (1)", k_positional), 0));
  CHECK(records_reply(translate_sql("update t set a = 1", k_positional), 0));
  CHECK(records_reply(translate_sql("do release_lock('x')", k_positional), 0));
  CHECK_FALSE(records_reply(translate_sql("select 1", k_positional), 0));
  CHECK_FALSE(records_reply(translate_sql("(select 1)", k_positional), 0));
  CHECK_FALSE(records_reply(translate_sql("show tables", k_positional), 0));
  CHECK(records_reply(translate_sql("select f()", k_positional), 1));
}

TEST_CASE("mysql::Ledger::stored_key")
{
  using jq::sql::mysql::Ledger;
  CHECK(Ledger::stored_key("bull:jq:7:abc") == "bull:jq:7:abc");
  const std::string long_key(300, 'k');
  const std::string stored = Ledger::stored_key(long_key);
  CHECK(stored.size() == 255);
  CHECK(stored != Ledger::stored_key(long_key + "x"));
  const std::string odd = Ledger::stored_key("bull:jq:\xc3\xa9:1");
  CHECK(odd.starts_with("bull:jq:??:1#"));
  CHECK(odd.size() <= 255);
}

TEST_CASE("mysql::parse_url")
{
  auto params = url("mysql://jq:s3cr%40t@db.example:3307/app");
  CHECK(params.user == "jq");
  CHECK(params.password == "s3cr@t");
  CHECK(params.host == "db.example");
  CHECK(params.port == 3307);
  CHECK(params.database == "app");
  CHECK(params.socket.empty());
  CHECK(params.ssl_mode == jq::sql::mysql::SslMode::preferred);

  params =
    url("mariadb://jq@/app?socket=%2Frun%2Fmysqld.sock&ssl-mode=required");
  CHECK(params.host == "localhost");
  CHECK(params.port == 0);
  CHECK(params.socket == "/run/mysqld.sock");
  CHECK(params.ssl_mode == jq::sql::mysql::SslMode::required);

  params =
    url("mysql://[::1]:3306/app?ssl-mode=verify_identity&ssl-ca=/ca.pem");
  CHECK(params.host == "::1");
  CHECK(params.port == 3306);
  CHECK(params.ssl_mode == jq::sql::mysql::SslMode::verify_identity);
  CHECK(params.ssl_ca == "/ca.pem");

  CHECK(url_error("mysql://u:pw9@h/app?charset=latin1")
        == "invalid database m=mysql://u:***@h/app?charset=latin1: unknown "
           "parameter 'charset' (known: socket, ssl-mode, ssl-ca, ro)");
  CHECK(url_error("mysql://u:pw9@h/app?password=pw9").find("pw9")
        == std::string::npos);
  CHECK(url_error("mysql://h:99999/app").find("port '99999'")
        != std::string::npos);
  CHECK(url_error("mysql://h").find("database name") != std::string::npos);
  CHECK(url_error("mysql://h/app?ssl-mode=sometimes").find("ssl-mode=")
        != std::string::npos);
}
