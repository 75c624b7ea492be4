#pragma once

#include <jq/sql/engine.hpp>
#include <jq/sql/mysql/placeholders.hpp>
#include <jq/sql/server/parameter_binding.hpp>
#include <jq/sql/value.hpp>

#include <mysql.h>

#include <cstdint>
#include <string>
#include <vector>

namespace jq::sql::mysql {

// One run's parameters in MYSQL_BINDs, one per `?` of `sql`, matched as
// SQLite matches them (the same messages for a missing or an extra one).
// Each value is bound with the type its JSON has: an integer as BIGINT, a
// real as DOUBLE, a boolean as TINYINT 1 or 0, text as a string (MySQL
// converts it to the column's type: a DATE, a DECIMAL, JSON), a blob as a
// BLOB, null as NULL. The values are read where the Params hold them.
class BoundParams final : public server::ParameterBinding
{
public:
  // Throws JobError for a parameter count or name that does not match, or
  // a text or blob longer than `limits.max_value_bytes`.
  BoundParams(const TranslatedSql& sql,
              const Params& params,
              const Limits& limits);

  // The binds, one per `?`; null when there are none. Valid while this
  // and the Params live.
  MYSQL_BIND* binds() noexcept
  {
    return m_binds.empty() ? nullptr : m_binds.data();
  }

  const std::vector<MYSQL_BIND>& all() const noexcept
  {
    return m_binds;
  }

private:
  // The bind of parameter `index` (from 0), as each `?` of it takes it.
  struct Parameter
  {
    enum_field_types type = MYSQL_TYPE_NULL;
    std::int64_t integer = 0;
    double real = 0;
    signed char tiny = 0;
    const std::string* bytes = nullptr;
    unsigned long length = 0;
  };
  void encode(std::size_t index,
              const Value& value,
              const std::string& where) override;

  std::vector<Parameter> m_parameters; // sized once: the binds point into it
  std::vector<MYSQL_BIND> m_binds;
};

} // namespace jq::sql::mysql
