#pragma once

#include <jq/sql/budget.hpp>

#include <nlohmann/json.hpp>

#include <libpq-fe.h>

#include <cstdint>

namespace jq::sql::postgres {

// Append the row of the one-row result `row` to `rows`, each value charged
// to `budget` first. Types are kept (README.md, "PostgreSQL"): smallint,
// integer and bigint as exact JSON integers; real and double precision as
// numbers (NaN and the infinities as null, counted in `budget`); numeric as
// a string (exact); boolean as true or false; date as "2026-12-04",
// timestamp as "2026-12-04T10:00:00", timestamptz in UTC as
// "2026-12-04T10:00:00Z" (fractions of seconds when there are some); bytea
// as {"$base64": ...}; json and jsonb as the JSON value itself; NULL as
// null; any other type as PostgreSQL's text for it.
void append_row(const PGresult& row,
                nlohmann::json& rows,
                ResultBudget& budget);

// The result's column names, as a JSON array.
nlohmann::json column_names(const PGresult& result);

// The rows a statement changed, from its command tag: INSERT, UPDATE,
// DELETE and MERGE count (with RETURNING too), anything else is 0.
std::int64_t changed_rows(const PGresult& result);

} // namespace jq::sql::postgres
