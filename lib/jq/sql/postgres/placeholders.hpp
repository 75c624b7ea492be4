#pragma once

#include <jq/sql/value.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace jq::sql::postgres {

// A job's SQL as PostgreSQL is sent it: one statement whose parameters are
// `$1`, `$2`, ... SQL written for SQLite or MySQL runs unchanged:
// - positional: `?` is the next parameter and `?NNN` parameter NNN, as in
//   SQLite; PostgreSQL's own `$1` works too, and when the SQL uses it, `?`
//   is left alone (it is then jsonb's operator `?`, also `?|` and `?&`);
// - named (the job's params are an object): `:name`, `@name` and `$name`,
//   each distinct one a parameter of its own, as SQLite numbers them.
// Nothing inside string literals ('...', E'...' with its backslashes),
// quoted identifiers ("..."), dollar-quoted bodies ($$...$$, $tag$...$tag$)
// and comments (-- and nested /* */) is taken for a parameter, nor `::`
// (a cast) and `:=` for a named one.
struct TranslatedSql
{
  std::string text;
  // The number of parameters: the highest `$n`.
  std::size_t parameter_count = 0;
  // For named parameters: names[n - 1] is parameter n as written (":id").
  std::vector<std::string> names;
  // The statement's first two words, lower-cased ("set", "local").
  std::string first_word;
  std::string second_word;
};

// Translate `sql` for parameters of `kind`. Throws JobError when it has no
// statement or more than one (PostgreSQL's extended protocol runs one), or
// for named parameters, when it has a nameless one (`?`, `$1`).
TranslatedSql translate_sql(std::string_view sql, Params::Kind kind);

} // namespace jq::sql::postgres
