#include <jq/core/error.hpp>
#include <jq/sql/server/placeholder_scan.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using jq::sql::server::Placeholder;
using jq::sql::server::SqlRewriter;
using jq::sql::server::StatementScan;

namespace {

// A small dialect: '...' strings, `--` comments, `:name` and `@name`;
// ?0 refused.
class TestScanner final : public jq::sql::server::PlaceholderScanner
{
public:
  explicit TestScanner(std::string_view sql)
    : PlaceholderScanner(sql, "Test")
  {
  }

private:
  bool skip_comment() override
  {
    if (m_sql[m_at] == '-' && at(m_at + 1) == '-') {
      skip_line();
      return true;
    }
    return false;
  }
  bool scan_dialect(StatementScan& /*scan*/) override
  {
    if (m_sql[m_at] != '\'') {
      return false;
    }
    skip_quoted('\'', false);
    return true;
  }
  bool is_name_start() const override
  {
    return (m_sql[m_at] == ':' || m_sql[m_at] == '@')
           && is_identifier_start(at(m_at + 1));
  }
  bool is_word_start() const override
  {
    return is_identifier_start(m_sql[m_at]) && !follows_identifier(m_at);
  }
  void check_question_number(std::size_t number) const override
  {
    if (number == 0) {
      throw jq::JobError("?0");
    }
  }
};

StatementScan scan(std::string_view sql)
{
  return TestScanner(sql).scan();
}

// The kinds of the placeholders found, as text: "? ?2 :".
std::string kinds(std::string_view sql)
{
  std::string out;
  for (const Placeholder& p : scan(sql).placeholders) {
    if (!out.empty()) {
      out += ' ';
    }
    switch (p.kind) {
    case Placeholder::Kind::question:
      out += "?";
      break;
    case Placeholder::Kind::question_numbered:
      out += "?" + std::to_string(p.number);
      break;
    case Placeholder::Kind::dollar_numbered:
      out += "$" + std::to_string(p.number);
      break;
    case Placeholder::Kind::named:
      out += std::string(sql.substr(p.begin, p.end - p.begin));
      break;
    }
  }
  return out;
}

std::string scan_error(std::string_view sql)
{
  try {
    scan(sql);
  } catch (const jq::JobError& e) {
    return e.what();
  }
  return "";
}

// `sql` with each placeholder written as `<n>`, n its parameter from 1
// (named ones numbered as SQLite numbers them).
jq::sql::server::TranslatedSql rewrite(std::string_view sql, bool named)
{
  const StatementScan found = scan(sql);
  SqlRewriter out(sql, found);
  for (const Placeholder& p : out.placeholders()) {
    const std::size_t number = named ? out.named(p) + 1 : p.number;
    out.replace(p, "<" + std::to_string(number) + ">");
  }
  return out.finish();
}

} // namespace

TEST_CASE("server::PlaceholderScanner: placeholders, outside the dialect's "
          "literals and comments")
{
  CHECK(kinds("select ?, ?12, :a, @b_2 from t") == "? ?12 :a @b_2");
  CHECK(kinds("select '?', ? -- ?\n") == "?");
  CHECK(kinds("select :a$b") == ":a"); // a name stops at '$'
  CHECK(kinds("select ?x") == "?");
  CHECK(scan_error("select ?0") == "?0");
  CHECK(scan_error("select ?65535") == "");
  CHECK(scan_error("select ?65536")
        == "a parameter number is over Test's limit of 65535");
}

TEST_CASE("server::PlaceholderScanner: one statement and its first words")
{
  const StatementScan found = scan("  -- c\n UPDATE Tab set x = 1 ; -- end\n;");
  CHECK(found.has_statement);
  CHECK(found.first_word == "update");
  CHECK(found.second_word == "tab");
  CHECK(found.end == 29);
  CHECK(scan("select 1").end == 8);
  CHECK_FALSE(scan(" ; -- nothing").has_statement);
  CHECK(scan_error("select 1; select 2")
        == "the job's SQL has more than one statement; send one per job");
  CHECK(scan_error("select ';'") == "");
}

TEST_CASE("server::SqlRewriter")
{
  const auto positional = rewrite("select ?3, ?1 from t;", false);
  CHECK(positional.text == "select <3>, <1> from t");
  CHECK(positional.first_word == "select");
  CHECK(positional.second_word == "from");

  const auto named = rewrite("select :a, @b, :a", true);
  CHECK(named.text == "select <1>, <2>, <1>");
  CHECK(named.names == std::vector<std::string>{":a", "@b"});
  CHECK(named.parameter_count == 2);

  CHECK_THROWS_WITH_AS(rewrite("select :a, ?", true),
                       "parameter 2 has no name; pass positional parameters "
                       "as an array",
                       jq::JobError);
  CHECK_THROWS_WITH_AS(rewrite("-- nothing", false),
                       "the job's SQL has no statement in it",
                       jq::JobError);
}
