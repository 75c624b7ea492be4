#include "placeholders.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace jq::sql::postgres {

namespace {

// PostgreSQL's limit on a statement's parameters.
constexpr std::size_t k_max_parameter = 65'535;

bool is_identifier_start(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
         || static_cast<unsigned char>(c) >= 0x80;
}

bool is_identifier_char(char c)
{
  return is_identifier_start(c) || (c >= '0' && c <= '9') || c == '$';
}

bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

bool is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
         || c == '\v';
}

// One placeholder found in the SQL.
struct Placeholder
{
  enum class Kind {
    question,          // ?
    question_numbered, // ?NNN
    dollar_numbered,   // $NNN
    named,             // :name, @name, $name
  };
  Kind kind;
  std::size_t begin;
  std::size_t end;
  std::size_t number = 0; // for the numbered kinds
};

// What a scan of the SQL found.
struct Scan
{
  std::vector<Placeholder> placeholders;
  std::string first_word;
  std::string second_word;
  // Where the statement ends: its text is [0, end).
  std::size_t end = 0;
  bool has_statement = false;
};

class Scanner
{
public:
  explicit Scanner(std::string_view sql)
    : m_sql(sql)
  {
  }

  Scan scan()
  {
    Scan scan;
    bool after_end = false;
    while (m_at < m_sql.size()) {
      const std::size_t start = m_at;
      if (skip_space_or_comment()) {
        continue;
      }
      const char c = m_sql[m_at];
      if (c == ';') {
        if (!after_end) {
          scan.end = m_at;
          after_end = true;
        }
        ++m_at;
        continue;
      }
      if (after_end) {
        throw JobError(
          "the job's SQL has more than one statement; send one per job");
      }
      scan.has_statement = true;
      if (c == '\'') {
        skip_string(is_escape_string(start));
      } else if (c == '"') {
        skip_quoted('"');
      } else if (c == '$' && !follows_identifier(start)) {
        scan_dollar(scan);
      } else if (c == '?') {
        scan_question(scan);
      } else if ((c == ':' || c == '@') && next_is(is_identifier_start)) {
        if (c == ':' && start > 0 && m_sql[start - 1] == ':') {
          ++m_at;
        } else {
          scan_name(scan, Placeholder::Kind::named);
        }
      } else if (c == ':' && m_at + 1 < m_sql.size()
                 && (m_sql[m_at + 1] == ':' || m_sql[m_at + 1] == '=')) {
        m_at += 2; // a cast or `:=`: no parameter after it
      } else if (is_identifier_start(c) && !follows_identifier(start)) {
        const std::size_t word_start = m_at;
        while (m_at < m_sql.size() && is_identifier_char(m_sql[m_at])) {
          ++m_at;
        }
        const auto word = m_sql.substr(word_start, m_at - word_start);
        if (scan.first_word.empty()) {
          scan.first_word = lower(word);
        } else if (scan.second_word.empty()) {
          scan.second_word = lower(word);
        }
      } else {
        ++m_at;
      }
    }
    if (!after_end) {
      scan.end = m_sql.size();
    }
    return scan;
  }

private:
  static std::string lower(std::string_view text)
  {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
  }

  bool next_is(bool (*predicate)(char)) const
  {
    return m_at + 1 < m_sql.size() && predicate(m_sql[m_at + 1]);
  }

  bool follows_identifier(std::size_t at) const
  {
    return at > 0 && is_identifier_char(m_sql[at - 1]);
  }

  // E'...' (or e'...'): backslash escapes; the E is a word of its own.
  bool is_escape_string(std::size_t quote) const
  {
    return quote > 0 && (m_sql[quote - 1] == 'E' || m_sql[quote - 1] == 'e')
           && !(quote > 1 && is_identifier_char(m_sql[quote - 2]));
  }

