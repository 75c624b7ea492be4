#include "executor.hpp"

#include <jq/core/base64.hpp>
#include <jq/core/error.hpp>

#include <SQLiteCpp/Column.h>
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>
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

struct StatementDeleter
{
  void operator()(sqlite3_stmt* statement) const noexcept
  {
    sqlite3_finalize(statement);
  }
};

using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementDeleter>;

// What the authorizer refused while a job's SQL was being prepared.
struct Denial
{
  const char* what = nullptr;
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
  auto* denial = static_cast<Denial*>(user_data);
  switch (action) {
  case SQLITE_ATTACH:
    denial->what = "ATTACH";
    return SQLITE_DENY;
  case SQLITE_DETACH:
    denial->what = "DETACH";
    return SQLITE_DENY;
  case SQLITE_TRANSACTION:
    denial->what = "BEGIN, COMMIT and ROLLBACK";
    return SQLITE_DENY;
  case SQLITE_SAVEPOINT:
    denial->what = "SAVEPOINT";
    return SQLITE_DENY;
  case SQLITE_FUNCTION:
    if (arg2 != nullptr && sqlite3_stricmp(arg2, "load_extension") == 0) {
      denial->what = "load_extension()";
      return SQLITE_DENY;
    }
    return SQLITE_OK;
  case SQLITE_PRAGMA: {
    const std::string_view name = arg1 == nullptr ? "" : arg1;
    // Reading a pragma is harmless, except writable_schema (it is both).
    if ((arg2 != nullptr && !is_allowed_pragma_with_value(name))
        || name == "writable_schema") {
      denial->what = "this PRAGMA";
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

// Installs the authorizer for the lifetime of the scope only, because the
// executor's own BEGIN and COMMIT must not be refused.
class AuthorizerScope
{
public:
  AuthorizerScope(sqlite3* handle, Denial& denial)
    : m_handle(handle)
  {
    sqlite3_set_authorizer(m_handle, authorize, &denial);
  }
  ~AuthorizerScope()
  {
    sqlite3_set_authorizer(m_handle, nullptr, nullptr);
  }
  AuthorizerScope(const AuthorizerScope&) = delete;
  AuthorizerScope& operator=(const AuthorizerScope&) = delete;

private:
  sqlite3* m_handle;
};

// The SqlError for the last failed call on `handle`, worded clearly when it
// was the authorizer that refused.
SqlError last_error(sqlite3* handle, const Denial& denial)
{
  const int code = sqlite3_errcode(handle);
  if (code == SQLITE_AUTH && denial.what != nullptr) {
    return SqlError(fmt::format("{} is not allowed in a job", denial.what),
                    code,
                    sqlite3_extended_errcode(handle));
  }
  return SqlError(
    sqlite3_errmsg(handle), code, sqlite3_extended_errcode(handle));
}

// Prepare the first statement of `sql` with the raw API and check that
// nothing but whitespace, semicolons and comments follows it. SQLiteCpp
// 3.2.1 hides both the tail and the sqlite3_stmt, so this probe also answers
// the questions it cannot (is the statement read-only, what are its
// parameters called).
StatementPtr prepare_probe(sqlite3* handle, const std::string& sql)
{
  if (sql.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    throw JobError("the job's SQL is too long");
  }
  Denial denial;
  const AuthorizerScope scope(handle, denial);
  const char* const end = sql.c_str() + sql.size();

  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(
        handle, sql.c_str(), static_cast<int>(sql.size()), &raw, &tail)
      != SQLITE_OK) {
    throw last_error(handle, denial);
  }
  StatementPtr probe(raw);
  if (!probe) {
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
  return probe;
}

// The SQLiteCpp statement for `sql`, prepared under the same authorizer as
// the probe so both see the same rules.
SQLite::Statement prepare(SQLite::Database& db, const std::string& sql)
{
  Denial denial;
  const AuthorizerScope scope(db.getHandle(), denial);
  try {
    return SQLite::Statement(db, sql);
  } catch (const SQLite::Exception&) {
    throw last_error(db.getHandle(), denial);
  }
}

// Bind one JSON `value` at `index`; `name` describes it in messages.
void bind_value(SQLite::Statement& statement,
                int index,
                const json& value,
                const std::string& name)
{
  switch (value.type()) {
  case json::value_t::null:
    statement.bind(index);
    return;
  case json::value_t::boolean:
    statement.bind(index, static_cast<std::int64_t>(value.get<bool>() ? 1 : 0));
    return;
  case json::value_t::number_integer:
    statement.bind(index, value.get<std::int64_t>());
    return;
  case json::value_t::number_unsigned: {
    const auto number = value.get<std::uint64_t>();
    if (number > static_cast<std::uint64_t>(
          std::numeric_limits<std::int64_t>::max())) {
      throw JobError(
        fmt::format("{} is out of the 64-bit signed integer range", name));
    }
    statement.bind(index, static_cast<std::int64_t>(number));
    return;
  }
  case json::value_t::number_float:
    statement.bind(index, value.get<double>());
    return;
  case json::value_t::string:
    statement.bind(index, value.get_ref<const std::string&>());
    return;
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
      statement.bind(index, bytes->data(), static_cast<int>(bytes->size()));
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
int parameter_index(const SQLite::Statement& statement, const std::string& key)
{
  if (!key.empty()
      && std::string_view(":@$?").find(key[0]) != std::string_view::npos) {
    return statement.getIndex(key.c_str());
  }
  for (const char prefix : {':', '@', '$'}) {
    const std::string name = prefix + key;
    if (const int index = statement.getIndex(name.c_str()); index != 0) {
      return index;
    }
  }
  return 0;
}

// Bind `params` (null, an array or an object) to every parameter of
// `statement`; a count mismatch or an unbound parameter is the job's error,
// since SQLite would otherwise quietly bind NULL.
void bind_parameters(SQLite::Statement& statement,
                     sqlite3_stmt* probe,
                     const json& params)
{
  const int count = sqlite3_bind_parameter_count(probe);
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
      const char* name = sqlite3_bind_parameter_name(probe, i);
      throw JobError(
        name != nullptr
          ? fmt::format("parameter '{}' has no value", name)
          : fmt::format("parameter {} has no name; pass positional "
                        "parameters as an array",
                        i));
    }
  }
}

// The JSON for the current row's column `column`.
json column_value(const SQLite::Column& column)
{
  switch (column.getType()) {
  case SQLITE_INTEGER:
    return column.getInt64();
  case SQLITE_FLOAT:
    return column.getDouble();
  case SQLITE_TEXT:
    // Kept byte for byte even when it is not valid UTF-8: whoever dumps the
    // reply uses error_handler_t::replace, so that cannot throw later.
    return column.getString();
  case SQLITE_BLOB: {
    const auto* bytes = static_cast<const char*>(column.getBlob());
    const auto size = static_cast<std::size_t>(column.getBytes());
    return json{{"$base64", base64_encode(std::string_view(bytes, size))}};
  }
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
std::int64_t step_all(SQLite::Statement& statement,
                      sqlite3* handle,
                      json& rows,
                      Budget& budget)
{
  const auto total_before = sqlite3_total_changes64(handle);
  const int column_count = statement.getColumnCount();
  while (statement.executeStep()) {
    json row = json::array();
    for (int i = 0; i < column_count; ++i) {
      row.push_back(column_value(statement.getColumn(i)));
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

// Create the ledger table if needed and prune old rows about once an hour.
// `pruned_at` is 0 until the table is known to exist.
void prepare_ledger(SQLite::Database& db, std::int64_t& pruned_at)
{
  const std::int64_t now = epoch_ms();
  constexpr std::int64_t k_prune_every_ms = 3'600'000;
  if (pruned_at != 0 && now - pruned_at < k_prune_every_ms) {
    return;
  }
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
  pruned_at = now;
}

std::optional<json> ledger_lookup(SQLite::Database& db, const std::string& key)
{
  SQLite::Statement lookup(db,
                           "SELECT reply FROM _jq_ledger WHERE job_key = ?");
  lookup.bind(1, key);
  if (!lookup.executeStep()) {
    return std::nullopt;
  }
  auto reply = json::parse(lookup.getColumn(0).getString(), nullptr, false);
  if (reply.is_discarded()) {
    return std::nullopt;
  }
  return reply;
}

void ledger_record(SQLite::Database& db,
                   const std::string& key,
                   const json& reply)
{
  SQLite::Statement record(
    db, "INSERT INTO _jq_ledger (job_key, reply, created_ms) VALUES (?, ?, ?)");
  record.bind(1, key);
  record.bind(2, reply.dump(-1, ' ', false, json::error_handler_t::replace));
  record.bind(3, static_cast<int64_t>(epoch_ms()));
  record.exec();
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

Executor::Executor(const std::vector<DatabaseSpec>& databases, Limits limits)
  : m_limits(limits)
{
  for (const auto& spec : databases) {
    if (m_dbs.contains(spec.name)) {
      throw UsageError(
        fmt::format("database {} is given more than once", spec.name));
    }
    const int flags = spec.read_only
                        ? SQLite::OPEN_READONLY
                        : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE;
    try {
      auto db =
        std::make_unique<SQLite::Database>(spec.path, flags, k_busy_timeout_ms);
      if (spec.synchronous_normal) {
        // Before harden(): the authorizer refuses this pragma to jobs.
        db->exec("PRAGMA synchronous = NORMAL");
      }
      harden(db->getHandle());
      // SQLite opens lazily; reading the schema now finds a file that is
      // not a database at start-up instead of at the first job.
      SQLite::Statement check(*db, "SELECT count(*) FROM sqlite_master");
      check.executeStep();
      m_dbs.emplace(spec.name, std::move(db));
    } catch (const SQLite::Exception& e) {
      throw UsageError(fmt::format(
        "cannot open database {} at {}: {}", spec.name, spec.path, e.what()));
    }
  }
}

Executor::~Executor() = default;
Executor::Executor(Executor&&) noexcept = default;
Executor& Executor::operator=(Executor&&) noexcept = default;

json Executor::run(const Request& request, const RunOptions& options)
{
  const auto found = m_dbs.find(request.db);
  if (found == m_dbs.end()) {
    throw JobError(fmt::format("unknown database '{}'", request.db));
  }
  SQLite::Database& db = *found->second;
  sqlite3* handle = db.getHandle();
  const InterruptScope interrupt(handle, options.should_interrupt);

  try {
    const StatementPtr probe = prepare_probe(handle, request.sql);
    // A write takes the write lock up front: upgrading a deferred read
    // transaction can fail with SQLITE_BUSY without waiting for the busy
    // timeout.
    const bool is_db_read_only = sqlite3_db_readonly(handle, "main") == 1;
    const bool is_read_only =
      is_db_read_only || sqlite3_stmt_readonly(probe.get()) != 0;
    const bool use_ledger = !is_read_only && !options.idempotency_key.empty();
    if (use_ledger) {
      prepare_ledger(db, m_ledger_pruned_at[request.db]);
    }

    // Declared before the statement so the statement is finalized before
    // the transaction's destructor rolls back.
    std::optional<SQLite::Transaction> transaction;
    SQLite::Statement statement = prepare(db, request.sql);
    transaction.emplace(db,
                        is_read_only ? SQLite::TransactionBehavior::DEFERRED
                                     : SQLite::TransactionBehavior::IMMEDIATE);
    if (use_ledger) {
      // Under the write lock: a twin delivery that committed first is seen.
      if (auto recorded = ledger_lookup(db, options.idempotency_key)) {
        return *recorded;
      }
    }
    // The connection outlives jobs; without this a job that inserts nothing
    // would report the previous job's rowid.
    sqlite3_set_last_insert_rowid(handle, 0);

    json columns = json::array();
    for (int i = 0; i < statement.getColumnCount(); ++i) {
      columns.push_back(statement.getColumnName(i));
    }
    json rows = json::array();
    Budget budget{m_limits};
    std::int64_t changes = 0;
    if (request.rows) {
      const json& batch = *request.rows;
      for (std::size_t i = 0; i < batch.size(); ++i) {
        try {
          statement.reset();
          statement.clearBindings();
          bind_parameters(statement, probe.get(), batch[i]);
          changes += step_all(statement, handle, rows, budget);
        } catch (const SQLite::Exception& e) {
          throw SqlError(fmt::format("row {}: {}", i + 1, e.what()),
                         e.getErrorCode(),
                         e.getExtendedErrorCode());
        } catch (const SqlError&) {
          throw;
        } catch (const JobError& e) {
          throw JobError(fmt::format("row {}: {}", i + 1, e.what()));
        }
      }
    } else {
      bind_parameters(statement, probe.get(), request.params);
      changes = step_all(statement, handle, rows, budget);
    }

    json result = {{"columns", std::move(columns)},
                   {"rows", std::move(rows)},
                   {"changes", changes},
                   {"last_insert_rowid", sqlite3_last_insert_rowid(handle)}};
    if (use_ledger) {
      ledger_record(db, options.idempotency_key, result);
    }
    transaction->commit();
    return result;
  } catch (const SQLite::Exception& e) {
    throw SqlError(e.what(), e.getErrorCode(), e.getExtendedErrorCode());
  }
}

} // namespace jq::sql
