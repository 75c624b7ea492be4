#include "function_list.hpp"

#include <fmt/format.h>

#include <sqlite3.h>

#include <algorithm>

namespace jq::sql::sqlite {

namespace {

// The SQL functions a job may call: SQLite's own (core, date and time,
// aggregate, window, math, JSON) and those of its full-text and R*Tree
// tables, as of SQLite 3.40 plus the later harmless ones. A function not
// listed is refused, so a build of SQLite with more functions gains none
// for jobs.
constexpr std::string_view k_allowed_functions[] = {
  // Core scalar functions.
  "abs",
  "changes",
  "char",
  "coalesce",
  "concat",
  "concat_ws",
  "format",
  "glob",
  "hex",
  "ifnull",
  "iif",
  "if",
  "instr",
  "last_insert_rowid",
  "length",
  "like",
  "likelihood",
  "likely",
  "lower",
  "ltrim",
  "max",
  "min",
  "nullif",
  "octet_length",
  "printf",
  "quote",
  "random",
  "randomblob",
  "replace",
  "round",
  "rtrim",
  "sign",
  "soundex",
  "sqlite_compileoption_get",
  "sqlite_compileoption_used",
  "sqlite_offset",
  "sqlite_source_id",
  "sqlite_version",
  "substr",
  "substring",
  "total_changes",
  "trim",
  "typeof",
  "unhex",
  "unicode",
  "unistr",
  "unistr_quote",
  "unlikely",
  "upper",
  "zeroblob",
  // Date and time.
  "date",
  "time",
  "datetime",
  "julianday",
  "unixepoch",
  "strftime",
  "timediff",
  "current_date",
  "current_time",
  "current_timestamp",
  // Aggregates.
  "avg",
  "count",
  "group_concat",
  "string_agg",
  "sum",
  "total",
  "median",
  "percentile",
  "percentile_cont",
  "percentile_disc",
  // Window functions.
  "row_number",
  "rank",
  "dense_rank",
  "percent_rank",
  "cume_dist",
  "ntile",
  "lag",
  "lead",
  "first_value",
  "last_value",
  "nth_value",
  // Math.
  "acos",
  "acosh",
  "asin",
  "asinh",
  "atan",
  "atan2",
  "atanh",
  "ceil",
  "ceiling",
  "cos",
  "cosh",
  "degrees",
  "exp",
  "floor",
  "ln",
  "log",
  "log10",
  "log2",
  "mod",
  "pi",
  "pow",
  "power",
  "radians",
  "sin",
  "sinh",
  "sqrt",
  "tan",
  "tanh",
  "trunc",
  // JSON, including the -> and ->> operators.
  "json",
  "json_array",
  "json_array_length",
  "json_error_position",
  "json_extract",
  "json_insert",
  "json_object",
  "json_patch",
  "json_pretty",
  "json_quote",
  "json_remove",
  "json_replace",
  "json_set",
  "json_type",
  "json_valid",
  "json_group_array",
  "json_group_object",
  "->",
  "->>",
  "jsonb",
  "jsonb_array",
  "jsonb_extract",
  "jsonb_insert",
  "jsonb_object",
  "jsonb_patch",
  "jsonb_remove",
  "jsonb_replace",
  "jsonb_set",
  "jsonb_group_array",
  "jsonb_group_object",
  // Full-text search (FTS3/4 and FTS5) and R*Tree.
  // Not FTS3/4's optimize(): it merges the index, a write, from inside a
  // SELECT that SQLite reports as read-only, so it would run outside the
  // write lock and the ledger (`INSERT INTO t(t) VALUES ('optimize')` does
  // the same as a write).
  "match",
  "snippet",
  "offsets",
  "matchinfo",
  "highlight",
  "bm25",
  "fts5_source_id",
  // SQLite's own, which user SQL cannot call: ALTER TABLE runs them
  // inside the job's statement.
  "sqlite_rename_column",
  "sqlite_rename_table",
  "sqlite_rename_test",
  "sqlite_rename_quotefix",
  "sqlite_drop_column",
};

// Refused with a reason of their own; anything else off the list gets the
// general one.
constexpr std::string_view k_code_loading[] = {"load_extension"};
constexpr std::string_view k_pointer_passing[] = {"fts3_tokenizer", "fts5"};
constexpr std::string_view k_raw_bytes[] = {"rtreenode", "rtreedepth"};

} // namespace

bool is_listed(std::span<const std::string_view> list, std::string_view name)
{
  return std::any_of(list.begin(), list.end(), [&](std::string_view entry) {
    return entry.size() == name.size()
           && sqlite3_strnicmp(
                entry.data(), name.data(), static_cast<int>(entry.size()))
                == 0;
  });
}

std::optional<std::string> refused_function(std::string_view name)
{
  if (is_listed(k_allowed_functions, name)) {
    return std::nullopt;
  }
  if (is_listed(k_code_loading, name)) {
    return fmt::format(
      "{}() is not allowed in a job: it loads code into the worker", name);
  }
  if (is_listed(k_pointer_passing, name)) {
    return fmt::format("{}() is not allowed in a job: it hands out or takes "
                       "pointers into the worker's memory",
                       name);
  }
  if (is_listed(k_raw_bytes, name)) {
    return fmt::format("{}() is not allowed in a job: a debugging function "
                       "that reads raw bytes as an R*Tree node",
                       name);
  }
  return fmt::format("{}() is not allowed in a job: it is not on "
                     "jq-worker's list of SQL functions",
                     name);
}

} // namespace jq::sql::sqlite
