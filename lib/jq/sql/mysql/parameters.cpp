#include "parameters.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

namespace jq::sql::mysql {

BoundParams::BoundParams(const TranslatedSql& sql,
                         const Params& params,
                         const Limits& limits)
  : m_parameters(sql.parameter_count)
{
  bind(sql, params, limits);
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

void BoundParams::encode(std::size_t index,
                         const Value& value,
                         const std::string& /*where*/)
{
  Parameter& parameter = m_parameters[index];
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
    parameter.length = static_cast<unsigned long>(parameter.bytes->size());
  }
}

} // namespace jq::sql::mysql