  bool skip_space_or_comment()
  {
    const char c = m_sql[m_at];
    if (is_space(c)) {
      ++m_at;
      return true;
    }
    if (c == '-' && m_at + 1 < m_sql.size() && m_sql[m_at + 1] == '-') {
      const auto newline = m_sql.find('\n', m_at);
      m_at = newline == std::string_view::npos ? m_sql.size() : newline + 1;
      return true;
    }
    if (c == '/' && m_at + 1 < m_sql.size() && m_sql[m_at + 1] == '*') {
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

  void skip_string(bool has_escapes)
  {
    ++m_at;
    while (m_at < m_sql.size()) {
      const char c = m_sql[m_at];
      if (has_escapes && c == '\\') {
        m_at += 2;
      } else if (c == '\'') {
        if (m_at + 1 < m_sql.size() && m_sql[m_at + 1] == '\'') {
          m_at += 2;
        } else {
          ++m_at;
          return;
        }
      } else {
        ++m_at;
      }
    }
    m_at = std::min(m_at, m_sql.size());
  }

  void skip_quoted(char quote)
  {
    ++m_at;
    while (m_at < m_sql.size()) {
      if (m_sql[m_at] == quote) {
        if (m_at + 1 < m_sql.size() && m_sql[m_at + 1] == quote) {
          m_at += 2;
          continue;
        }
        ++m_at;
        return;
      }
      ++m_at;
    }
  }

  // The digits at m_at as a parameter number; m_at moves past them.
  std::size_t read_number()
  {
    std::size_t number = 0;
    while (m_at < m_sql.size() && is_digit(m_sql[m_at])) {
      number = number * 10 + static_cast<std::size_t>(m_sql[m_at] - '0');
      if (number > k_max_parameter) {
        throw JobError(
          fmt::format("a parameter number is over PostgreSQL's limit of {}",
                      k_max_parameter));
      }
      ++m_at;
    }
    return number;
  }

  void scan_dollar(Scan& scan)
  {
    const std::size_t start = m_at;
    if (next_is(is_digit)) {
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
      scan_name(scan, Placeholder::Kind::named);
      return;
    }
    ++m_at;
  }

  void scan_question(Scan& scan)
  {
    const std::size_t start = m_at++;
    if (m_at < m_sql.size() && is_digit(m_sql[m_at])) {
      const std::size_t number = read_number();
      scan.placeholders.push_back(
        {Placeholder::Kind::question_numbered, start, m_at, number});
      return;
    }
    scan.placeholders.push_back({Placeholder::Kind::question, start, m_at});
  }

  void scan_name(Scan& scan, Placeholder::Kind kind)
  {
    const std::size_t start = m_at++;
    while (m_at < m_sql.size() && is_identifier_char(m_sql[m_at])
           && m_sql[m_at] != '$') {
      ++m_at;
    }
    scan.placeholders.push_back({kind, start, m_at});
  }

  std::string_view m_sql;
  std::size_t m_at = 0;
};

} // namespace

TranslatedSql translate_sql(std::string_view sql, Params::Kind kind)
{
  const Scan scan = Scanner(sql).scan();
  if (!scan.has_statement) {
    throw JobError("the job's SQL has no statement in it");
  }
  TranslatedSql out;
  out.first_word = scan.first_word;
  out.second_word = scan.second_word;
  const bool uses_dollar_numbers = std::any_of(
    scan.placeholders.begin(), scan.placeholders.end(), [](const auto& p) {
      return p.kind == Placeholder::Kind::dollar_numbered;
    });

  std::size_t copied = 0;
  const auto replace = [&](const Placeholder& p, std::size_t number) {
    out.text.append(sql.substr(copied, p.begin - copied));
    out.text += fmt::format("${}", number);
    copied = p.end;
  };
  for (const Placeholder& p : scan.placeholders) {
    if (p.begin >= scan.end) {
      break;
    }
    if (kind == Params::Kind::named) {
      if (p.kind != Placeholder::Kind::named) {
        // As SQLite words it for a nameless parameter among named ones.
        throw JobError(fmt::format("parameter {} has no name; pass "
                                   "positional parameters as an array",
                                   out.names.size() + 1));
      }
      const std::string name(sql.substr(p.begin, p.end - p.begin));
      const auto index = static_cast<std::size_t>(
        std::find(out.names.begin(), out.names.end(), name)
        - out.names.begin());
      if (index == out.names.size()) {
        out.names.push_back(name);
      }
      replace(p, index + 1);
      out.parameter_count = out.names.size();
      continue;
    }
    switch (p.kind) {
    case Placeholder::Kind::named:
      break; // positional parameters: `:x` is left to PostgreSQL
    case Placeholder::Kind::dollar_numbered:
      out.parameter_count = std::max(out.parameter_count, p.number);
      break;
    case Placeholder::Kind::question:
      if (!uses_dollar_numbers) {
        replace(p, ++out.parameter_count);
      }
      break;
    case Placeholder::Kind::question_numbered:
      if (!uses_dollar_numbers) {
        out.parameter_count = std::max(out.parameter_count, p.number);
        replace(p, p.number);
      }
      break;
    }
  }
  out.text.append(sql.substr(copied, scan.end - std::min(copied, scan.end)));
  return out;
}

} // namespace jq::sql::postgres
