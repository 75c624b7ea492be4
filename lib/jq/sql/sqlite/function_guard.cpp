#include "function_guard.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jq::sql::sqlite {

namespace {

// The most characters SQLite's printf() is asked to produce by the widths
// and precisions in `format` (arguments `args`, for `*`), stopping once
// past `limit`. Parses as SQLite's printf does: flags, width (digits or
// `*`), precision (`.` then digits or `*`), length modifiers, conversion.
// The precision of a string conversion only shortens it and is not
// counted.
std::int64_t asked_length(std::string_view format,
                          sqlite3_value** args,
                          int arg_count,
                          std::int64_t limit)
{
  int next_arg = 0;
  const auto int_arg = [&]() -> std::int64_t {
    return next_arg < arg_count ? sqlite3_value_int64(args[next_arg++]) : 0;
  };
  const auto digits = [&](std::size_t& i) {
    std::int64_t value = 0;
    while (i < format.size() && format[i] >= '0' && format[i] <= '9') {
      value = std::min<std::int64_t>(value * 10 + (format[i] - '0'),
                                     std::int64_t{1} << 40);
      ++i;
    }
    return value;
  };
  const auto magnitude = [](std::int64_t value) {
    return value < 0 ? (value == INT64_MIN ? INT64_MAX : -value) : value;
  };
  std::int64_t total = 0;
  for (std::size_t i = 0; i < format.size() && total <= limit; ++i) {
    if (format[i] != '%') {
      continue;
    }
    ++i;
    while (i < format.size()
           && std::string_view("-+ #!0,").find(format[i])
                != std::string_view::npos) {
      ++i;
    }
    std::int64_t width = 0;
    if (i < format.size() && format[i] == '*') {
      width = magnitude(int_arg());
      ++i;
    } else {
      width = digits(i);
    }
    std::int64_t precision = 0;
    if (i < format.size() && format[i] == '.') {
      ++i;
      if (i < format.size() && format[i] == '*') {
        precision = magnitude(int_arg());
        ++i;
      } else {
        precision = digits(i);
      }
    }
    while (i < format.size() && format[i] == 'l') {
      ++i;
    }
    if (i >= format.size()) {
      break;
    }
    const char conversion = format[i];
    if (conversion == '%' || conversion == 'n') {
      continue; // no value converted
    }
    if (std::string_view("diuxXofeEgGzsqQwcp").find(conversion)
        == std::string_view::npos) {
      break; // SQLite's printf() stops at an unknown conversion
    }
    ++next_arg; // the value converted
    const bool is_string =
      std::string_view("sqQwz").find(conversion) != std::string_view::npos;
    total += std::min(width, limit + 1);
    if (!is_string) {
      total += std::min(precision, limit + 1);
    }
  }
  return total;
}

enum class Rule {
  // printf(): the widths and precisions of its format add up to at most
  // the length limit.
  widths,
  // A pattern search: the length of its text times that of its pattern is
  // at most `budget`.
  search,
};

// One guarded function, and how its call is made once it passed.
struct Guarded
{
  const char* name;
  int argc; // -1: any number
  Rule rule;
  // For a search: the argument searched, the one searched for, and the
  // most work one call may do (the product of their lengths in bytes;
  // each about a second of the worst case, measured).
  int text = 0;
  int pattern = 1;
  std::int64_t budget = 0;
  // like() and glob() are called straight (sqlite3_strlike/strglob); the
  // others run SQLite's own on the private connection.
  bool is_like = false;
  bool is_glob = false;
};

constexpr std::int64_t k_giga = 1'000'000'000;

constexpr std::array<Guarded, 11> k_guarded = {{
  {"printf", -1, Rule::widths},
  {"format", -1, Rule::widths},
  {"instr", 2, Rule::search, 0, 1, 50 * k_giga},
  {"replace", 3, Rule::search, 0, 1, 50 * k_giga},
  {"trim", 2, Rule::search, 0, 1, k_giga / 2},
  {"ltrim", 2, Rule::search, 0, 1, k_giga / 2},
  {"rtrim", 2, Rule::search, 0, 1, k_giga / 2},
  {"json_patch", 2, Rule::search, 0, 1, 250 * k_giga},
  // like(PATTERN, TEXT[, ESCAPE]) and glob(PATTERN, TEXT): the operators
  // `TEXT LIKE PATTERN` and `TEXT GLOB PATTERN` call them.
  {"like", 2, Rule::search, 1, 0, k_giga, true},
  {"like", 3, Rule::search, 1, 0, k_giga, true},
  {"glob", 2, Rule::search, 1, 0, k_giga, false, true},
}};

// What one registered function knows: its guard, its rule, and (for a
// fixed number of arguments) its prepared call on the private connection.
struct Registration
{
  FunctionGuard* guard;
  const Guarded* guarded;
  StatementPtr call;
};

// Bind `value` to `statement` at `index` without copying: the value lives
// for the call, and the statement is reset before it returns.
int bind_in_place(sqlite3_stmt* statement, int index, sqlite3_value* value)
{
  switch (sqlite3_value_type(value)) {
  case SQLITE_INTEGER:
    return sqlite3_bind_int64(statement, index, sqlite3_value_int64(value));
  case SQLITE_FLOAT:
    return sqlite3_bind_double(statement, index, sqlite3_value_double(value));
  case SQLITE_TEXT:
    return sqlite3_bind_text(
      statement,
      index,
      reinterpret_cast<const char*>(sqlite3_value_text(value)),
      sqlite3_value_bytes(value),
      SQLITE_STATIC);
  case SQLITE_BLOB:
    return sqlite3_bind_blob(statement,
                             index,
                             sqlite3_value_blob(value),
                             sqlite3_value_bytes(value),
                             SQLITE_STATIC);
  default:
    return sqlite3_bind_null(statement, index);
  }
}

// The one character of a LIKE's ESCAPE text, as a code point; nullopt when
// it is not one character.
std::optional<unsigned> single_character(std::string_view text)
{
  if (text.empty()) {
    return std::nullopt;
  }
  const auto lead = static_cast<unsigned char>(text[0]);
  const std::size_t length = lead < 0xc0   ? 1
                             : lead < 0xe0 ? 2
                             : lead < 0xf0 ? 3
                                           : 4;
  if (text.size() != length) {
    return std::nullopt;
  }
  if (length == 1) {
    return lead;
  }
  unsigned code = lead & (0x3fu >> (length - 1));
  for (std::size_t i = 1; i < length; ++i) {
    code = (code << 6) | (static_cast<unsigned char>(text[i]) & 0x3fu);
  }
  return code;
}

// SQLite's like() and glob(), called straight (built as SQLite builds them
// here: case-insensitive LIKE, and no match for blobs).
void pattern_match(sqlite3_context* context,
                   const Guarded& guarded,
                   int argc,
                   sqlite3_value** argv)
{
  if (sqlite3_value_type(argv[0]) == SQLITE_BLOB
      || sqlite3_value_type(argv[1]) == SQLITE_BLOB) {
    sqlite3_result_int(context, 0);
    return;
  }
  const auto* pattern =
    reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[1]));
  sqlite3* handle = sqlite3_context_db_handle(context);
  if (sqlite3_value_bytes(argv[0])
      > sqlite3_limit(handle, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, -1)) {
    sqlite3_result_error(context, "LIKE or GLOB pattern too complex", -1);
    return;
  }
  unsigned escape = 0;
  if (argc == 3) {
    const auto* given =
      reinterpret_cast<const char*>(sqlite3_value_text(argv[2]));
    if (given == nullptr) {
      return; // NULL
    }
    const auto character = single_character(std::string_view(
      given, static_cast<std::size_t>(sqlite3_value_bytes(argv[2]))));
    if (!character) {
      sqlite3_result_error(
        context, "ESCAPE expression must be a single character", -1);
      return;
    }
    escape = *character;
  }
  if (pattern == nullptr || text == nullptr) {
    return; // NULL
  }
  const int result = guarded.is_glob ? sqlite3_strglob(pattern, text)
                                     : sqlite3_strlike(pattern, text, escape);
  sqlite3_result_int(context, result == 0 ? 1 : 0);
}

} // namespace

