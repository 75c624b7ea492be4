#include "printf_guard.hpp"

#include <jq/core/error.hpp>

#include <sqlite3.h>

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

} // namespace

void PrintfGuard::Close::operator()(sqlite3* handle) const noexcept
{
  sqlite3_close_v2(handle);
}

PrintfGuard::PrintfGuard(sqlite3* handle, int max_length)
  : m_max_length(max_length)
{
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(
    ":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  m_formatter.reset(raw);
  if (rc != SQLITE_OK) {
    throw SqlError(sqlite3_errstr(rc), rc, rc);
  }
  sqlite3_limit(raw, SQLITE_LIMIT_LENGTH, max_length);
  // As SQLite registers its own: usable from views and triggers under an
  // untrusted schema, and foldable as a constant.
  const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  for (const char* name : {"printf", "format"}) {
    const int created = sqlite3_create_function_v2(handle,
                                                   name,
                                                   -1,
                                                   flags,
                                                   this,
                                                   &PrintfGuard::call,
                                                   nullptr,
                                                   nullptr,
                                                   nullptr);
    if (created != SQLITE_OK) {
      throw SqlError(sqlite3_errmsg(handle), created, created);
    }
  }
}

PrintfGuard::~PrintfGuard() = default;

void PrintfGuard::call(sqlite3_context* context, int argc, sqlite3_value** argv)
{
  auto& guard = *static_cast<PrintfGuard*>(sqlite3_user_data(context));
  if (argc >= 1) {
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
  }
  const auto arity = static_cast<std::size_t>(argc);
  if (guard.m_calls.size() <= arity) {
    guard.m_calls.resize(arity + 1);
  }
  StatementPtr& statement = guard.m_calls[arity];
  if (!statement) {
    std::string sql = "SELECT printf(";
    for (int i = 1; i <= argc; ++i) {
      sql += (i == 1 ? "?" : ", ?") + std::to_string(i);
    }
    sql += ")";
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(
          guard.m_formatter.get(), sql.c_str(), -1, &raw, nullptr)
        != SQLITE_OK) {
      sqlite3_result_error(
        context, sqlite3_errmsg(guard.m_formatter.get()), -1);
      return;
    }
    statement.reset(raw);
  }
  sqlite3_stmt* run = statement.get();
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
    sqlite3_result_error(context, sqlite3_errmsg(guard.m_formatter.get()), -1);
  }
  sqlite3_reset(run);
  sqlite3_clear_bindings(run);
}

} // namespace jq::sql::sqlite
