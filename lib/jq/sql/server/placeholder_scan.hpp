#pragma once

#include <jq/sql/value.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace jq::sql::server {

// A job's SQL as a server is sent it: one statement, its placeholders in
// the server's own form (PostgreSQL's `$n`, MySQL's `?`).
struct TranslatedSql
{
  std::string text;
  // The number of parameters the job must give.
  std::size_t parameter_count = 0;
  // For each placeholder of `text`, in order, the parameter (from 0) it
  // takes, where the placeholder does not say (MySQL's `?`); empty where it
  // does (PostgreSQL's `$n`).
  std::vector<std::size_t> slots;
  // For named parameters: names[n] is parameter n (from 0) as written
  // (":id").
  std::vector<std::string> names;
  // The statement's first two words, lower-cased ("set", "local").
  std::string first_word;
  std::string second_word;
};

// The highest parameter number, and the most placeholders, a statement may
// have: PostgreSQL's and MySQL's limit alike.
constexpr std::size_t k_max_parameter = 65'535;

// One placeholder found in a job's SQL.
struct Placeholder
{
  enum class Kind {
    question,          // ?
    question_numbered, // ?NNN
    dollar_numbered,   // $NNN (PostgreSQL)
    named,             // :name, @name, $name
  };
  Kind kind;
  std::size_t begin;
  std::size_t end;
  std::size_t number = 0; // for the numbered kinds
};

// What a scan of a job's SQL found.
struct StatementScan
{
  std::vector<Placeholder> placeholders;
  std::string first_word;
  std::string second_word;
  // Where the statement ends: its text is [0, end).
  std::size_t end = 0;
  bool has_statement = false;
};

// The scan a server engine makes of a job's SQL, to find its placeholders
// (`?`, `?NNN`, `:name`, `@name`, `$name`), its first two words, and where
// its one statement ends, taking nothing inside string literals, quoted
// identifiers and comments for any of them. What those look like is the
// dialect's, so each engine's placeholders.cpp has a subclass.
class PlaceholderScanner
{
public:
  virtual ~PlaceholderScanner() = default;
  PlaceholderScanner(const PlaceholderScanner&) = delete;
  PlaceholderScanner& operator=(const PlaceholderScanner&) = delete;

  // Throws JobError for a second statement, or a parameter number over
  // k_max_parameter.
  StatementScan scan();

protected:
  // `server` names the dialect in messages ("PostgreSQL").
  PlaceholderScanner(std::string_view sql, std::string_view server);

  // The dialect's parts. Each looks at m_at and, when it finds what it
  // looks for, moves m_at past it and returns true.
  // A comment.
  virtual bool skip_comment() = 0;
  // A string literal, a quoted identifier, or another form of the
  // dialect's own (a placeholder found there is added to `scan`).
  virtual bool scan_dialect(StatementScan& scan) = 0;
  // Whether a named placeholder starts at m_at (scanned by add_name()).
  virtual bool is_name_start() const = 0;
  // Whether a word starts at m_at (scanned by skip_word()).
  virtual bool is_word_start() const = 0;
  // Refuse the number of a `?NNN`, if the dialect does; throws JobError.
  virtual void check_question_number(std::size_t number) const;

  static bool is_identifier_start(char c);
  // A letter, '_', a byte of a UTF-8 sequence, a digit or '$'.
  static bool is_identifier_char(char c);
  static bool is_digit(char c);
  // The SQL's character at `index`, '\0' past its end.
  char at(std::size_t index) const;
  bool follows_identifier(std::size_t index) const;
  void skip_word();
  // To the start of the next line.
  void skip_line();
  // A text that `quote` (at m_at) opens and closes, a doubled quote
  // standing for one; with `backslash_escapes`, a backslash takes the
  // character after it.
  void skip_quoted(char quote, bool backslash_escapes);
  // The digits at m_at as a parameter number.
  std::size_t read_number();
  // A named placeholder: its prefix at m_at, then a name (without '$').
  void add_name(StatementScan& scan);

  std::string_view m_sql;
  std::size_t m_at = 0;

private:
  void scan_question(StatementScan& scan);

  std::string_view m_server;
};

// Writes a job's SQL again with each placeholder as the server takes it.
class SqlRewriter
{
public:
  // Throws JobError when `scan` found no statement in `sql`.
  SqlRewriter(std::string_view sql, const StatementScan& scan);

  // The statement's placeholders, in order.
  std::span<const Placeholder> placeholders() const noexcept
  {
    return m_placeholders;
  }

  // For named parameters: the parameter (from 0) that `p` names, a new one
  // for a name not seen before. Throws JobError (as SQLite words it) when
  // `p` has no name.
  std::size_t named(const Placeholder& p);

  // Write the SQL up to `p`, then `with` in its place.
  void replace(const Placeholder& p, std::string_view with);

  // The translation so far.
  TranslatedSql& result() noexcept
  {
    return m_out;
  }

  // The translation, with the rest of the statement.
  TranslatedSql finish();

private:
  std::string_view m_sql;
  std::size_t m_end;
  std::span<const Placeholder> m_placeholders;
  std::size_t m_copied = 0;
  TranslatedSql m_out;
};

} // namespace jq::sql::server
