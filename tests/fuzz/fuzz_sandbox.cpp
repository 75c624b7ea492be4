// Fuzz the sandboxed executor: a job's SQL and parameters, run by
// jq::sql::Executor on an in-memory SQLite database under jq-worker's
// sandbox (lib/jq/sql/sqlite/sandbox.hpp), the ledger and the limits.
//
// Input: the job's SQL, then optionally a NUL byte and JSON for its
// parameters, decoded as a producer's job data would be (parse_request):
// an array of arrays, or of objects, is a batch (`rows`); any other array or
// an object is `params`. Text that is not JSON runs the SQL without
// parameters.
//
// One executor serves many inputs (its database keeps what earlier inputs
// made, as a worker's does); it is opened again, with its seed schema, every
// 1000 inputs or when SQLite holds too much memory. To replay a
// finding on a fresh database set JQ_FUZZ_RESET_EVERY=1; JQ_FUZZ_VERBOSE=1
// prints each input's reply or error.
//
// SQLite itself is not instrumented (the system library), so libFuzzer
// only sees coverage in lib/jq; a custom mutator adds words of SQL (and of
// the seed schema) to its own mutations.
//
// Only the library's own exceptions (JobError, SqlError, ProtocolError,
// UsageError) are expected. Anything else (another exception, a crash, a
// sanitizer report, a hang past libFuzzer's -timeout, a broken invariant) is
// a finding. The invariants, checked after every input:
// - the job stops soon after its deadline (k_time_limit);
// - a reply is JSON text with exactly columns/rows/changes/
//   last_insert_rowid, well typed, every row as wide as `columns`, at most
//   max_rows rows;
// - a write that changed rows, run again under its idempotency key, returns
//   the recorded reply, byte for byte, and changes nothing;
// - the connection is left outside any transaction (a write still works);
// - no TEMP object exists, and no object but the ledger names the ledger;
// - a job still cannot read the ledger.

#include <jq/core/error.hpp>
#include <jq/core/json.hpp>
#include <jq/sql/executor.hpp>
#include <jq/sql/request.hpp>
#include <jq/sql/sqlite/sandbox.hpp>

#include <nlohmann/json.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* k_db = "app";
// Each input's SQL is interrupted after this much wall time.
constexpr std::chrono::milliseconds k_time_limit{200};
// An input that runs longer than this despite its interruption (the
// progress handler is polled every 1000 virtual machine steps, so a few
// steps on values near max_value_bytes may overshoot a little) ignored
// it: a finding, found here sooner than by libFuzzer's -timeout.
// JQ_FUZZ_MAX_SECONDS overrides it.
constexpr double k_max_seconds_default = 5.0;
constexpr std::size_t k_memory_limit = 64 * 1024 * 1024;
// Open the database again when SQLite holds more than this.
constexpr std::int64_t k_reset_memory = 16 * 1024 * 1024;
constexpr std::uint64_t k_reset_every_default = 1000;

jq::sql::Limits limits()
{
  jq::sql::Limits limits;
  limits.max_rows = 1000;
  limits.max_result_bytes = 1024 * 1024;
  limits.max_value_bytes = 1024 * 1024;
  return limits;
}

