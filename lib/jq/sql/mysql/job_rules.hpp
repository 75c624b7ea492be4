#pragma once

#include <jq/sql/mysql/placeholders.hpp>

#include <cstdint>
#include <string_view>

namespace jq::sql::mysql {

// The statements a job may not send to a MySQL or MariaDB server, refused
// before they are sent (SqlError, SQLSTATE 42000, naming the reason):
// - any whose text names `_jq_ledger` (checked case-insensitively: the
//   worker's exactly-once record is not the jobs');
// - those that end or split the job's one transaction: transaction control
//   (BEGIN, START, COMMIT, ROLLBACK but ROLLBACK TO a savepoint, XA), and
//   every statement MySQL commits implicitly: schema changes (CREATE,
//   ALTER, DROP, RENAME, TRUNCATE), accounts (GRANT, REVOKE), LOCK and
//   UNLOCK TABLES, table maintenance (ANALYZE, CHECK, OPTIMIZE, REPAIR,
//   CACHE INDEX, LOAD INDEX), FLUSH, RESET, INSTALL, UNINSTALL, replication
//   control (CHANGE, START, STOP, PURGE), LOAD DATA;
// - those that would change the connection for later jobs: SET (but SET
//   STATEMENT ... FOR, which lasts for its statement), USE, PREPARE,
//   EXECUTE, DEALLOCATE, HANDLER;
// - CALL: a procedure may commit, or give more than one result.
// Anything else is the server's to allow or refuse, by the worker's
// account's privileges (README.md).
void check_job_sql(std::string_view sql, const TranslatedSql& translated);

// Whether a job that ran `translated` and changed `changes` rows keeps a
// record in the ledger: every statement but a read (SELECT, SHOW, EXPLAIN,
// DESCRIBE, DESC, HELP, VALUES, TABLE, WITH) that changed nothing. MySQL
// cannot say cheaply whether a transaction wrote; a read that writes
// (through a stored function) is taken for a read.
bool records_reply(const TranslatedSql& translated, std::uint64_t changes);

} // namespace jq::sql::mysql
