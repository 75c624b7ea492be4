#include "executor.hpp"

#include <jq/core/base64.hpp>
#include <jq/core/error.hpp>
#include <jq/sql/statement_cache.hpp>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jq::sql {

namespace {

using nlohmann::json;

// How long a write waits for another connection's lock before it fails:
// generous, because many workers may share one file.
constexpr int k_busy_timeout_ms = 30'000;
constexpr std::string_view k_read_only_suffix = ":ro";

// Prepared job statements kept per database (see StatementCache).
constexpr std::size_t k_cached_statements = 64;

// The authorizer's state for one connection. It stays installed for the
// connection's life, so a job statement that SQLite prepares again (after
// a schema change, on its next step) is checked again; the executor's own
// statements (BEGIN, COMMIT, the ledger) run trusted.
struct AuthContext
{
  bool is_trusted = false;
  // A job statement is being stepped: what is prepared now is that
  // statement again (its text passed the rules already) or SQL that SQLite
  // itself runs inside it, such as FTS3/4's savepoints.
  bool is_running = false;
  const char* denied = nullptr; // what it last refused to a job
};

// Sets `flag` for the scope: AuthContext::is_trusted lets the executor's own
// statements past the authorizer, AuthContext::is_running marks a job
// statement's steps.
class FlagScope
{
public:
  explicit FlagScope(bool& flag)
    : m_flag(flag)
  {
    m_flag = true;
  }
  ~FlagScope()
  {
    m_flag = false;
  }
  FlagScope(const FlagScope&) = delete;
  FlagScope& operator=(const FlagScope&) = delete;

private:
  bool& m_flag;
};

// Keeps a job inside its own database and inside the executor's
// transaction: ATTACH would reach other files and BEGIN/COMMIT/SAVEPOINT
// would break the one-transaction-per-job rule.
// Pragmas a job may set (or call with an argument): they read the schema
// or change only this connection's SQL semantics, never files or safety.
// Connection settings that hold for every job: no way to corrupt the file
// on purpose (defensive mode), to attach others or to load extensions, and
// no trust in SQL functions stored in the schema.
void harden(sqlite3* handle)
{
  sqlite3_db_config(handle, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(handle, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(handle, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_limit(handle, SQLITE_LIMIT_ATTACHED, 0);
}

bool is_allowed_pragma_with_value(std::string_view name)
{
  static constexpr std::array<std::string_view, 15> k_allowed = {
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
    "case_sensitive_like",
  };
  return std::find(k_allowed.begin(), k_allowed.end(), name) != k_allowed.end();
}

// Keeps a job inside its own database and inside the executor's
// transaction: ATTACH would reach other files, load_extension other code,
// pragmas like journal_mode, writable_schema or synchronous would change
// the file or its safety, and BEGIN/COMMIT/SAVEPOINT would break the
// one-transaction-per-job rule.
int authorize(void* user_data,
              int action,
              const char* arg1,
              const char* arg2,
              const char* /*database*/,
              const char* /*trigger*/)
{
  auto* auth = static_cast<AuthContext*>(user_data);
  if (auth->is_trusted) {
    return SQLITE_OK;
  }
  const char*& denied = auth->denied;
  switch (action) {
  case SQLITE_ATTACH:
    denied = "ATTACH";
    return SQLITE_DENY;
  case SQLITE_DETACH:
    denied = "DETACH";
    return SQLITE_DENY;
  case SQLITE_TRANSACTION:
    denied = "BEGIN, COMMIT and ROLLBACK";
    return SQLITE_DENY;
  case SQLITE_SAVEPOINT:
    if (auth->is_running) {
      return SQLITE_OK; // nested in the executor's transaction, by SQLite
    }
    denied = "SAVEPOINT";
    return SQLITE_DENY;
  case SQLITE_FUNCTION:
    if (arg2 != nullptr && sqlite3_stricmp(arg2, "load_extension") == 0) {
      denied = "load_extension()";
      return SQLITE_DENY;
    }
    return SQLITE_OK;
  case SQLITE_PRAGMA: {
    const std::string_view name = arg1 == nullptr ? "" : arg1;
    // Reading a pragma is harmless, except writable_schema (it is both).
    if ((arg2 != nullptr && !is_allowed_pragma_with_value(name))
        || name == "writable_schema") {
      denied = "this PRAGMA";
      return SQLITE_DENY;
    }
    return SQLITE_OK;
  }
  default:
    return SQLITE_OK;
  }
}

// True if `sql` starts with VACUUM (after spaces and comments): VACUUM INTO
// writes another file and never reaches the authorizer.
bool is_vacuum(std::string_view sql)
{
  std::size_t i = 0;
  for (;;) {
    while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i]))) {
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
  return word.size() == 6 && sqlite3_strnicmp(word.data(), "VACUUM", 6) == 0
         && (i + 6 == sql.size()
             || !std::isalnum(static_cast<unsigned char>(sql[i + 6])));
}

// The SqlError for the last failed call on `handle`, worded clearly when it
// was the authorizer that refused.
SqlError last_error(sqlite3* handle, const AuthContext& auth)
{
  const int code = sqlite3_errcode(handle);
  if (code == SQLITE_AUTH && auth.denied != nullptr) {
    return SqlError(fmt::format("{} is not allowed in a job", auth.denied),
                    code,
                    sqlite3_extended_errcode(handle));
  }
  return SqlError(
    sqlite3_errmsg(handle), code, sqlite3_extended_errcode(handle));
}

// Resets a statement and clears its bindings when the scope ends, so a
// cached statement holds no lock and no parameter between jobs.
class ResetOnExit
{
public:
  explicit ResetOnExit(sqlite3_stmt* statement)
    : m_statement(statement)
  {
  }
  ~ResetOnExit()
  {
    if (m_statement != nullptr) {
      sqlite3_reset(m_statement);
      sqlite3_clear_bindings(m_statement);
    }
  }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

private:
  sqlite3_stmt* m_statement;
};

// Prepare the first statement of a job's `sql` and check that nothing but
// whitespace, semicolons and comments follows it. The authorizer (in job
// mode) sees every part.
StatementPtr prepare_job_statement(sqlite3* handle,
                                   AuthContext& auth,
                                   const std::string& sql)
{
  if (sql.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw JobError("the job's SQL is too long");
  }
  auth.denied = nullptr;
  const char* const end = sql.c_str() + sql.size();

  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(
        handle, sql.c_str(), static_cast<int>(sql.size()), &raw, &tail)
      != SQLITE_OK) {
    throw last_error(handle, auth);
  }
  StatementPtr statement(raw);
  if (!statement) {
    throw JobError("the job's SQL has no statement in it");
  }
  if (is_vacuum(sql)) {
    throw SqlError("VACUUM is not allowed in a job", SQLITE_AUTH, SQLITE_AUTH);
  }

  // An empty statement (";", a comment) prepares to a null statement, so
  // keep preparing the rest until it is used up or a real one appears.
  while (tail != nullptr && tail < end) {
    sqlite3_stmt* next = nullptr;
    const char* next_tail = nullptr;
    const int rc = sqlite3_prepare_v2(
      handle, tail, static_cast<int>(end - tail), &next, &next_tail);
    const StatementPtr extra(next);
    if (rc != SQLITE_OK || extra || next_tail == tail) {
      throw JobError(
        "the job's SQL has more than one statement; send one per job");
    }
    tail = next_tail;
  }
  return statement;
}

// Prepare one of the executor's own statements.
StatementPtr prepare_own(sqlite3* handle, AuthContext& auth, const char* sql)
{
  const FlagScope trusted(auth.is_trusted);
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(handle, sql, -1, &raw, nullptr) != SQLITE_OK) {
    throw last_error(handle, auth);
  }
  return StatementPtr(raw);
}

