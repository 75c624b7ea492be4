#pragma once

#include <jq/sql/postgres/placeholders.hpp>

#include <string_view>

namespace jq::sql::postgres {

// The statements a job may not send to a PostgreSQL server, refused before
// they are sent (SqlError, SQLSTATE 42501, naming the reason): those that
// name `_jq_ledger` (the text is checked, case-insensitively: the worker's
// exactly-once record is not the jobs'); those that end or split the job's
// one transaction (BEGIN, START, COMMIT, END, ABORT, ROLLBACK but ROLLBACK
// TO a savepoint, PREPARE TRANSACTION); SET (but SET LOCAL, SET TRANSACTION and
// SET CONSTRAINTS), RESET and DISCARD, which would change the connection for
// later jobs; and COPY and LISTEN, whose effects need a conversation jq does
// not hold. Anything else is the server's to allow or refuse: on a server, a
// job is confined by the worker's role's privileges (README.md).
void check_job_sql(std::string_view sql, const TranslatedSql& translated);

} // namespace jq::sql::postgres