struct FunctionGuard::Registrations
{
  std::vector<std::unique_ptr<Registration>> entries;
};

void FunctionGuard::Close::operator()(sqlite3* handle) const noexcept
{
  sqlite3_close_v2(handle);
}

FunctionGuard::FunctionGuard(sqlite3* handle,
                             int max_length,
                             std::function<bool()> is_interrupted)
  : m_max_length(max_length),
    m_is_interrupted(std::move(is_interrupted)),
    m_registrations(std::make_unique<Registrations>())
{
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(
    ":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  m_originals.reset(raw);
  if (rc != SQLITE_OK) {
    throw SqlError(sqlite3_errstr(rc), rc, rc);
  }
  sqlite3_limit(raw, SQLITE_LIMIT_LENGTH, max_length);
  // As SQLite registers its own: usable from views and triggers under an
  // untrusted schema, and foldable as constants.
  const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  for (const auto& guarded : k_guarded) {
    auto& registration = m_registrations->entries.emplace_back(
      std::make_unique<Registration>(Registration{this, &guarded, nullptr}));
    const int created = sqlite3_create_function_v2(handle,
                                                   guarded.name,
                                                   guarded.argc,
                                                   flags,
                                                   registration.get(),
                                                   &FunctionGuard::call,
                                                   nullptr,
                                                   nullptr,
                                                   nullptr);
    if (created != SQLITE_OK) {
      throw SqlError(sqlite3_errmsg(handle), created, created);
    }
  }
}

FunctionGuard::~FunctionGuard() = default;

sqlite3_stmt* FunctionGuard::original(const char* name, int argc)
{
  StatementPtr& statement = m_variadic_calls[{name, argc}];
  if (!statement) {
    statement = prepare_original(name, argc);
  }
  return statement.get();
}

StatementPtr FunctionGuard::prepare_original(const char* name, int argc)
{
  std::string sql = fmt::format("SELECT {}(", name);
  for (int i = 1; i <= argc; ++i) {
    sql += fmt::format("{}?{}", i == 1 ? "" : ", ", i);
  }
  sql += ")";
  sqlite3_stmt* raw = nullptr;
  sqlite3_prepare_v2(m_originals.get(), sql.c_str(), -1, &raw, nullptr);
  return StatementPtr(raw);
}

void FunctionGuard::call(sqlite3_context* context,
                         int argc,
                         sqlite3_value** argv)
{
  auto& registration = *static_cast<Registration*>(sqlite3_user_data(context));
  FunctionGuard& guard = *registration.guard;
  const Guarded& guarded = *registration.guarded;

  // Between two calls is where a statement calling this once a row is
  // stopped in time.
  if (guard.m_is_interrupted && guard.m_is_interrupted()) {
    sqlite3_result_error_code(context, SQLITE_INTERRUPT);
    return;
  }
  if (guarded.rule == Rule::widths) {
    if (argc >= 1) {
      const auto* text =
        reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
      if (text == nullptr && sqlite3_value_type(argv[0]) != SQLITE_NULL) {
        sqlite3_result_error_nomem(context);
        return;
      }
      if (text != nullptr) {
        const std::string_view format(
          text, static_cast<std::size_t>(sqlite3_value_bytes(argv[0])));
        if (asked_length(format, argv + 1, argc - 1, guard.m_max_length)
            > guard.m_max_length) {
          sqlite3_result_error_toobig(context);
          return;
        }
      }
    }
  } else {
    const std::int64_t text = sqlite3_value_bytes(argv[guarded.text]);
    const std::int64_t pattern = sqlite3_value_bytes(argv[guarded.pattern]);
    if (pattern > 0 && text > guarded.budget / pattern) {
      const std::string reason = fmt::format(
        "{}() on a text of {} bytes with a pattern of {} bytes is more work "
        "than one call may do ({} byte comparisons); use shorter values, or "
        "full-text search",
        guarded.name,
        text,
        pattern,
        guarded.budget);
      sqlite3_result_error(context, reason.c_str(), -1);
      return;
    }
    if (guarded.is_like || guarded.is_glob) {
      pattern_match(context, guarded, argc, argv);
      return;
    }
  }

  sqlite3_stmt* run = nullptr;
  if (guarded.argc < 0) {
    run = guard.original(guarded.name, argc);
  } else {
    if (!registration.call) {
      registration.call = guard.prepare_original(guarded.name, argc);
    }
    run = registration.call.get();
  }
  if (run == nullptr) {
    sqlite3_result_error(context, sqlite3_errmsg(guard.m_originals.get()), -1);
    return;
  }
  for (int i = 0; i < argc; ++i) {
    bind_in_place(run, i + 1, argv[i]);
  }
  const int rc = sqlite3_step(run);
  if (rc == SQLITE_ROW) {
    sqlite3_result_value(context, sqlite3_column_value(run, 0));
    if (std::string_view(guarded.name) == "json_patch") {
      sqlite3_result_subtype(context, 'J'); // JSON, not a string of it
    }
  } else if (rc == SQLITE_TOOBIG) {
    sqlite3_result_error_toobig(context);
  } else if (rc == SQLITE_NOMEM) {
    sqlite3_result_error_nomem(context);
  } else {
    sqlite3_result_error(context, sqlite3_errmsg(guard.m_originals.get()), -1);
  }
  sqlite3_reset(run);
  sqlite3_clear_bindings(run);
}

} // namespace jq::sql::sqlite