// What every database starts with, run as jobs (so under the sandbox):
// something for inputs to read, write, join, search and trigger.
constexpr const char* k_seed[] = {
  "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, "
  "data BLOB, doc TEXT)",
  "CREATE INDEX t_name ON t (name)",
  "INSERT INTO t (name, score, data, doc) VALUES "
  "('alpha', 1.5, x'00ff10', '{\"a\":[1,2,{\"b\":null}],\"c\":\"x\"}'), "
  "('beta', -2, NULL, '[1,2,3]'), "
  "('gamma', 1e308, zeroblob(16), 'not json'), "
  "(NULL, NULL, x'', '{}')",
  "CREATE TABLE kv (k TEXT PRIMARY KEY, v ANY, n INTEGER NOT NULL DEFAULT 0 "
  "CHECK (n >= 0)) WITHOUT ROWID",
  "INSERT INTO kv (k, v, n) VALUES ('one', 1, 1), ('two', 'deux', 2), "
  "('three', 3.0, 3)",
  "CREATE TABLE s (a INTEGER, b TEXT, c REAL) STRICT",
  "CREATE TABLE child (id INTEGER PRIMARY KEY, "
  "parent INTEGER REFERENCES t (id) ON DELETE CASCADE, note TEXT)",
  "INSERT INTO child (parent, note) VALUES (1, 'first'), (2, 'second')",
  "CREATE TABLE log (at INTEGER, what TEXT)",
  "CREATE TRIGGER t_log AFTER INSERT ON t BEGIN "
  "INSERT INTO log VALUES (new.id, 'insert ' || new.name); END",
  "CREATE VIEW t_view AS SELECT id, upper(name) AS name, "
  "json_extract(doc, '$.a') AS a FROM t",
  "CREATE VIRTUAL TABLE ft USING fts5 (title, body)",
  "INSERT INTO ft (title, body) VALUES "
  "('sqlite sandbox', 'the quick brown fox jumps over the lazy dog'), "
  "('redis queue', 'jobs wait in a list until a worker takes them'), "
  "('ledger', 'exactly once writes record the reply')",
  "CREATE VIRTUAL TABLE f4 USING fts4 (content, tokenize=porter)",
  "INSERT INTO f4 (content) VALUES ('running runners ran'), "
  "('full text search')",
  "CREATE VIRTUAL TABLE rt USING rtree (id, x0, x1, y0, y1)",
  "INSERT INTO rt VALUES (1, 0, 10, 0, 10), (2, 5, 15, 5, 15)",
};

