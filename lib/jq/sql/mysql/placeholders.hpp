#pragma once

#include <jq/sql/server/placeholder_scan.hpp>
#include <jq/sql/value.hpp>

#include <string_view>

namespace jq::sql::mysql {

using server::TranslatedSql;

// A job's SQL as MySQL is sent it: one statement whose parameters are all
// `?` (MySQL's only placeholder), TranslatedSql::slots saying which
// parameter each takes. SQL written for SQLite runs unchanged:
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
// Throws JobError when it has no statement or more than one (a prepared
// statement is one), or for named parameters, when it has a nameless one
// (`?`).
TranslatedSql translate_sql(std::string_view sql, Params::Kind kind);

} // namespace jq::sql::mysql
