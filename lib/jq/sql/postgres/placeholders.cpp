#include "placeholders.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace jq::sql::postgres {

namespace {

using server::Placeholder;
using server::StatementScan;

// PostgreSQL's literals, comments and dollar-quoted bodies.
class Scanner final : public server::PlaceholderScanner
{
public:
  explicit Scanner(std::string_view sql)
    : PlaceholderScanner(sql, "PostgreSQL")
  {
  }

private:
  bool skip_comment() override
  {
    const char c = m_sql[m_at];
    if (c == '-' && at(m_at + 1) == '-') {
      skip_line();
      return true;
    }
    if (c == '/' && at(m_at + 1) == '*') {
      // PostgreSQL's block comments nest.
      int depth = 0;
      while (m_at < m_sql.size()) {
        if (m_sql.compare(m_at, 2, "/*") == 0) {
          ++depth;
          m_at += 2;
        } else if (m_sql.compare(m_at, 2, "*/") == 0) {
          m_at += 2;
          if (--depth == 0) {
            break;
          }
        } else {
          ++m_at;
        }
      }
      return true;
    }
    return false;
  }

  bool scan_dialect(StatementScan& scan) override
  {
    const std::size_t start = m_at;
    const char c = m_sql[m_at];
    if (c == '\'') {
      skip_quoted('\'', is_escape_string(start));
    } else if (c == '"') {
      skip_quoted('"', false);
    } else if (c == '$' && !follows_identifier(start)) {
      scan_dollar(scan);
    } else if (c == ':' && (at(m_at + 1) == ':' || at(m_at + 1) == '=')) {
      m_at += 2; // a cast or `:=`: no parameter after it
    } else {
      return false;
    }
    return true;
  }

  // `:name` and `@name`, but not the name of a cast (`x:::name`).
  bool is_name_start() const override
  {
    const char c = m_sql[m_at];
    return (c == ':' || c == '@') && is_identifier_start(at(m_at + 1))
           && !(c == ':' && m_at > 0 && m_sql[m_at - 1] == ':');
  }

  bool is_word_start() const override
  {
    return is_identifier_start(m_sql[m_at]) && !follows_identifier(m_at);
  }

  // E'...' (or e'...'): backslash escapes; the E is a word of its own.
  bool is_escape_string(std::size_t quote) const
  {
    return quote > 0 && (m_sql[quote - 1] == 'E' || m_sql[quote - 1] == 'e')
           && !(quote > 1 && is_identifier_char(m_sql[quote - 2]));
  }

  // `$NNN`, a dollar-quoted body, or `$name`.
  void scan_dollar(StatementScan& scan)
  {
    const std::size_t start = m_at;
    if (is_digit(at(m_at + 1))) {
      ++m_at;
      const std::size_t number = read_number();
      scan.placeholders.push_back(
        {Placeholder::Kind::dollar_numbered, start, m_at, number});
      return;
    }
    // $tag$ or $$: a dollar-quoted body up to the same tag.
    std::size_t tag_end = m_at + 1;
    if (tag_end < m_sql.size() && is_identifier_start(m_sql[tag_end])) {
      while (tag_end < m_sql.size() && is_identifier_char(m_sql[tag_end])
             && m_sql[tag_end] != '$') {
        ++tag_end;
      }
    }
    if (tag_end < m_sql.size() && m_sql[tag_end] == '$') {
      const std::string_view tag = m_sql.substr(start, tag_end + 1 - start);
      const auto close = m_sql.find(tag, tag_end + 1);
      m_at =
        close == std::string_view::npos ? m_sql.size() : close + tag.size();
      return;
    }
    if (tag_end > m_at + 1) {
      add_name(scan);
      return;
    }
    ++m_at;
  }
};

} // namespace

TranslatedSql translate_sql(std::string_view sql, Params::Kind kind)
{
  // libpq takes SQL as a C string: what follows a NUL would go unseen.
  if (sql.find('\0') != std::string_view::npos) {
    throw JobError("the job's SQL has a NUL byte in it");
  }
  const StatementScan scan = Scanner(sql).scan();
  server::SqlRewriter out(sql, scan);
  const auto placeholders = out.placeholders();
  const bool uses_dollar_numbers =
    std::any_of(placeholders.begin(), placeholders.end(), [](const auto& p) {
      return p.kind == Placeholder::Kind::dollar_numbered;
    });
  std::size_t& count = out.result().parameter_count;
  const auto replace = [&](const Placeholder& p, std::size_t number) {
    out.replace(p, fmt::format("${}", number));
  };
  for (const Placeholder& p : placeholders) {
    if (kind == Params::Kind::named) {
      replace(p, out.named(p) + 1);
      continue;
    }
    switch (p.kind) {
    case Placeholder::Kind::named:
      break; // positional parameters: `:x` is left to PostgreSQL
    case Placeholder::Kind::dollar_numbered:
      count = std::max(count, p.number);
      break;
    case Placeholder::Kind::question:
      if (!uses_dollar_numbers) {
        replace(p, ++count);
      }
      break;
    case Placeholder::Kind::question_numbered:
      if (!uses_dollar_numbers) {
        count = std::max(count, p.number);
        replace(p, p.number);
      }
      break;
    }
  }
  return out.finish();
}

} // namespace jq::sql::postgres
