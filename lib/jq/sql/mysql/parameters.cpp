#include "parameters.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace jq::sql::mysql {

namespace {

// Where a named placeholder sits for `key`: an exact match for a key with
// its prefix, else the first of `:key`, `@key`, `$key` (as SQLite tries
// them); names.size() when none.
std::size_t find_named(const std::vector<std::string>& names,
                       const std::string& key)
{
  const auto at = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(names.begin(), names.end(), name)
                                    - names.begin());
  };
  if (!key.empty()
      && std::string_view(":@$").find(key[0]) != std::string::npos) {
    return at(key);
  }
  for (const char prefix : {':', '@', '$'}) {
    if (const auto index = at(prefix + key); index < names.size()) {
      return index;
    }
  }
  return names.size();
}

} // namespace

BoundParams::BoundParams(const TranslatedSql& sql,
                         const Params& params,
                         const Limits& limits)
  : m_parameters(sql.parameter_count)
{
  const std::size_t count = sql.parameter_count;
  if (params.kind != Params::Kind::named) {
    const std::size_t given = params.values.size();
    if (given != count) {
      throw JobError(
        fmt::format("the statement has {} parameter{} but {} {} given",
                    count,
                    count == 1 ? "" : "s",
                    given,
                    given == 1 ? "was" : "were"));
    }
    for (std::size_t i = 0; i < given; ++i) {
      set(m_parameters[i],
          params.values[i],
          fmt::format("parameter {}", i + 1),
          limits);
    }
  } else {
    std::vector<bool> is_bound(count, false);
    for (std::size_t i = 0; i < params.values.size(); ++i) {
      const std::string& key = params.names[i];
      const std::size_t index = find_named(sql.names, key);
      if (index >= count) {
        throw JobError(
          fmt::format("the statement has no parameter named '{}'", key));
      }
      set(m_parameters[index],
          params.values[i],
          fmt::format("parameter '{}'", key),
          limits);
      is_bound[index] = true;
    }
    for (std::size_t i = 0; i < count; ++i) {
      if (!is_bound[i]) {
        throw JobError(
          fmt::format("parameter '{}' has no value", sql.names[i]));
      }
    }
  }
  m_binds.resize(sql.slots.size());
  for (std::size_t i = 0; i < sql.slots.size(); ++i) {
    Parameter& parameter = m_parameters[sql.slots[i]];
    MYSQL_BIND& bind = m_binds[i];
    bind = MYSQL_BIND{};
    bind.buffer_type = parameter.type;
    switch (parameter.type) {
    case MYSQL_TYPE_LONGLONG:
      bind.buffer = &parameter.integer;
      break;
    case MYSQL_TYPE_DOUBLE:
      bind.buffer = &parameter.real;
      break;
    case MYSQL_TYPE_TINY:
      bind.buffer = &parameter.tiny;
      break;
    case MYSQL_TYPE_STRING:
    case MYSQL_TYPE_BLOB:
      // The connector only reads an input buffer.
      bind.buffer = const_cast<char*>(parameter.bytes->data());
      bind.buffer_length = parameter.length;
      bind.length = &parameter.length;
      break;
    default:
      break;
    }
  }
}

void BoundParams::set(Parameter& parameter,
                      const Value& value,
                      const std::string& where,
                      const Limits& limits)
{
  struct Encoder
  {
    Parameter& p;

    void operator()(std::monostate) const
    {
      p.type = MYSQL_TYPE_NULL;
    }
    void operator()(bool v) const
    {
      p.type = MYSQL_TYPE_TINY;
      p.tiny = v ? 1 : 0;
    }
    void operator()(std::int64_t v) const
    {
      p.type = MYSQL_TYPE_LONGLONG;
      p.integer = v;
    }
    void operator()(double v) const
    {
      p.type = MYSQL_TYPE_DOUBLE;
      p.real = v;
    }
    void operator()(const std::string& v) const
    {
      p.type = MYSQL_TYPE_STRING;
      p.bytes = &v;
    }
    void operator()(const Blob& v) const
    {
      p.type = MYSQL_TYPE_BLOB;
      p.bytes = &v.bytes;
    }
  };
  std::visit(Encoder{parameter}, value);
  if (parameter.bytes != nullptr) {
    if (parameter.bytes->size() > limits.max_value_bytes) {
      throw JobError(fmt::format("{}: longer than --max-value-bytes ({} bytes)",
                                 where,
                                 limits.max_value_bytes));
    }
    parameter.length = static_cast<unsigned long>(parameter.bytes->size());
  }
}

} // namespace jq::sql::mysql
