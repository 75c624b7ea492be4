#include "bind.hpp"

#include <jq/core/error.hpp>
#include <jq/sql/parameter_matching.hpp>

#include <fmt/format.h>

#include <sqlite3.h>

#include <string>
#include <string_view>
#include <vector>

namespace jq::sql::sqlite {

namespace {

// Where a parameter is, for messages: its 1-based position or its name.
struct Slot
{
  std::size_t position = 0;
  const std::string* name = nullptr;

  std::string str() const
  {
    return name != nullptr ? fmt::format("parameter '{}'", *name)
                           : fmt::format("parameter {}", position);
  }
};

void check(sqlite3_stmt* statement, int rc, const Slot& slot)
{
  if (rc == SQLITE_OK) {
    return;
  }
  sqlite3* handle = sqlite3_db_handle(statement);
  if (rc == SQLITE_TOOBIG) {
    throw SqlError(
      fmt::format("{}: {}: longer than --max-value-bytes ({} bytes)",
                  slot.str(),
                  sqlite3_errstr(rc),
                  sqlite3_limit(handle, SQLITE_LIMIT_LENGTH, -1)),
      rc,
      rc);
  }
  throw SqlError(fmt::format("{}: {}", slot.str(), sqlite3_errstr(rc)),
                 rc,
                 sqlite3_extended_errcode(handle));
}

void bind_value(sqlite3_stmt* statement,
                int index,
                const Value& value,
                const Slot& slot)
{
  struct Binder
  {
    sqlite3_stmt* statement;
    int index;

    int operator()(std::monostate) const
    {
      return sqlite3_bind_null(statement, index);
    }
    int operator()(bool v) const
    {
      return sqlite3_bind_int64(statement, index, v ? 1 : 0);
    }
    int operator()(std::int64_t v) const
    {
      return sqlite3_bind_int64(statement, index, v);
    }
    int operator()(double v) const
    {
      return sqlite3_bind_double(statement, index, v);
    }
    int operator()(const std::string& v) const
    {
      return sqlite3_bind_text64(
        statement, index, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
    }
    int operator()(const Blob& v) const
    {
      return sqlite3_bind_blob64(
        statement, index, v.bytes.data(), v.bytes.size(), SQLITE_STATIC);
    }
  };
  check(statement, std::visit(Binder{statement, index}, value), slot);
}

// The statement's index for the named parameter `key`; 0 when there is no
// such parameter.
int parameter_index(sqlite3_stmt* statement, const std::string& key)
{
  return static_cast<int>(find_named(
    key,
    [&](const std::string& name) {
      return static_cast<std::size_t>(
        sqlite3_bind_parameter_index(statement, name.c_str()));
    },
    0));
}

} // namespace

void bind_params(sqlite3_stmt* statement, const Params& params)
{
  const int count = sqlite3_bind_parameter_count(statement);
  if (params.kind != Params::Kind::named) {
    const std::size_t given = params.values.size();
    check_positional_count(static_cast<std::size_t>(count), given);
    for (std::size_t i = 0; i < given; ++i) {
      bind_value(statement, static_cast<int>(i + 1), params.values[i], {i + 1});
    }
    return;
  }

  std::vector<bool> is_bound(static_cast<std::size_t>(count) + 1, false);
  for (std::size_t i = 0; i < params.values.size(); ++i) {
    const std::string& key = params.names[i];
    const int index = parameter_index(statement, key);
    if (index == 0) {
      throw JobError(
        fmt::format("the statement has no parameter named '{}'", key));
    }
    bind_value(statement, index, params.values[i], {0, &key});
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

} // namespace jq::sql::sqlite
