#include "parameters.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace jq::sql::postgres {

namespace {

// PostgreSQL's type OIDs (pg_type.dat); 0 lets the server infer the type.
constexpr Oid k_unknown = 0;
constexpr Oid k_bool = 16;
constexpr Oid k_bytea = 17;
constexpr Oid k_int8 = 20;
constexpr Oid k_float8 = 701;

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

std::string real_text(double value)
{
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "Infinity" : "-Infinity";
  }
  // Shortest text that reads back as the same double.
  return fmt::format("{}", value);
}

} // namespace

BoundParams::BoundParams(const TranslatedSql& sql,
                         const Params& params,
                         const Limits& limits)
  : m_types(sql.parameter_count, k_unknown),
    m_texts(sql.parameter_count),
    m_values(sql.parameter_count, nullptr),
    m_lengths(sql.parameter_count, 0),
    m_formats(sql.parameter_count, 0)
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
      set(i, params.values[i], fmt::format("parameter {}", i + 1), limits);
    }
    return;
  }
  std::vector<bool> is_bound(count, false);
  for (std::size_t i = 0; i < params.values.size(); ++i) {
    const std::string& key = params.names[i];
    const std::size_t index = find_named(sql.names, key);
    if (index >= count) {
      throw JobError(
        fmt::format("the statement has no parameter named '{}'", key));
    }
    set(index, params.values[i], fmt::format("parameter '{}'", key), limits);
    is_bound[index] = true;
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (!is_bound[i]) {
      throw JobError(fmt::format("parameter '{}' has no value", sql.names[i]));
    }
  }
}

void BoundParams::set(std::size_t index,
                      const Value& value,
                      const std::string& where,
                      const Limits& limits)
{
  struct Encoder
  {
    Oid& type;
    std::string& text;
    int& format;
    bool& is_null;

    void operator()(std::monostate) const
    {
      is_null = true;
    }
    void operator()(bool v) const
    {
      type = k_bool;
      text = v ? "true" : "false";
    }
    void operator()(std::int64_t v) const
    {
      type = k_int8;
      text = fmt::format("{}", v);
    }
    void operator()(double v) const
    {
      type = k_float8;
      text = real_text(v);
    }
    void operator()(const std::string& v) const
    {
      text = v;
    }
    void operator()(const Blob& v) const
    {
      type = k_bytea;
      format = 1;
      text = v.bytes;
    }
  };
  bool is_null = false;
  std::visit(Encoder{m_types[index], m_texts[index], m_formats[index], is_null},
             value);
  if (is_null) {
    return;
  }
  const bool is_text_or_blob = std::holds_alternative<std::string>(value)
                               || std::holds_alternative<Blob>(value);
  if (is_text_or_blob && m_texts[index].size() > limits.max_value_bytes) {
    throw JobError(fmt::format("{}: longer than --max-value-bytes ({} bytes)",
                               where,
                               limits.max_value_bytes));
  }
  if (m_formats[index] == 0 && m_texts[index].find('\0') != std::string::npos) {
    throw JobError(fmt::format("{}: text with a NUL byte, which PostgreSQL "
                               "text cannot hold (send it as a blob)",
                               where));
  }
  m_values[index] = m_texts[index].data();
  m_lengths[index] = static_cast<int>(m_texts[index].size());
}

Statement BoundParams::statement(const TranslatedSql& sql) const
{
  Statement statement;
  statement.sql = sql.text.c_str();
  statement.parameter_count = static_cast<int>(m_values.size());
  statement.types = m_types.data();
  statement.values = m_values.data();
  statement.lengths = m_lengths.data();
  statement.formats = m_formats.data();
  return statement;
}

} // namespace jq::sql::postgres