[[noreturn]] void fail(const char* what, std::string_view detail)
{
  std::fprintf(stderr,
               "invariant broken: %s\n%.*s\n",
               what,
               static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

void check(bool condition, const char* what, std::string_view detail = {})
{
  if (!condition) {
    fail(what, detail);
  }
}

std::uint64_t reset_every()
{
  static const std::uint64_t every = [] {
    const char* text = std::getenv("JQ_FUZZ_RESET_EVERY");
    const long long value = text == nullptr ? 0 : std::atoll(text);
    return value > 0 ? static_cast<std::uint64_t>(value)
                     : k_reset_every_default;
  }();
  return every;
}

// JQ_FUZZ_VERBOSE=1: print each input's reply or error (to look at a
// corpus, not while fuzzing).
bool is_verbose()
{
  static const bool verbose = std::getenv("JQ_FUZZ_VERBOSE") != nullptr;
  return verbose;
}

double max_seconds()
{
  static const double seconds = [] {
    const char* text = std::getenv("JQ_FUZZ_MAX_SECONDS");
    const double value = text == nullptr ? 0 : std::atof(text);
    return value > 0 ? value : k_max_seconds_default;
  }();
  return seconds;
}

jq::sql::Request make_request(std::string sql, jq::sql::Params params = {})
{
  jq::sql::Request request;
  request.db = k_db;
  request.sql = std::move(sql);
  request.params = std::move(params);
  return request;
}

// A reply: the JSON text Executor::run returns, and its value.
struct Reply
{
  std::string text;
  json value;
};

// Run `request`; the reply's text must be JSON.
Reply run_job(jq::sql::Executor& executor,
              const jq::sql::Request& request,
              const jq::sql::RunOptions& options)
{
  Reply reply;
  reply.text = executor.run(request, options);
  reply.value = json::parse(reply.text, nullptr, false);
  check(!reply.value.is_discarded(),
        "the reply is not JSON text",
        request.sql + "\n" + reply.text.substr(0, 4096));
  return reply;
}

// A run of the harness's own SQL, which must succeed, unless SQLite is
// out of memory (an input may have filled the database up to the limit;
// the next input starts on a new one).
std::optional<Reply> run_own(jq::sql::Executor& executor,
                             const jq::sql::Request& request,
                             const char* what,
                             const std::string& key = {})
{
  jq::sql::RunOptions options;
  options.idempotency_key = key;
  try {
    return run_job(executor, request, options);
  } catch (const jq::SqlError& e) {
    if (e.code() == SQLITE_NOMEM) {
      return std::nullopt;
    }
    fail(what, request.sql + "\n" + e.kind() + ": " + e.what());
  } catch (const jq::Error& e) {
    fail(what, request.sql + "\n" + e.kind() + ": " + e.what());
  }
}

std::unique_ptr<jq::sql::Executor> open_executor()
{
  static bool is_limited = false;
  if (!is_limited) {
    jq::sql::sqlite::set_memory_limit(k_memory_limit);
    is_limited = true;
  }
  auto executor = std::make_unique<jq::sql::Executor>(
    std::vector<jq::sql::DatabaseSpec>{{k_db, ":memory:", false}}, limits());
  int n = 0;
  for (const char* sql : k_seed) {
    // With a key: the ledger exists from the start.
    check(run_own(*executor,
                  make_request(sql),
                  "a seed statement failed",
                  "seed-" + std::to_string(n++))
            .has_value(),
          "a seed statement ran out of memory",
          sql);
  }
  return executor;
}

// The reply's shape (engine.hpp, Session::run).
void check_reply(const json& reply, const std::string& sql)
{
  check(reply.is_object() && reply.size() == 4,
        "reply is not an object of 4 members",
        sql + "\n" + jq::dump_json(reply));
  const auto columns = reply.find("columns");
  const auto rows = reply.find("rows");
  const auto changes = reply.find("changes");
  const auto rowid = reply.find("last_insert_rowid");
  check(columns != reply.end() && columns->is_array(),
        "reply: columns missing or not an array",
        sql);
  for (const auto& column : *columns) {
    check(column.is_string(), "reply: a column name is not a string", sql);
  }
  check(rows != reply.end() && rows->is_array(),
        "reply: rows missing or not an array",
        sql);
  check(
    rows->size() <= limits().max_rows, "reply: more rows than max_rows", sql);
  for (const auto& row : *rows) {
    check(row.is_array() && row.size() == columns->size(),
          "reply: a row is not an array as wide as columns",
          sql + "\n" + jq::dump_json(reply).substr(0, 4096));
    for (const auto& value : row) {
      check(!value.is_array()
              && (!value.is_object()
                  || (value.size() == 1 && value.contains("$base64"))),
            "reply: a value is neither a scalar nor a blob",
            sql);
    }
  }
  check(changes != reply.end() && changes->is_number_integer()
          && changes->get<std::int64_t>() >= 0,
        "reply: changes missing, not an integer or negative",
        sql);
  check(rowid != reply.end() && rowid->is_number_integer(),
        "reply: last_insert_rowid missing or not an integer",
        sql);
}

std::optional<std::int64_t> total_changes(jq::sql::Executor& executor)
{
  const auto reply = run_own(executor,
                             make_request("SELECT total_changes()"),
                             "SELECT total_changes() failed");
  if (!reply) {
    return std::nullopt;
  }
  return reply->value.at("rows").at(0).at(0).get<std::int64_t>();
}

// What an input may not leave behind, whatever it did.
void check_state(jq::sql::Executor& executor, std::uint64_t count)
{
  // A write still begins its own transaction: the job left none open.
  if (!run_own(executor,
               make_request("PRAGMA user_version = 7"),
               "a write after the input failed (transaction left open?)")) {
    return;
  }
  const auto found = run_own(
    executor,
    make_request(
      "SELECT (SELECT count(*) FROM temp.sqlite_master), "
      "(SELECT group_concat(type || ' ' || name, ', ') FROM main.sqlite_master "
      "WHERE name NOT IN ('_jq_ledger', '_jq_ledger_created') "
      "AND name NOT LIKE 'sqlite\\_autoindex%' "
      "ESCAPE '\\' AND (instr(lower(coalesce(sql, '')), '_jq_ledger') > 0 "
      "OR tbl_name = '_jq_ledger' COLLATE NOCASE))"),
    "the check of the schema failed");
  if (!found) {
    return;
  }
  const json& state = found->value;
  const json& row = state.at("rows").at(0);
  check(row.at(0) == 0,
        "a TEMP object exists after the input",
        jq::dump_json(state));
  check(
    row.at(1).is_null(), "an object names the ledger", jq::dump_json(state));
  if (count % 64 == 0) {
    try {
      fail("a job read the ledger",
           executor.run(make_request("SELECT count(*) FROM _jq_ledger")));
    } catch (const jq::SqlError& e) {
      check(e.code() == SQLITE_AUTH || e.code() == SQLITE_NOMEM,
            "reading the ledger failed other than by the sandbox",
            e.what());
    }
  }
}

// The request in the input, or nothing when the job data is refused (as
// the worker refuses it).
std::optional<jq::sql::Request> read_request(std::string_view input)
{
  const auto nul = input.find('\0');
  const std::string_view sql = input.substr(0, nul);
  json data = {{"db", k_db}, {"sql", std::string(sql)}};
  if (nul != std::string_view::npos) {
    json params = jq::parse_untrusted_json(input.substr(nul + 1));
    if (!params.is_discarded()) {
      bool is_rows = params.is_array() && !params.empty();
      for (const auto& row : params) {
        is_rows = is_rows && row.is_object() && !row.contains("$base64");
      }
      // `value` is the seed's alias: an array of arrays is rows.
      data[is_rows ? "rows" : "value"] = std::move(params);
    }
  }
  try {
    return jq::sql::parse_request(data);
  } catch (const jq::ProtocolError&) {
    return std::nullopt;
  }
}

// Words for the mutator: SQLite is not instrumented, so libFuzzer sees no
// coverage inside it and would rarely find SQL syntax by flipping bytes.
// clang-format off
constexpr std::string_view k_words[] = {
  // Statements and clauses.
  "SELECT", "FROM", "WHERE", "GROUP BY", "HAVING", "ORDER BY", "LIMIT",
  "OFFSET", "UNION ALL", "EXCEPT", "INTERSECT", "VALUES", "DISTINCT",
  "INSERT INTO", "INSERT OR REPLACE INTO", "REPLACE INTO", "UPDATE", "SET",
  "DELETE FROM", "RETURNING *", "ON CONFLICT DO NOTHING",
  "ON CONFLICT (k) DO UPDATE SET", "DEFAULT VALUES", "WITH RECURSIVE",
  "AS MATERIALIZED", "JOIN", "LEFT JOIN", "CROSS JOIN", "FULL JOIN", "USING",
  "NATURAL", "CASE WHEN", "THEN", "ELSE", "END", "EXISTS", "IN", "NOT",
  "BETWEEN", "IS NULL", "COLLATE NOCASE", "ESCAPE", "CAST(", "AS", "OVER (",
  "PARTITION BY", "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW",
  "FILTER (WHERE", "INDEXED BY", "NOT INDEXED", "EXPLAIN", "EXPLAIN QUERY PLAN",
  "RAISE(ABORT, 'x')",
  // Schema changes.
  "CREATE TABLE", "CREATE TABLE IF NOT EXISTS", "CREATE TEMP TABLE",
  "CREATE INDEX", "CREATE UNIQUE INDEX", "CREATE VIEW", "CREATE TRIGGER",
  "AFTER INSERT ON", "BEFORE DELETE ON", "INSTEAD OF UPDATE ON",
  "FOR EACH ROW BEGIN", "; END", "CREATE VIRTUAL TABLE", "USING fts5(",
  "USING fts4(", "USING fts3tokenize(", "USING fts5vocab(", "USING fts4aux(",
  "USING rtree(", "content=", "tokenize=", "DROP TABLE", "DROP VIEW",
  "DROP TRIGGER", "DROP INDEX", "ALTER TABLE", "RENAME TO", "RENAME COLUMN",
  "ADD COLUMN", "DROP COLUMN", "PRIMARY KEY", "WITHOUT ROWID", "STRICT",
  "GENERATED ALWAYS AS (", "REFERENCES", "ON DELETE CASCADE", "CHECK (",
  "UNIQUE", "NOT NULL", "AUTOINCREMENT",
  // Off limits.
  "ATTACH", "DETACH", "VACUUM", "VACUUM INTO", "BEGIN", "COMMIT", "ROLLBACK",
  "SAVEPOINT x", "RELEASE x", "ANALYZE", "REINDEX", "PRAGMA",
  "PRAGMA writable_schema", "PRAGMA table_info(", "PRAGMA foreign_keys=1",
  "PRAGMA defer_foreign_keys=1", "PRAGMA case_sensitive_like=1",
  "PRAGMA user_version=", "PRAGMA journal_mode=", "PRAGMA integrity_check",
  "PRAGMA optimize", "pragma_table_info(", "pragma_function_list",
  "load_extension(", "fts3_tokenizer(", "fts5(", "rtreenode(", "sqlite_stmt",
  "_jq_ledger", "main.", "temp.", "sqlite_master", "sqlite_schema",
  "sqlite_sequence", "sqlite_stat1",
  // The seed schema.
  " t ", " kv ", " s ", " child ", " log ", " t_view ", " ft ", " f4 ",
  " rt ", "id", "name", "score", "data", "doc", "rowid", "new.", "old.",
  // Functions.
  "printf(", "format(", "'%*.*c'", "'%.*c'", "'%!.20000q'", "'%-*s'",
  "zeroblob(", "randomblob(", "replace(", "substr(", "group_concat(",
  "string_agg(", "json(", "json_extract(", "json_each(", "json_tree(",
  "json_object(", "json_array(", "json_group_array(", "json_patch(",
  "json_set(", "json_remove(", "json_insert(", "->", "->>", "'$.a[#-1]'",
  "highlight(", "snippet(", "bm25(", "offsets(", "matchinfo(", "MATCH",
  "'NEAR(a b, 2)'", "'x*'", "rank", "unhex(", "hex(", "quote(", "char(",
  "unicode(", "trim(", "ltrim(", "rtrim(", "optimize(", "length(", "octet_length(", "instr(", "like(", "glob(",
  "soundex(", "strftime(", "datetime(", "julianday(", "unixepoch(", "date(",
  "'now'", "'subsec'", "'+1000000 years'", "round(", "abs(", "sum(",
  "total(", "avg(", "count(*)", "max(", "min(", "row_number()", "ntile(",
  "lag(", "nth_value(", "changes()", "total_changes()",
  "last_insert_rowid()", "sqlite_version()", "sqlite_offset(", "iif(",
  "coalesce(", "typeof(", "likely(", "random()", "pow(", "log(", "concat(",
  "concat_ws(",
  // Values and punctuation.
  "?", "?1", "?999", ":a", "@a", "$a", "NULL", "0", "-1",
  "9223372036854775807", "-9223372036854775808", "1e308", "-0.0",
  "x'00'", "x'ff'", "''", "'a'", "\"x\"", "[x]", "`x`", "(", ")", ",", ";",
  "*", "||", "=", "<>", "+", "/", "%", "<<", ">>", "&", "~", "--", "/*", "*/",
  "1000000", "2147483647", "4294967296",
};
// clang-format on

} // namespace

extern "C" std::size_t
LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

// libFuzzer's own mutations, and now and then a word of SQL put into (or
// over part of) the SQL text, before the NUL that starts the parameters.
extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data,
                                               std::size_t size,
                                               std::size_t max_size,
                                               unsigned int seed)
{
  std::uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  const auto next = [&state](std::uint64_t bound) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return bound == 0 ? 0 : state % bound;
  };
  if (size == 0 || next(3) != 0) {
    size = LLVMFuzzerMutate(data, size, max_size);
  }
  if (next(2) == 0) {
    return size;
  }
  const std::string_view word = k_words[next(std::size(k_words))];
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::size_t sql_end = std::min(text.find('\0'), size);
  const std::size_t at = next(sql_end + 1);
  // Replace up to 8 bytes there, or none.
  const std::size_t cut =
    std::min<std::size_t>(next(3) == 0 ? next(9) : 0, sql_end - at);
  const bool spaced = next(2) == 0;
  const std::size_t added = word.size() + (spaced ? 2 : 0);
  if (size - cut + added > max_size) {
    return size;
  }
  std::memmove(data + at + added, data + at + cut, size - at - cut);
  std::uint8_t* out = data + at;
  if (spaced) {
    *out++ = ' ';
  }
  std::memcpy(out, word.data(), word.size());
  if (spaced) {
    out[word.size()] = ' ';
  }
  return size - cut + added;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes,
                                      std::size_t size)
{
  static std::unique_ptr<jq::sql::Executor> executor;
  static std::uint64_t count = 0;
  ++count;
  if (!executor || count % reset_every() == 0
      || sqlite3_memory_used() > k_reset_memory) {
    executor.reset();
    executor = open_executor();
  }

  const std::string_view input(reinterpret_cast<const char*>(bytes), size);
  const auto request = read_request(input);
  if (!request) {
    return 0;
  }

  // Most inputs write under a key of their own (the ledger's path); some
  // without one.
  jq::sql::RunOptions options;
  if (size % 4 != 3) {
    options.idempotency_key = "fuzz-" + std::to_string(count);
  }
  const auto start = Clock::now();
  const auto deadline = start + k_time_limit;
  options.should_interrupt = [deadline] { return Clock::now() >= deadline; };

  std::optional<Reply> reply;
  try {
    reply = run_job(*executor, *request, options);
    if (is_verbose()) {
      std::fprintf(stderr, "ok: %s\n", reply->text.c_str());
    }
  } catch (const jq::Error& e) {
    // JobError (SqlError too), ProtocolError, UsageError: the job fails.
    // Another subclass of jq::Error is not expected from a job.
    check(dynamic_cast<const jq::JobError*>(&e) != nullptr
            || dynamic_cast<const jq::ProtocolError*>(&e) != nullptr
            || dynamic_cast<const jq::UsageError*>(&e) != nullptr,
          "an unexpected kind of jq::Error",
          std::string(e.kind()) + ": " + e.what());
    if (is_verbose()) {
      std::fprintf(stderr, "%s: %s\n", e.kind(), e.what());
    }
  }

  const std::chrono::duration<double> took = Clock::now() - start;
  check(took.count() <= max_seconds(),
        "the job ran on long after its deadline (interruption ignored)",
        std::to_string(took.count()) + "s: " + request->sql.substr(0, 4096));

  if (reply) {
    check_reply(reply->value, request->sql);
    // A write that changed rows was recorded: the same key again returns
    // the recorded reply and writes nothing.
    if (!options.idempotency_key.empty()
        && reply->value.at("changes").get<std::int64_t>() > 0) {
      const auto before = total_changes(*executor);
      const auto replayed =
        before ? run_own(*executor,
                         *request,
                         "a recorded write failed when delivered again",
                         options.idempotency_key)
               : std::nullopt;
      const auto after = replayed ? total_changes(*executor) : std::nullopt;
      if (after) {
        check(replayed->text == reply->text,
              "a write delivered again returned another reply",
              request->sql + "\n" + reply->text + "\n" + replayed->text);
        check(*after == *before,
              "a write delivered again changed rows",
              request->sql);
      }
    }
  }

  check_state(*executor, count);
  return 0;
}
