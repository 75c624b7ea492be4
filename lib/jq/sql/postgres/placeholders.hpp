#pragma once

#include <jq/sql/server/placeholder_scan.hpp>
#include <jq/sql/value.hpp>

#include <string_view>

namespace jq::sql::postgres {

using server::TranslatedSql;

// A job's SQL as PostgreSQL is sent it: one statement whose parameters are
// `$1`, `$2`, ... (TranslatedSql::slots stays empty). SQL written for SQLite
// or MySQL runs unchanged:
// - positional: `?` is the next parameter and `?NNN` parameter NNN, as in
//   SQLite; PostgreSQL's own `$1` works too, and when the SQL uses it, `?`
//   is left alone (it is then jsonb's operator `?`, also `?|` and `?&`);
// - named (the job's params are an object): `:name`, `@name` and `$name`,
//   each distinct one a parameter of its own, as SQLite numbers them.
// Nothing inside string literals ('...', E'...' with its backslashes),
// quoted identifiers ("..."), dollar-quoted bodies ($$...$$, $tag$...$tag$)
// and comments (-- and nested /* */) is taken for a parameter, nor `::`
// (a cast) and `:=` for a named one.
// Throws JobError when it has a NUL byte (libpq takes a C string), no
// statement or more than one (PostgreSQL's extended protocol runs one), or
// for named parameters, when it has a nameless one (`?`, `$1`).
TranslatedSql translate_sql(std::string_view sql, Params::Kind kind);

} // namespace jq::sql::postgres
