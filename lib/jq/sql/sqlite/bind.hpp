#pragma once

#include <jq/sql/value.hpp>

struct sqlite3_stmt;

namespace jq::sql::sqlite {

// Bind `params` to every parameter of `statement`. Text and blobs are bound
// in place (SQLITE_STATIC): `params` must outlive the statement's use, and
// the caller resets the statement after it (ResetOnExit). A count mismatch,
// an unknown name or an unbound parameter is the job's error (JobError),
// since SQLite would otherwise quietly bind NULL; SQLite's refusal (e.g. a
// value over SQLITE_LIMIT_LENGTH) is SqlError.
void bind_params(sqlite3_stmt* statement, const Params& params);

} // namespace jq::sql::sqlite
