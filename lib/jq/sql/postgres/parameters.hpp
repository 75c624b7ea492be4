#pragma once

#include <jq/sql/engine.hpp>
#include <jq/sql/postgres/connection.hpp>
#include <jq/sql/postgres/placeholders.hpp>
#include <jq/sql/server/parameter_binding.hpp>
#include <jq/sql/value.hpp>

#include <string>
#include <vector>

namespace jq::sql::postgres {

// One run's parameters in libpq's arrays, matched to the placeholders of
// `sql` as SQLite matches them (the same messages for a missing or an
// extra one). Each value is sent as text with the type its JSON has, so
// that `select $1 + 1` knows what it adds: a boolean as boolean, an
// integer as bigint, a real as double precision; text as `unknown`, which
// PostgreSQL turns into the column's type (a date, a numeric, json); a
// blob as bytea, in binary; null as an `unknown` NULL.
class BoundParams final : public server::ParameterBinding
{
public:
  // Throws JobError for a parameter count or name that does not match, a
  // value longer than `limits.max_value_bytes`, or text with a NUL byte.
  BoundParams(const TranslatedSql& sql,
              const Params& params,
              const Limits& limits);

  // The statement to run: `sql`'s text with these parameters. Valid while
  // both live.
  Statement statement(const TranslatedSql& sql) const;

private:
  void encode(std::size_t index,
              const Value& value,
              const std::string& where) override;

  std::vector<Oid> m_types;
  std::vector<std::string> m_texts;
  std::vector<const char*> m_values;
  std::vector<int> m_lengths;
  std::vector<int> m_formats;
};

} // namespace jq::sql::postgres
