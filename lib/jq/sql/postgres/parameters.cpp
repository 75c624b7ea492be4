#include "parameters.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <cmath>

namespace jq::sql::postgres {

namespace {

// PostgreSQL's type OIDs (pg_type.dat); 0 lets the server infer the type.
constexpr Oid k_unknown = 0;
constexpr Oid k_bool = 16;
constexpr Oid k_bytea = 17;
constexpr Oid k_int8 = 20;
constexpr Oid k_float8 = 701;

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
  bind(sql, params, limits);
}

void BoundParams::encode(std::size_t index,
                         const Value& value,
                         const std::string& where)
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