// Step one of the executor's own statements once (trusted) and reset it.
void run_own(sqlite3* handle, AuthContext& auth, sqlite3_stmt* statement)
{
  const FlagScope trusted(auth.is_trusted);
  const ResetOnExit reset(statement);
  const int rc = sqlite3_step(statement);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
    throw last_error(handle, auth);
  }
}

// Bind one JSON `value` at `index`; `name` describes it in messages.
// A text or blob is bound in place (SQLITE_STATIC) when it lives in the
// request, which outlives the statement's use (ResetOnExit clears it).
void bind_value(sqlite3_stmt* statement,
                int index,
                const json& value,
                const std::string& name)
{
  const auto check = [&](int rc) {
    if (rc != SQLITE_OK) {
      sqlite3* handle = sqlite3_db_handle(statement);
      throw SqlError(fmt::format("{}: {}", name, sqlite3_errstr(rc)),
                     rc,
                     sqlite3_extended_errcode(handle));
    }
  };
  switch (value.type()) {
  case json::value_t::null:
    check(sqlite3_bind_null(statement, index));
    return;
  case json::value_t::boolean:
    check(sqlite3_bind_int64(statement, index, value.get<bool>() ? 1 : 0));
    return;
  case json::value_t::number_integer:
    check(sqlite3_bind_int64(statement, index, value.get<std::int64_t>()));
    return;
  case json::value_t::number_unsigned: {
    const auto number = value.get<std::uint64_t>();
    if (number > static_cast<std::uint64_t>(
          std::numeric_limits<std::int64_t>::max())) {
      throw JobError(
        fmt::format("{} is out of the 64-bit signed integer range", name));
    }
    check(
      sqlite3_bind_int64(statement, index, static_cast<std::int64_t>(number)));
    return;
  }
  case json::value_t::number_float:
    check(sqlite3_bind_double(statement, index, value.get<double>()));
    return;
  case json::value_t::string: {
    const auto& text = value.get_ref<const std::string&>();
    check(sqlite3_bind_text64(
      statement, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8));
    return;
  }
  case json::value_t::object: {
    const auto text = value.find("$base64");
    if (value.size() == 1 && text != value.end() && text->is_string()) {
      const auto bytes = base64_decode(text->get_ref<const std::string&>());
      if (!bytes) {
        throw JobError(fmt::format("{} has invalid base64 text", name));
      }
      if (bytes->size()
          > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        throw JobError(fmt::format("{} is too large a blob", name));
      }
      check(sqlite3_bind_blob64(
        statement, index, bytes->data(), bytes->size(), SQLITE_TRANSIENT));
      return;
    }
    break;
  }
  default:
    break;
  }
  throw JobError(fmt::format("{} must be null, a boolean, a number, a string "
                             "or {{\"$base64\": \"...\"}}",
                             name));
}

