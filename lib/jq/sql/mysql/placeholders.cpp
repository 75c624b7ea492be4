#include "placeholders.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace jq::sql::mysql {

namespace {

// MySQL's limit on a prepared statement's placeholders.
constexpr std::size_t k_max_parameter = 65'535;

bool is_identifier_start(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
         || static_cast<unsigned char>(c) >= 0x80;
}

bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

// MySQL's unquoted identifiers may hold `$` and begin with a digit.
bool is_identifier_char(char c)
{
  return is_identifier_start(c) || is_digit(c) || c == '$';
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
    named,             // :name, @name, $name
  };
  Kind kind;
  std::size_t begin;
  std::size_t end;
  std::size_t number = 0; // for ?NNN
};

struct Scan
{
  std::vector<Placeholder> placeholders;
  std::string first_word;
  std::string second_word;
  std::size_t end = 0; // the statement's text is [0, end)
  bool has_statement = false;
};

std::string lower(std::string_view text)
{
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

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
      if (c == '\'' || c == '"') {
        skip_string(c);
      } else if (c == '`') {
        skip_backquoted();
      } else if (c == '?') {
        scan_question(scan);
      } else if (c == '@' && at(m_at + 1) == '@') {
        // @@system_variable, @@session.name
        m_at += 2;
        skip_word();
      } else if ((c == ':' || c == '@' || c == '$')
                 && is_identifier_start(at(m_at + 1))
                 && !(c == '$' && follows_identifier(start))) {
        scan_name(scan);
      } else if (is_identifier_char(c) && !follows_identifier(start)) {
        const std::size_t word_start = m_at;
        skip_word();
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
  char at(std::size_t index) const
  {
    return index < m_sql.size() ? m_sql[index] : '\0';
  }

  bool follows_identifier(std::size_t index) const
  {
    return index > 0 && is_identifier_char(m_sql[index - 1]);
  }

  void skip_word()
  {
    while (m_at < m_sql.size() && is_identifier_char(m_sql[m_at])) {
      ++m_at;
    }
  }

  bool skip_space_or_comment()
  {
    const char c = m_sql[m_at];
    if (is_space(c)) {
      ++m_at;
      return true;
    }
    // `--` starts a comment only before a space or a control character.
    const bool is_dash_comment =
      c == '-' && at(m_at + 1) == '-'
      && (m_at + 2 >= m_sql.size()
          || static_cast<unsigned char>(m_sql[m_at + 2]) <= ' ');
    if (c == '#' || is_dash_comment) {
      const auto newline = m_sql.find('\n', m_at);
      m_at = newline == std::string_view::npos ? m_sql.size() : newline + 1;
      return true;
    }
    if (m_is_executable && c == '*' && at(m_at + 1) == '/') {
      m_is_executable = false;
      m_at += 2;
      return true;
    }
    if (c == '/' && at(m_at + 1) == '*'
        && (at(m_at + 2) == '!' || (at(m_at + 2) == 'M' && at(m_at + 3) == '!'))
        && !m_is_executable) {
      // `/*! ... */` and MariaDB's `/*M! ... */` hold SQL the server runs:
      // scanned as such, after the version number.
      m_at += at(m_at + 2) == '!' ? 3 : 4;
      while (is_digit(at(m_at))) {
        ++m_at;
      }
      m_is_executable = true;
      return true;
    }
    if (c == '/' && at(m_at + 1) == '*') {
      // MySQL's block comments do not nest.
      const auto close = m_sql.find("*/", m_at + 2);
      m_at = close == std::string_view::npos ? m_sql.size() : close + 2;
      return true;
    }
    return false;
  }

  // '...' or "..." (a string unless ANSI_QUOTES, which the worker's
  // session does not set): backslash escapes, and a doubled quote.
  void skip_string(char quote)
  {
    ++m_at;
    while (m_at < m_sql.size()) {
      const char c = m_sql[m_at];
      if (c == '\\') {
        m_at += 2;
      } else if (c == quote) {
        if (at(m_at + 1) == quote) {
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

  void skip_backquoted()
  {
    ++m_at;
    while (m_at < m_sql.size()) {
      if (m_sql[m_at] == '`') {
        if (at(m_at + 1) == '`') {
          m_at += 2;
          continue;
        }
        ++m_at;
        return;
      }
      ++m_at;
    }
  }

  void scan_question(Scan& scan)
  {
    const std::size_t start = m_at++;
    if (m_at < m_sql.size() && is_digit(m_sql[m_at])) {
      std::size_t number = 0;
      while (m_at < m_sql.size() && is_digit(m_sql[m_at])) {
        number = number * 10 + static_cast<std::size_t>(m_sql[m_at] - '0');
        if (number > k_max_parameter) {
          throw JobError(fmt::format(
            "a parameter number is over MySQL's limit of {}", k_max_parameter));
        }
        ++m_at;
      }
      if (number == 0) {
        throw JobError("parameter ?0: parameters are numbered from 1");
      }
      scan.placeholders.push_back(
        {Placeholder::Kind::question_numbered, start, m_at, number});
      return;
    }
    scan.placeholders.push_back({Placeholder::Kind::question, start, m_at});
  }

  void scan_name(Scan& scan)
  {
    const std::size_t start = m_at++;
    while (m_at < m_sql.size() && is_identifier_char(m_sql[m_at])
           && m_sql[m_at] != '$') {
      ++m_at;
    }
    scan.placeholders.push_back({Placeholder::Kind::named, start, m_at});
  }

  std::string_view m_sql;
  std::size_t m_at = 0;
  bool m_is_executable = false; // inside /*! ... */
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
  std::size_t copied = 0;
  const auto replace = [&](const Placeholder& p, std::size_t parameter) {
    out.text.append(sql.substr(copied, p.begin - copied));
    out.text += '?';
    out.slots.push_back(parameter);
    copied = p.end;
    if (out.slots.size() > k_max_parameter) {
      throw JobError(
        fmt::format("the statement has more than MySQL's {} placeholders",
                    k_max_parameter));
    }
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
      replace(p, index);
      out.parameter_count = out.names.size();
      continue;
    }
    switch (p.kind) {
    case Placeholder::Kind::named:
      break; // positional parameters: `@x` is a user variable
    case Placeholder::Kind::question:
      replace(p, out.parameter_count++);
      break;
    case Placeholder::Kind::question_numbered:
      replace(p, p.number - 1);
      out.parameter_count = std::max(out.parameter_count, p.number);
      break;
    }
  }
  out.text.append(sql.substr(copied, scan.end - std::min(copied, scan.end)));
  return out;
}

} // namespace jq::sql::mysql
