#include "placeholder_scan.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace jq::sql::server {

namespace {

bool is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
         || c == '\v';
}

std::string lower(std::string_view text)
{
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

} // namespace

PlaceholderScanner::PlaceholderScanner(std::string_view sql,
                                       std::string_view server)
  : m_sql(sql),
    m_server(server)
{
}

StatementScan PlaceholderScanner::scan()
{
  StatementScan scan;
  bool after_end = false;
  while (m_at < m_sql.size()) {
    if (is_space(m_sql[m_at])) {
      ++m_at;
      continue;
    }
    if (skip_comment()) {
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
    if (scan_dialect(scan)) {
      continue;
    }
    if (c == '?') {
      scan_question(scan);
    } else if (is_name_start()) {
      add_name(scan);
    } else if (is_word_start()) {
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

void PlaceholderScanner::check_question_number(std::size_t /*number*/) const {}

bool PlaceholderScanner::is_identifier_start(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
         || static_cast<unsigned char>(c) >= 0x80;
}

bool PlaceholderScanner::is_identifier_char(char c)
{
  return is_identifier_start(c) || is_digit(c) || c == '$';
}

bool PlaceholderScanner::is_digit(char c)
{
  return c >= '0' && c <= '9';
}

char PlaceholderScanner::at(std::size_t index) const
{
  return index < m_sql.size() ? m_sql[index] : '\0';
}

bool PlaceholderScanner::follows_identifier(std::size_t index) const
{
  return index > 0 && is_identifier_char(m_sql[index - 1]);
}

void PlaceholderScanner::skip_word()
{
  while (m_at < m_sql.size() && is_identifier_char(m_sql[m_at])) {
    ++m_at;
  }
}

void PlaceholderScanner::skip_line()
{
  const auto newline = m_sql.find('\n', m_at);
  m_at = newline == std::string_view::npos ? m_sql.size() : newline + 1;
}

void PlaceholderScanner::skip_quoted(char quote, bool backslash_escapes)
{
  ++m_at;
  while (m_at < m_sql.size()) {
    const char c = m_sql[m_at];
    if (backslash_escapes && c == '\\') {
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

std::size_t PlaceholderScanner::read_number()
{
  std::size_t number = 0;
  while (m_at < m_sql.size() && is_digit(m_sql[m_at])) {
    number = number * 10 + static_cast<std::size_t>(m_sql[m_at] - '0');
    if (number > k_max_parameter) {
      throw JobError(fmt::format("a parameter number is over {}'s limit of {}",
                                 m_server,
                                 k_max_parameter));
    }
    ++m_at;
  }
  return number;
}

void PlaceholderScanner::add_name(StatementScan& scan)
{
  const std::size_t start = m_at++;
  while (m_at < m_sql.size() && is_identifier_char(m_sql[m_at])
         && m_sql[m_at] != '$') {
    ++m_at;
  }
  scan.placeholders.push_back({Placeholder::Kind::named, start, m_at});
}

void PlaceholderScanner::scan_question(StatementScan& scan)
{
  const std::size_t start = m_at++;
  if (is_digit(at(m_at))) {
    const std::size_t number = read_number();
    check_question_number(number);
    scan.placeholders.push_back(
      {Placeholder::Kind::question_numbered, start, m_at, number});
    return;
  }
  scan.placeholders.push_back({Placeholder::Kind::question, start, m_at});
}

SqlRewriter::SqlRewriter(std::string_view sql, const StatementScan& scan)
  : m_sql(sql),
    m_end(scan.end)
{
  if (!scan.has_statement) {
    throw JobError("the job's SQL has no statement in it");
  }
  const auto past_end =
    std::find_if(scan.placeholders.begin(),
                 scan.placeholders.end(),
                 [&](const auto& p) { return p.begin >= scan.end; });
  m_placeholders = std::span<const Placeholder>(
    scan.placeholders.data(),
    static_cast<std::size_t>(past_end - scan.placeholders.begin()));
  m_out.first_word = scan.first_word;
  m_out.second_word = scan.second_word;
}

std::size_t SqlRewriter::named(const Placeholder& p)
{
  if (p.kind != Placeholder::Kind::named) {
    // As SQLite words it for a nameless parameter among named ones.
    throw JobError(fmt::format("parameter {} has no name; pass "
                               "positional parameters as an array",
                               m_out.names.size() + 1));
  }
  const std::string name(m_sql.substr(p.begin, p.end - p.begin));
  auto& names = m_out.names;
  const auto index = static_cast<std::size_t>(
    std::find(names.begin(), names.end(), name) - names.begin());
  if (index == names.size()) {
    names.push_back(name);
  }
  m_out.parameter_count = names.size();
  return index;
}

void SqlRewriter::replace(const Placeholder& p, std::string_view with)
{
  m_out.text.append(m_sql.substr(m_copied, p.begin - m_copied));
  m_out.text += with;
  m_copied = p.end;
}

TranslatedSql SqlRewriter::finish()
{
  m_out.text.append(m_sql.substr(m_copied, m_end - std::min(m_copied, m_end)));
  return std::move(m_out);
}

} // namespace jq::sql::server