// The statement's index for the named parameter `key`, trying SQLite's
// prefixes when `key` has none; 0 when there is no such parameter.
int parameter_index(sqlite3_stmt* statement, const std::string& key)
{
  if (!key.empty()
      && std::string_view(":@$?").find(key[0]) != std::string_view::npos) {
    return sqlite3_bind_parameter_index(statement, key.c_str());
  }
  for (const char prefix : {':', '@', '$'}) {
    const std::string name = prefix + key;
    if (const int index = sqlite3_bind_parameter_index(statement, name.c_str());
        index != 0) {
      return index;
    }
  }
  return 0;
}

// Bind `params` (null, an array or an object) to every parameter of
// `statement`; a count mismatch or an unbound parameter is the job's error,
// since SQLite would otherwise quietly bind NULL.
void bind_parameters(sqlite3_stmt* statement, const json& params)
{
  const int count = sqlite3_bind_parameter_count(statement);
  if (params.is_null() || params.is_array()) {
    const std::size_t given = params.is_null() ? 0 : params.size();
    if (given != static_cast<std::size_t>(count)) {
      throw JobError(
        fmt::format("the statement has {} parameter{} but {} {} given",
                    count,
                    count == 1 ? "" : "s",
                    given,
                    given == 1 ? "was" : "were"));
    }
    for (int i = 0; i < count; ++i) {
      bind_value(statement,
                 i + 1,
                 params[static_cast<std::size_t>(i)],
                 fmt::format("parameter {}", i + 1));
    }
    return;
  }
  if (!params.is_object()) {
    throw JobError("parameters must be an array or an object");
  }

  std::vector<bool> is_bound(static_cast<std::size_t>(count) + 1, false);
  for (const auto& [key, value] : params.items()) {
    const int index = parameter_index(statement, key);
    if (index == 0) {
      throw JobError(
        fmt::format("the statement has no parameter named '{}'", key));
    }
    bind_value(statement, index, value, fmt::format("parameter '{}'", key));
    is_bound[static_cast<std::size_t>(index)] = true;
  }
  for (int i = 1; i <= count; ++i) {
    if (!is_bound[static_cast<std::size_t>(i)]) {
      const char* name = sqlite3_bind_parameter_name(statement, i);
      throw JobError(
        name != nullptr
          ? fmt::format("parameter '{}' has no value", name)
          : fmt::format("parameter {} has no name; pass positional "
                        "parameters as an array",
                        i));
    }
  }
}

