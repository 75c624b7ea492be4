#include "sandbox.hpp"

#include <jq/sql/sqlite/function_list.hpp>
#include <jq/sql/sqlite/ledger.hpp>

#include <fmt/format.h>

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <limits>
#include <mutex>

namespace jq::sql::sqlite {

namespace {

bool equals_nocase(std::string_view a, std::string_view b)
{
  return a.size() == b.size()
         && sqlite3_strnicmp(a.data(), b.data(), static_cast<int>(a.size()))
              == 0;
}

bool contains_nocase(std::string_view text, std::string_view needle)
{
  if (needle.size() > text.size()) {
    return false;
  }
  for (std::size_t i = 0; i + needle.size() <= text.size(); ++i) {
    if (equals_nocase(text.substr(i, needle.size()), needle)) {
      return true;
    }
  }
  return false;
}

// The virtual table modules a job may create tables with.
constexpr std::string_view k_allowed_modules[] = {"fts3",
                                                  "fts4",
                                                  "fts5",
                                                  "rtree",
                                                  "rtree_i32",
                                                  "fts4aux",
                                                  "fts3tokenize",
                                                  "fts5vocab"};

// Eponymous virtual tables a job may not read: sqlite_stmt lists the
// connection's prepared statements, which are other jobs' SQL; dbstat
// shows every table's size, the ledger's too.
constexpr std::string_view k_hidden_tables[] = {"sqlite_stmt", "dbstat"};

// Pragmas a job may set (or call with an argument): they read the schema
// or change only this connection's SQL semantics, never files or safety.
// Not case_sensitive_like: it registers SQLite's like() again, over the
// guarded one (function_guard.hpp).
constexpr std::string_view k_pragmas_with_value[] = {
  "table_info",
  "table_xinfo",
  "table_list",
  "index_info",
  "index_xinfo",
  "index_list",
  "foreign_key_list",
  "foreign_key_check",
  "integrity_check",
  "quick_check",
  "user_version",
  "application_id",
  "foreign_keys",
  "defer_foreign_keys",
};

bool is_ledger(const char* table)
{
  return table != nullptr && equals_nocase(table, k_ledger_table);
}

int deny(Sandbox& sandbox, std::string reason)
{
  sandbox.denied = std::move(reason);
  return SQLITE_DENY;
}

// A schema change (CREATE, DROP, ALTER) whose text names the ledger: a
// trigger or view body and a new name never reach the authorizer as a
// table name, so the text is what can be checked.
int check_schema_change(Sandbox& sandbox, const char* object)
{
  if (is_ledger(object) || contains_nocase(sandbox.job_sql, k_ledger_table)) {
    return deny(sandbox,
                fmt::format("a schema change that names {} (jq-worker's "
                            "ledger) is not allowed in a job",
                            k_ledger_table));
  }
  return SQLITE_OK;
}

bool is_create(int action)
{
  switch (action) {
  case SQLITE_CREATE_INDEX:
  case SQLITE_CREATE_TABLE:
  case SQLITE_CREATE_TRIGGER:
  case SQLITE_CREATE_VIEW:
  case SQLITE_CREATE_VTABLE:
    return true;
  default:
    return false;
  }
}

constexpr const char* k_no_temp =
  "TEMP tables, views, indexes and triggers are not allowed in a job: they "
  "would outlive it on the worker's connection";

int authorize_job(Sandbox& sandbox,
                  int action,
                  const char* arg1,
                  const char* arg2,
                  const char* database)
{
  // `CREATE TABLE temp.t` makes a TEMP table without the TEMP keyword, and
  // `CREATE TRIGGER temp.tr ON main.t` is even reported as made in main;
  // every TEMP object is a row inserted into the temp schema, though.
  const bool in_temp = database != nullptr && equals_nocase(database, "temp");
  if ((is_create(action) && in_temp) || (action == SQLITE_INSERT && in_temp)) {
    return deny(sandbox, k_no_temp);
  }
  switch (action) {
  case SQLITE_ATTACH:
    return deny(sandbox, "ATTACH is not allowed in a job");
  case SQLITE_DETACH:
    return deny(sandbox, "DETACH is not allowed in a job");
  case SQLITE_TRANSACTION:
    return deny(sandbox,
                "BEGIN, COMMIT and ROLLBACK are not allowed in a job: each "
                "job is one transaction");
  case SQLITE_SAVEPOINT:
    return deny(sandbox, "SAVEPOINT is not allowed in a job");
  case SQLITE_FUNCTION: {
    const std::string_view name = arg2 == nullptr ? "" : arg2;
    if (auto reason = refused_function(name)) {
      return deny(sandbox, std::move(*reason));
    }
    return SQLITE_OK;
  }
  case SQLITE_PRAGMA: {
    const std::string_view name = arg1 == nullptr ? "" : arg1;
    // Reading a pragma is harmless, except writable_schema (it is both).
    if ((arg2 != nullptr && !is_listed(k_pragmas_with_value, name))
        || equals_nocase(name, "writable_schema")) {
      return deny(sandbox,
                  fmt::format("PRAGMA {} is not allowed in a job", name));
    }
    return SQLITE_OK;
  }
  case SQLITE_READ:
    if (is_ledger(arg1)) {
      return deny(sandbox,
                  fmt::format("{} is jq-worker's ledger: a job may not read "
                              "or change it",
                              k_ledger_table));
    }
    if (arg1 != nullptr && is_listed(k_hidden_tables, arg1)) {
      return deny(sandbox,
                  fmt::format("reading {} is not allowed in a job", arg1));
    }
    return SQLITE_OK;
  case SQLITE_INSERT:
  case SQLITE_UPDATE:
  case SQLITE_DELETE:
    if (is_ledger(arg1)) {
      return deny(sandbox,
                  fmt::format("{} is jq-worker's ledger: a job may not read "
                              "or change it",
                              k_ledger_table));
    }
    return SQLITE_OK;
  case SQLITE_CREATE_TEMP_INDEX:
  case SQLITE_CREATE_TEMP_TABLE:
  case SQLITE_CREATE_TEMP_TRIGGER:
  case SQLITE_CREATE_TEMP_VIEW:
    return deny(sandbox, k_no_temp);
  case SQLITE_CREATE_VTABLE:
    if (arg2 == nullptr || !is_listed(k_allowed_modules, arg2)) {
      return deny(sandbox,
                  fmt::format("virtual tables using {} are not allowed in a "
                              "job (allowed: fts3, fts4, fts5, rtree and "
                              "their auxiliary tables)",
                              arg2 == nullptr ? "?" : arg2));
    }
    return check_schema_change(sandbox, arg1);
  case SQLITE_CREATE_INDEX:
  case SQLITE_CREATE_TRIGGER:
    // arg2 is the table the index or trigger is on.
    if (is_ledger(arg2)) {
      return check_schema_change(sandbox, arg2);
    }
    return check_schema_change(sandbox, arg1);
  case SQLITE_ALTER_TABLE:
    // arg1 is the schema, arg2 the table.
    return check_schema_change(sandbox, arg2);
  case SQLITE_CREATE_TABLE:
  case SQLITE_CREATE_VIEW:
  case SQLITE_DROP_INDEX:
  case SQLITE_DROP_TABLE:
  case SQLITE_DROP_TRIGGER:
  case SQLITE_DROP_VIEW:
  case SQLITE_DROP_VTABLE:
    if (sandbox.is_running) {
      return SQLITE_OK; // SQLite's own, e.g. an FTS table's shadow tables
    }
    return check_schema_change(sandbox, arg1);
  default:
    return SQLITE_OK;
  }
}

int authorize(void* user_data,
              int action,
              const char* arg1,
              const char* arg2,
              const char* database,
              const char* trigger)
{
  auto& sandbox = *static_cast<Sandbox*>(user_data);
  if (sandbox.is_trusted) {
    // The worker's own statements fire no trigger: one on the ledger, made
    // by hand while the worker runs, would run with the ledger's trust.
    // Seen here when the record statement is prepared again after the
    // schema changed.
    if (trigger != nullptr) {
      return deny(sandbox,
                  fmt::format("the ledger table {} has a trigger ({}); "
                              "jq-worker refuses writes until it is dropped",
                              k_ledger_table,
                              trigger));
    }
    return SQLITE_OK;
  }
  return authorize_job(sandbox, action, arg1, arg2, database);
}

int clamp_to_int(std::size_t value)
{
  return static_cast<int>(std::min<std::size_t>(
    value, static_cast<std::size_t>(std::numeric_limits<int>::max())));
}

std::atomic<std::size_t> g_memory_limit{0};

} // namespace

void confine(sqlite3* handle, Sandbox& sandbox, const Limits& limits)
{
  sqlite3_db_config(handle, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(handle, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(handle, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_db_config(handle, SQLITE_DBCONFIG_ENABLE_FTS3_TOKENIZER, 0, nullptr);
  sqlite3_limit(handle, SQLITE_LIMIT_ATTACHED, 0);
  const int max_length = clamp_to_int(limits.max_value_bytes);
  sqlite3_limit(handle, SQLITE_LIMIT_LENGTH, max_length);
  sqlite3_limit(handle, SQLITE_LIMIT_SQL_LENGTH, max_length);
  sqlite3_set_authorizer(handle, authorize, &sandbox);
}

bool is_vacuum(std::string_view sql)
{
  std::size_t i = 0;
  for (;;) {
    // SQLite skips empty statements (";") before the first real one.
    while (
      i < sql.size()
      && (std::isspace(static_cast<unsigned char>(sql[i])) || sql[i] == ';')) {
      ++i;
    }
    if (sql.substr(i, 2) == "--") {
      i = sql.find('\n', i);
    } else if (sql.substr(i, 2) == "/*") {
      i = sql.find("*/", i);
      i = i == std::string_view::npos ? i : i + 2;
    } else {
      break;
    }
    if (i == std::string_view::npos) {
      return false;
    }
  }
  const std::string_view word = sql.substr(i, 6);
  return word.size() == 6 && equals_nocase(word, "VACUUM")
         && (i + 6 == sql.size()
             || !std::isalnum(static_cast<unsigned char>(sql[i + 6])));
}

void configure_library()
{
  static std::once_flag once;
  std::call_once(once, [] {
    // No page cache allocated up front: by default each connection takes
    // room for 20 pages when it opens (about 90 KiB; 1.4 MiB of a worker's
    // RSS at -c 16), where a job reading no table needs none. Pages are
    // still cached as they are read. Refused (and harmless) when SQLite was
    // started already.
    sqlite3_config(SQLITE_CONFIG_PAGECACHE, nullptr, 0, 0);
  });
}

void set_memory_limit(std::size_t bytes)
{
  configure_library(); // sqlite3_hard_heap_limit64 starts SQLite

  // An eighth stays for the worker itself (its threads, connections and
  // allocator), so its peak RSS stays under `bytes` when SQLite is full.
  const std::size_t sqlite_share = bytes - bytes / 8;
  const auto limit = static_cast<sqlite3_int64>(std::min<std::size_t>(
    sqlite_share,
    static_cast<std::size_t>(std::numeric_limits<sqlite3_int64>::max())));
  sqlite3_hard_heap_limit64(limit);
  g_memory_limit.store(bytes);
}

std::size_t memory_limit()
{
  return g_memory_limit.load();
}

} // namespace jq::sql::sqlite
