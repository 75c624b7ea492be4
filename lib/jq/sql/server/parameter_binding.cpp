#include "parameter_binding.hpp"

#include <jq/core/error.hpp>
#include <jq/sql/parameter_matching.hpp>

#include <fmt/format.h>

#include <variant>

namespace jq::sql::server {

namespace {

// The bytes of a text or a blob; null for any other value.
const std::string* bytes_of(const Value& value)
{
  if (const auto* text = std::get_if<std::string>(&value)) {
    return text;
  }
  if (const auto* blob = std::get_if<Blob>(&value)) {
    return &blob->bytes;
  }
  return nullptr;
}

} // namespace

void ParameterBinding::bind(const TranslatedSql& sql,
                            const Params& params,
                            const Limits& limits)
{
  match_params(
    params,
    sql.parameter_count,
    sql.names,
    [&](std::size_t index, const Value& value, const std::string& where) {
      const std::string* bytes = bytes_of(value);
      if (bytes != nullptr && bytes->size() > limits.max_value_bytes) {
        throw JobError(
          fmt::format("{}: longer than --max-value-bytes ({} bytes)",
                      where,
                      limits.max_value_bytes));
      }
      encode(index, value, where);
    });
}

} // namespace jq::sql::server