// The current row's column `column` as stored (sqlite3_column_blob converts
// nothing), with an empty value's null pointer made safe.
std::string_view column_bytes(sqlite3_stmt* statement, int column)
{
  const auto* data =
    static_cast<const char*>(sqlite3_column_blob(statement, column));
  const auto size =
    static_cast<std::size_t>(sqlite3_column_bytes(statement, column));
  return data == nullptr ? std::string_view() : std::string_view(data, size);
}

// The JSON for the current row's column `column`.
json column_value(sqlite3_stmt* statement, int column)
{
  switch (sqlite3_column_type(statement, column)) {
  case SQLITE_INTEGER:
    return sqlite3_column_int64(statement, column);
  case SQLITE_FLOAT:
    return sqlite3_column_double(statement, column);
  case SQLITE_TEXT:
    // Kept byte for byte even when it is not valid UTF-8: whoever dumps the
    // reply uses error_handler_t::replace, so that cannot throw later.
    return std::string(column_bytes(statement, column));
  case SQLITE_BLOB:
    return json{{"$base64", base64_encode(column_bytes(statement, column))}};
  default:
    return nullptr;
  }
}

// The rows and bytes a reply has used so far, against the limits.
struct Budget
{
  const Limits& limits;
  std::size_t rows = 0;
  std::size_t bytes = 0;

  void add_row(const json& row)
  {
    ++rows;
    if (rows > limits.max_rows) {
      throw JobError(fmt::format(
        "the result has more than {} rows (--max-rows); add a LIMIT",
        limits.max_rows));
    }
    for (const auto& cell : row) {
      // Near enough to the JSON size without serialising twice.
      if (cell.is_string()) {
        bytes += cell.get_ref<const std::string&>().size() + 3;
      } else if (cell.is_object()) {
        bytes += cell["$base64"].get_ref<const std::string&>().size() + 16;
      } else {
        bytes += 8;
      }
    }
    if (bytes > limits.max_result_bytes) {
      throw JobError(fmt::format(
        "the result is larger than {} bytes (--max-result-bytes); add a "
        "LIMIT or select fewer columns",
        limits.max_result_bytes));
    }
  }
};

// Step `statement` to the end, appending its rows to `rows`. Returns the
// rows it changed. sqlite3_changes64 alone would repeat the previous
// statement's count for a SELECT or a CREATE, so it only counts when the
// connection's running total moved.
std::int64_t
step_all(sqlite3_stmt* statement, AuthContext& auth, json& rows, Budget& budget)
{
  sqlite3* handle = sqlite3_db_handle(statement);
  const auto total_before = sqlite3_total_changes64(handle);
  for (;;) {
    int rc = 0;
    {
      const FlagScope running(auth.is_running);
      rc = sqlite3_step(statement);
    }
    if (rc == SQLITE_DONE) {
      break;
    }
    if (rc != SQLITE_ROW) {
      throw last_error(handle, auth);
    }
    // Read per row: a step may have prepared the statement again.
    const int column_count = sqlite3_column_count(statement);
    json row = json::array();
    for (int i = 0; i < column_count; ++i) {
      row.push_back(column_value(statement, i));
    }
    budget.add_row(row);
    rows.push_back(std::move(row));
  }
  return sqlite3_total_changes64(handle) == total_before
           ? 0
           : sqlite3_changes64(handle);
}

