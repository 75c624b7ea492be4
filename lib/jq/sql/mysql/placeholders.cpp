#include "placeholders.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace jq::sql::mysql {

namespace {

using server::k_max_parameter;
using server::Placeholder;
using server::StatementScan;

// MySQL's literals and comments. Its unquoted identifiers may hold `$` and
// begin with a digit.
class Scanner final : public server::PlaceholderScanner
{
public:
  explicit Scanner(std::string_view sql)
    : PlaceholderScanner(sql, "MySQL")
  {
  }

private:
  bool skip_comment() override
  {
    const char c = m_sql[m_at];
    // `--` starts a comment only before a space or a control character.
    const bool is_dash_comment =
      c == '-' && at(m_at + 1) == '-'
      && (m_at + 2 >= m_sql.size()
          || static_cast<unsigned char>(m_sql[m_at + 2]) <= ' ');
    if (c == '#' || is_dash_comment) {
      skip_line();
      return true;
    }
    if (c == '/' && at(m_at + 1) == '*'
        && (at(m_at + 2) == '!'
            || (at(m_at + 2) == 'M' && at(m_at + 3) == '!'))) {
      // `/*!NNNNN ... */` and MariaDB's `/*M! ... */` hold SQL that the
      // server runs or skips by its own version: the worker could not know
      // which statement it checks, nor where its placeholders are.
      throw SqlError("executable comments (/*! ... */) are not allowed in a "
                     "job: the server decides by its version whether they "
                     "run, so what the job does could not be checked",
                     "42000");
    }
    if (c == '/' && at(m_at + 1) == '*') {
      // MySQL's block comments do not nest.
      const auto close = m_sql.find("*/", m_at + 2);
      m_at = close == std::string_view::npos ? m_sql.size() : close + 2;
      return true;
    }
    return false;
  }

  bool scan_dialect(StatementScan& /*scan*/) override
  {
    const char c = m_sql[m_at];
    if (c == '\'' || c == '"') {
      // A string unless ANSI_QUOTES, which the worker's session does not
      // set: backslash escapes, and a doubled quote.
      skip_quoted(c, true);
    } else if (c == '`') {
      skip_quoted('`', false);
    } else if (c == '@' && at(m_at + 1) == '@') {
      // @@system_variable, @@session.name
      m_at += 2;
      skip_word();
    } else {
      return false;
    }
    return true;
  }

  bool is_name_start() const override
  {
    const char c = m_sql[m_at];
    return (c == ':' || c == '@' || c == '$')
           && is_identifier_start(at(m_at + 1))
           && !(c == '$' && follows_identifier(m_at));
  }

  bool is_word_start() const override
  {
    return is_identifier_char(m_sql[m_at]) && !follows_identifier(m_at);
  }

  void check_question_number(std::size_t number) const override
  {
    if (number == 0) {
      throw JobError("parameter ?0: parameters are numbered from 1");
    }
  }
};

} // namespace

TranslatedSql translate_sql(std::string_view sql, Params::Kind kind)
{
  const StatementScan scan = Scanner(sql).scan();
  server::SqlRewriter out(sql, scan);
  TranslatedSql& result = out.result();
  const auto replace = [&](const Placeholder& p, std::size_t parameter) {
    out.replace(p, "?");
    result.slots.push_back(parameter);
    if (result.slots.size() > k_max_parameter) {
      throw JobError(
        fmt::format("the statement has more than MySQL's {} placeholders",
                    k_max_parameter));
    }
  };
  for (const Placeholder& p : out.placeholders()) {
    if (kind == Params::Kind::named) {
      replace(p, out.named(p));
      continue;
    }
    switch (p.kind) {
    case Placeholder::Kind::named:
      break; // positional parameters: `@x` is a user variable
    case Placeholder::Kind::question:
      replace(p, result.parameter_count++);
      break;
    case Placeholder::Kind::question_numbered:
      replace(p, p.number - 1);
      result.parameter_count = std::max(result.parameter_count, p.number);
      break;
    case Placeholder::Kind::dollar_numbered:
      break; // not MySQL's
    }
  }
  return out.finish();
}

} // namespace jq::sql::mysql
