#pragma once

#include <jq/sql/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace jq::sql::mysql {

// A job's SQL as MySQL is sent it: one statement whose parameters are all
// `?` (MySQL's only placeholder), and which parameter each `?` takes.
// SQL written for SQLite runs unchanged:
// - positional: `?` is the next parameter and `?NNN` parameter NNN, as in
//   SQLite;
// - named (the job's params are an object): `:name`, `@name` and `$name`,
//   each distinct one a parameter of its own, as SQLite numbers them, each
//   place it is written a `?` of its own. With positional parameters,
//   `@name` is left alone: it is then a MySQL user variable.
// Nothing inside string literals ('...' and "...", with backslash escapes),
// backquoted identifiers and comments (`-- `, `#`, `/* */`) is taken for a
// parameter, nor `@@name` (a system variable) and `:=`; what executable
// comments (`/*! ... */`, `/*M! ... */`) hold is SQL, as the server reads
// it.
struct TranslatedSql
{
  std::string text;
  // The number of parameters the job must give.
  std::size_t parameter_count = 0;
  // For each `?` of `text`, in order, the parameter (from 0) it takes.
  std::vector<std::size_t> slots;
  // For named parameters: names[n] is parameter n as written (":id").
  std::vector<std::string> names;
  // The statement's first two words, lower-cased ("start", "transaction").
  std::string first_word;
  std::string second_word;
};

// Translate `sql` for parameters of `kind`. Throws JobError when it has no
// statement or more than one (a prepared statement is one), or for named
// parameters, when it has a nameless one (`?`).
TranslatedSql translate_sql(std::string_view sql, Params::Kind kind);

} // namespace jq::sql::mysql
