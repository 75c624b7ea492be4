#pragma once

#include <jq/sql/engine.hpp>
#include <jq/sql/server/placeholder_scan.hpp>
#include <jq/sql/value.hpp>

#include <cstddef>
#include <string>

namespace jq::sql::server {

// One run's parameters, bound for a server: matched to the placeholders of
// a translated statement as SQLite matches them (parameter_matching.hpp),
// each text or blob checked against Limits::max_value_bytes, then encoded
// as the engine sends it (its parameters.hpp). Not copyable: the engine's
// arrays point into what it encoded.
class ParameterBinding
{
public:
  virtual ~ParameterBinding() = default;
  ParameterBinding(const ParameterBinding&) = delete;
  ParameterBinding& operator=(const ParameterBinding&) = delete;

protected:
  ParameterBinding() = default;

  // Match `params` to the parameters of `sql` and encode() each. Throws
  // JobError for a parameter count or name that does not match, or a text
  // or blob longer than `limits.max_value_bytes`; what encode() throws.
  void
  bind(const TranslatedSql& sql, const Params& params, const Limits& limits);

  // Encode `value` as parameter `index` (from 0); `where` names it for
  // messages ("parameter 2", "parameter 'id'").
  virtual void
  encode(std::size_t index, const Value& value, const std::string& where) = 0;
};

} // namespace jq::sql::server
