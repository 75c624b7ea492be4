#include "function_guard.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

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
    if (conversion == '%') {
      continue;
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
  // at most k_max_search_work.
  search,
};

// One guarded function.
struct Guarded
{
  const char* name;
  int argc; // -1: any number
  Rule rule;
  int text = 0;    // for a search, the argument searched
  int pattern = 1; // and the one searched for
};

constexpr std::array<Guarded, 10> k_guarded = {{
  {"printf", -1, Rule::widths},
  {"format", -1, Rule::widths},
  {"instr", 2, Rule::search},
  {"replace", 3, Rule::search},
  {"trim", 2, Rule::search},
  {"ltrim", 2, Rule::search},
  {"rtrim", 2, Rule::search},
  // like(PATTERN, TEXT[, ESCAPE]) and glob(PATTERN, TEXT): the operators
  // `TEXT LIKE PATTERN` and `TEXT GLOB PATTERN` call them.
  {"like", 2, Rule::search, 1, 0},
  {"like", 3, Rule::search, 1, 0},
  {"glob", 2, Rule::search, 1, 0},
}};

// What one registered function knows: its guard and its rule.
struct Registration
{
  FunctionGuard* guard;
  const Guarded* guarded;
};

std::int64_t bytes_of(sqlite3_value* value)
{
  return sqlite3_value_bytes(value);
}

} // namespace

void FunctionGuard::Close::operator()(sqlite3* handle) const noexcept
{
  sqlite3_close_v2(handle);
}

FunctionGuard::FunctionGuard(sqlite3* handle, int max_length)
  : m_max_length(max_length)
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
    auto* registration = new Registration{this, &guarded};
    const int created = sqlite3_create_function_v2(
      handle,
      guarded.name,
      guarded.argc,
      flags,
      registration,
      &FunctionGuard::call,
      nullptr,
      nullptr,
      [](void* data) { delete static_cast<Registration*>(data); });
    if (created != SQLITE_OK) {
      // SQLite called the destructor of `registration` already.
      throw SqlError(sqlite3_errmsg(handle), created, created);
    }
  }
}

FunctionGuard::~FunctionGuard() = default;

sqlite3_stmt* FunctionGuard::original(const char* name, int argc)
{
  StatementPtr& statement = m_calls[{name, argc}];
  if (!statement) {
    std::string sql = fmt::format("SELECT {}(", name);
    for (int i = 1; i <= argc; ++i) {
      sql += fmt::format("{}?{}", i == 1 ? "" : ", ", i);
    }
    sql += ")";
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(m_originals.get(), sql.c_str(), -1, &raw, nullptr)
        != SQLITE_OK) {
      return nullptr;
    }
    statement.reset(raw);
  }
  return statement.get();
}

void FunctionGuard::call(sqlite3_context* context,
                         int argc,
                         sqlite3_value** argv)
{
  const auto& registration =
    *static_cast<Registration*>(sqlite3_user_data(context));
  FunctionGuard& guard = *registration.guard;
  const Guarded& guarded = *registration.guarded;

  if (guarded.rule == Rule::widths && argc >= 1) {
    const auto* text =
      reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    if (text != nullptr) {
      const std::string_view format(
        text, static_cast<std::size_t>(sqlite3_value_bytes(argv[0])));
      if (asked_length(format, argv + 1, argc - 1, guard.m_max_length)
          > guard.m_max_length) {
        sqlite3_result_error_toobig(context);
        return;
      }
    }
  } else if (guarded.rule == Rule::search) {
    const std::int64_t text = bytes_of(argv[guarded.text]);
    const std::int64_t pattern = bytes_of(argv[guarded.pattern]);
    if (pattern > 0 && text > k_max_search_work / pattern) {
      const std::string reason = fmt::format(
        "{}() on a text of {} bytes with a pattern of {} bytes is more work "
        "than one call may do ({} byte comparisons); use shorter values, or "
        "full-text search",
        guarded.name,
        text,
        pattern,
        k_max_search_work);
      sqlite3_result_error(context, reason.c_str(), -1);
      return;
    }
  }

  sqlite3_stmt* run = guard.original(guarded.name, argc);
  if (run == nullptr) {
    sqlite3_result_error(context, sqlite3_errmsg(guard.m_originals.get()), -1);
    return;
  }
  for (int i = 0; i < argc; ++i) {
    sqlite3_bind_value(run, i + 1, argv[i]);
  }
  const int rc = sqlite3_step(run);
  if (rc == SQLITE_ROW) {
    sqlite3_result_value(context, sqlite3_column_value(run, 0));
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