// Lets `should_interrupt` stop a running statement, for as long as the
// scope lives (the connection is reused by later jobs).
class InterruptScope
{
public:
  InterruptScope(sqlite3* handle, const std::function<bool()>& should_interrupt)
    : m_handle(handle),
      m_should_interrupt(should_interrupt)
  {
    if (m_should_interrupt) {
      // Every 1000 virtual machine steps: microseconds, so a timeout is
      // honoured to well within a millisecond of work.
      sqlite3_progress_handler(m_handle, 1000, &InterruptScope::poll, this);
    }
  }
  ~InterruptScope()
  {
    if (m_should_interrupt) {
      sqlite3_progress_handler(m_handle, 0, nullptr, nullptr);
    }
  }
  // It keeps a reference: a temporary would be gone before the scope ends.
  InterruptScope(sqlite3*, std::function<bool()>&&) = delete;
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;

private:
  static int poll(void* self)
  {
    return static_cast<InterruptScope*>(self)->m_should_interrupt() ? 1 : 0;
  }

  sqlite3* m_handle;
  const std::function<bool()>& m_should_interrupt;
};

std::int64_t epoch_ms()
{
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch())
    .count();
}

} // namespace

// One database the executor runs jobs on: the connection, the authorizer's
// state, the job statements seen before, and the executor's own statements.
// Declared in this order so every statement is finalized before the
// connection closes.
namespace detail {

struct Connection
{
  std::unique_ptr<SQLite::Database> db;
  AuthContext auth;
  StatementCache jobs{k_cached_statements};
  StatementPtr begin_deferred;
  StatementPtr begin_immediate;
  StatementPtr commit;
  StatementPtr rollback;
  // Prepared once the ledger table is known to exist.
  StatementPtr ledger_lookup;
  StatementPtr ledger_record;
  // When the ledger was last pruned; 0 until its table is known to exist.
  std::int64_t ledger_pruned_at = 0;

  sqlite3* handle() const
  {
    return db->getHandle();
  }
};

} // namespace detail

