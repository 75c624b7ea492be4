#pragma once

#include <jq/sql/engine.hpp>
#include <jq/sql/request.hpp>
#include <jq/sql/server/link.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace jq::sql::server {

// What sets one server engine's jobs apart, besides its connections.
struct Dialect
{
  // A job's SQL as the server takes it (the engine's placeholders.hpp).
  TranslatedSql (*translate)(std::string_view sql, Params::Kind kind);
  // Refuse what a job may not send (its job_rules.hpp); throws SqlError.
  void (*check)(std::string_view sql, const TranslatedSql& translated);
  // Whether a job that ran `translated` and changed `changes` rows records
  // its reply in the ledger; null: every job on a writable database does.
  bool (*records_reply)(const TranslatedSql& translated,
                        std::uint64_t changes) = nullptr;
  // Whether the reply's last_insert_rowid is the id the job's last insert
  // made, 0 for none (MySQL's AUTO_INCREMENT), or always null (PostgreSQL
  // has no rowid: RETURNING gives what was inserted).
  bool has_insert_id = false;
};

// One job, translated and checked, as run_job() runs it.
struct ServerJob
{
  // The database's name, for messages.
  std::string_view database;
  const Request& request;
  const RunOptions& options;
  const Limits& limits;
  const Dialect& dialect;
  bool read_only;
  // The request's SQL for the kind of its parameters (the first row's, for
  // a batch).
  const TranslatedSql& translated;
  Params::Kind kind;
};

// Run `job` on `link` in one transaction and return its reply (see
// Session::run): the same shape as SQLite's, the ledger's record of a
// write in the same transaction, a batch's rows all or none; then, when
// the job's statement ran (committed or not), the link's session reset for
// the next job. `is_sent` is set once the job's statement may have reached
// the server: before that, a lost connection can be opened again and the
// job run there.
std::string run_job(ServerLink& link, const ServerJob& job, bool& is_sent);

} // namespace jq::sql::server