namespace {

using detail::Connection;

// One transaction on a connection; rolled back unless committed.
class Transaction
{
public:
  Transaction(Connection& connection, bool is_write)
    : m_connection(connection)
  {
    run_own(connection.handle(),
            connection.auth,
            is_write ? connection.begin_immediate.get()
                     : connection.begin_deferred.get());
  }
  ~Transaction()
  {
    // SQLite may have rolled back already (an interrupted write, a full
    // disk); a second ROLLBACK would only fail.
    if (!m_is_done && sqlite3_get_autocommit(m_connection.handle()) == 0) {
      const FlagScope trusted(m_connection.auth.is_trusted);
      const ResetOnExit reset(m_connection.rollback.get());
      sqlite3_step(m_connection.rollback.get());
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit()
  {
    run_own(
      m_connection.handle(), m_connection.auth, m_connection.commit.get());
    m_is_done = true;
  }

private:
  Connection& m_connection;
  bool m_is_done = false;
};

// Create the ledger table if needed, prune old rows about once an hour,
// and prepare the ledger's statements.
void prepare_ledger(Connection& connection)
{
  const std::int64_t now = epoch_ms();
  constexpr std::int64_t k_prune_every_ms = 3'600'000;
  if (connection.ledger_pruned_at != 0
      && now - connection.ledger_pruned_at < k_prune_every_ms) {
    return;
  }
  {
    const FlagScope trusted(connection.auth.is_trusted);
    SQLite::Database& db = *connection.db;
    db.exec("CREATE TABLE IF NOT EXISTS _jq_ledger ("
            "job_key TEXT PRIMARY KEY, reply TEXT NOT NULL, "
            "created_ms INTEGER NOT NULL) WITHOUT ROWID");
    SQLite::Statement prune(db, "DELETE FROM _jq_ledger WHERE created_ms < ?");
    prune.bind(1,
               static_cast<int64_t>(
                 now
                 - std::chrono::duration_cast<std::chrono::milliseconds>(
                     Executor::k_ledger_retention)
                     .count()));
    prune.exec();
  }
  if (!connection.ledger_lookup || !connection.ledger_record) {
    // Both or neither: a job may have replaced the table with something
    // one of them cannot be prepared against.
    auto lookup = prepare_own(connection.handle(),
                              connection.auth,
                              "SELECT reply FROM _jq_ledger WHERE job_key = ?");
    auto record = prepare_own(
      connection.handle(),
      connection.auth,
      "INSERT INTO _jq_ledger (job_key, reply, created_ms) VALUES (?, ?, ?)");
    connection.ledger_lookup = std::move(lookup);
    connection.ledger_record = std::move(record);
  }
  connection.ledger_pruned_at = now;
}

// A failed bind of the executor's own value fails the job (it would
// otherwise bind NULL).
void check_own(Connection& connection, int rc)
{
  if (rc != SQLITE_OK) {
    throw last_error(connection.handle(), connection.auth);
  }
}

std::optional<json> ledger_lookup(Connection& connection,
                                  const std::string& key)
{
  sqlite3_stmt* lookup = connection.ledger_lookup.get();
  const FlagScope trusted(connection.auth.is_trusted);
  const ResetOnExit reset(lookup);
  check_own(connection,
            sqlite3_bind_text64(
              lookup, 1, key.data(), key.size(), SQLITE_STATIC, SQLITE_UTF8));
  const int rc = sqlite3_step(lookup);
  if (rc == SQLITE_DONE) {
    return std::nullopt;
  }
  if (rc != SQLITE_ROW) {
    throw last_error(connection.handle(), connection.auth);
  }
  auto reply = json::parse(column_bytes(lookup, 0), nullptr, false);
  if (reply.is_discarded()) {
    return std::nullopt;
  }
  return reply;
}

void ledger_record(Connection& connection,
                   const std::string& key,
                   const json& reply)
{
  sqlite3_stmt* record = connection.ledger_record.get();
  const std::string text =
    reply.dump(-1, ' ', false, json::error_handler_t::replace);
  const ResetOnExit reset(record);
  check_own(connection,
            sqlite3_bind_text64(
              record, 1, key.data(), key.size(), SQLITE_STATIC, SQLITE_UTF8));
  check_own(connection,
            sqlite3_bind_text64(
              record, 2, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8));
  check_own(connection, sqlite3_bind_int64(record, 3, epoch_ms()));
  run_own(connection.handle(), connection.auth, record);
}

// The statement for a job's SQL: the cached one, or a new one (kept in the
// cache, or in `spare` when the cache does not keep it).
sqlite3_stmt* job_statement(Connection& connection,
                            const std::string& sql,
                            bool is_stepped,
                            StatementPtr& spare)
{
  if (!is_stepped) {
    // Only a step prepares a cached statement again after a schema change,
    // so one that will not be stepped (an empty batch) is prepared now, to
    // report today's columns and errors.
    spare = prepare_job_statement(connection.handle(), connection.auth, sql);
    return spare.get();
  }
  if (sqlite3_stmt* cached = connection.jobs.find(sql)) {
    connection.auth.denied = nullptr;
    return cached;
  }
  return connection.jobs.add(
    sql,
    prepare_job_statement(connection.handle(), connection.auth, sql),
    spare);
}

} // namespace

DatabaseSpec parse_database_spec(std::string_view text)
{
  const auto equals = text.find('=');
  if (equals == std::string_view::npos) {
    throw UsageError(
      fmt::format("invalid database '{}': expected NAME=PATH[:ro]", text));
  }
  DatabaseSpec spec;
  spec.name = std::string(text.substr(0, equals));
  std::string_view path = text.substr(equals + 1);
  if (path.ends_with(k_read_only_suffix)) {
    spec.read_only = true;
    path.remove_suffix(k_read_only_suffix.size());
  }
  spec.path = std::string(path);
  if (spec.name.empty()) {
    throw UsageError(
      fmt::format("invalid database '{}': the name is empty", text));
  }
  if (spec.path.empty()) {
    throw UsageError(
      fmt::format("invalid database '{}': the path is empty", text));
  }
  return spec;
}

namespace {

// Open `spec` as a connection the executor can run jobs on. Throws
// UsageError if it cannot be opened.
std::unique_ptr<Connection> open_connection(const DatabaseSpec& spec)
{
  const int flags = spec.read_only
                      ? SQLite::OPEN_READONLY
                      : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE;
  try {
    auto connection = std::make_unique<Connection>();
    connection->db =
      std::make_unique<SQLite::Database>(spec.path, flags, k_busy_timeout_ms);
    sqlite3* handle = connection->handle();
    if (spec.synchronous_normal) {
      // Before harden(): the authorizer refuses this pragma to jobs.
      connection->db->exec("PRAGMA synchronous = NORMAL");
    }
    harden(handle);
    sqlite3_set_authorizer(handle, authorize, &connection->auth);
    auto& auth = connection->auth;
    connection->begin_deferred = prepare_own(handle, auth, "BEGIN DEFERRED");
    connection->begin_immediate = prepare_own(handle, auth, "BEGIN IMMEDIATE");
    connection->commit = prepare_own(handle, auth, "COMMIT");
    connection->rollback = prepare_own(handle, auth, "ROLLBACK");
    // SQLite opens lazily; reading the schema now finds a file that is
    // not a database at start-up instead of at the first job.
    const StatementPtr check =
      prepare_own(handle, auth, "SELECT count(*) FROM sqlite_master");
    run_own(handle, auth, check.get());
    return connection;
  } catch (const std::exception& e) {
    throw UsageError(fmt::format(
      "cannot open database {} at {}: {}", spec.name, spec.path, e.what()));
  }
}

void check_unique_names(const std::vector<DatabaseSpec>& databases)
{
  for (std::size_t i = 0; i < databases.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (databases[i].name == databases[j].name) {
        throw UsageError(fmt::format("database {} is given more than once",
                                     databases[i].name));
      }
    }
  }
}

// Take `mutex` the way SQLite's busy handler would take the write lock: for
// up to the busy timeout, giving up early when the job is interrupted.
std::unique_lock<std::timed_mutex>
lock_writer(std::timed_mutex& mutex,
            const std::function<bool()>& should_interrupt)
{
  using std::chrono::milliseconds;
  std::unique_lock lock(mutex, std::defer_lock);
  const auto give_up =
    std::chrono::steady_clock::now() + milliseconds(k_busy_timeout_ms);
  while (!lock.try_lock_for(milliseconds(20))) {
    if (should_interrupt && should_interrupt()) {
      throw SqlError("interrupted", SQLITE_INTERRUPT, SQLITE_INTERRUPT);
    }
    if (std::chrono::steady_clock::now() >= give_up) {
      throw SqlError("database is locked", SQLITE_BUSY, SQLITE_BUSY);
    }
  }
  return lock;
}

} // namespace

namespace detail {

// One write connection, for one executor at a time.
struct SharedConnection
{
  std::timed_mutex mutex;
  std::unique_ptr<Connection> connection;
};

} // namespace detail

SharedWriters::SharedWriters(const std::vector<DatabaseSpec>& databases)
{
  check_unique_names(databases);
  for (const auto& spec : databases) {
    if (!spec.read_only) {
      auto shared = std::make_unique<detail::SharedConnection>();
      shared->connection = open_connection(spec);
      m_connections.emplace(spec.name, std::move(shared));
    }
  }
}

SharedWriters::~SharedWriters() = default;

Executor::Executor(const std::vector<DatabaseSpec>& databases,
                   Limits limits,
                   std::shared_ptr<SharedWriters> writers)
  : m_limits(limits),
    m_writers(std::move(writers))
{
  check_unique_names(databases);
  for (const auto& spec : databases) {
    m_connections.emplace(spec.name, open_connection(spec));
  }
}

Executor::~Executor() = default;
Executor::Executor(Executor&&) noexcept = default;
Executor& Executor::operator=(Executor&&) noexcept = default;

json Executor::run(const Request& request, const RunOptions& options)
{
  const auto found = m_connections.find(request.db);
  if (found == m_connections.end()) {
    throw JobError(fmt::format("unknown database '{}'", request.db));
  }
  Connection& own = *found->second;
  if (m_writers) {
    const auto writer = m_writers->m_connections.find(request.db);
    if (writer != m_writers->m_connections.end()
        && !is_read_only_job(own, request)) {
      detail::SharedConnection& shared = *writer->second;
      const auto lock = lock_writer(shared.mutex, options.should_interrupt);
      return run_on(*shared.connection, request, options);
    }
  }
  return run_on(own, request, options);
}

bool Executor::is_read_only_job(detail::Connection& connection,
                                const Request& request)
{
  StatementPtr spare;
  sqlite3_stmt* statement = job_statement(connection, request.sql, true, spare);
  return sqlite3_stmt_readonly(statement) != 0;
}

json Executor::run_on(detail::Connection& connection,
                      const Request& request,
                      const RunOptions& options)
{
  sqlite3* handle = connection.handle();
  const InterruptScope interrupt(handle, options.should_interrupt);

  try {
    // Declared first so a statement the cache did not keep is finalized
    // last, after the reset and the rollback below.
    StatementPtr spare;
    const bool is_stepped = !request.rows || !request.rows->empty();
    sqlite3_stmt* statement =
      job_statement(connection, request.sql, is_stepped, spare);
    const bool is_db_read_only = sqlite3_db_readonly(handle, "main") == 1;
    const bool is_read_only =
      is_db_read_only || sqlite3_stmt_readonly(statement) != 0;
    const bool use_ledger = !is_read_only && !options.idempotency_key.empty();
    if (use_ledger) {
      prepare_ledger(connection);
    }

    // One statement run once is a transaction of its own; anything more
    // gets an explicit one. A write takes the write lock up front:
    // upgrading a deferred read transaction can fail with SQLITE_BUSY
    // without waiting for the busy timeout.
    std::optional<Transaction> transaction;
    if (!is_read_only || request.rows) {
      transaction.emplace(connection, !is_read_only);
    }
    // After the transaction so it is reset before a rollback.
    const ResetOnExit reset(statement);
    if (use_ledger) {
      // Under the write lock: a twin delivery that committed first is seen.
      if (auto recorded = ledger_lookup(connection, options.idempotency_key)) {
        return *recorded;
      }
    }
    // The connection outlives jobs; without this a job that inserts nothing
    // would report the previous job's rowid.
    sqlite3_set_last_insert_rowid(handle, 0);

    json rows = json::array();
    Budget budget{m_limits};
    std::int64_t changes = 0;
    if (request.rows) {
      const json& batch = *request.rows;
      for (std::size_t i = 0; i < batch.size(); ++i) {
        try {
          sqlite3_reset(statement);
          sqlite3_clear_bindings(statement);
          bind_parameters(statement, batch[i]);
          changes += step_all(statement, connection.auth, rows, budget);
        } catch (const SqlError& e) {
          throw SqlError(fmt::format("row {}: {}", i + 1, e.what()),
                         e.code(),
                         e.extended_code());
        } catch (const JobError& e) {
          throw JobError(fmt::format("row {}: {}", i + 1, e.what()));
        }
      }
    } else {
      bind_parameters(statement, request.params);
      changes = step_all(statement, connection.auth, rows, budget);
    }

    // Read after stepping: a step may have prepared the statement again
    // (the schema changed), and the columns with it.
    json columns = json::array();
    const int column_count = sqlite3_column_count(statement);
    for (int i = 0; i < column_count; ++i) {
      const char* name = sqlite3_column_name(statement, i);
      columns.push_back(name == nullptr ? "" : name);
    }
    json result = {{"columns", std::move(columns)},
                   {"rows", std::move(rows)},
                   {"changes", changes},
                   {"last_insert_rowid", sqlite3_last_insert_rowid(handle)}};
    if (use_ledger) {
      ledger_record(connection, options.idempotency_key, result);
    }
    if (transaction) {
      sqlite3_reset(statement);
      transaction->commit();
    }
    return result;
  } catch (const SQLite::Exception& e) {
    throw SqlError(e.what(), e.getErrorCode(), e.getExtendedErrorCode());
  }
}

} // namespace jq::sql
