#include "request.hpp"

#include <jq/core/base64.hpp>
#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <limits>
#include <string_view>

namespace jq::sql {

namespace {

using nlohmann::json;

// The field's value under `name`, or under `alias` when `name` is absent;
// null when neither is there. Both present with different values is
// ambiguous, so it is an error rather than a silent pick.
const json*
find_field(const json& data, std::string_view name, std::string_view alias)
{
  const auto by_name = data.find(name);
  const auto by_alias = data.find(alias);
  if (by_name != data.end() && by_alias != data.end()
      && *by_name != *by_alias) {
    throw ProtocolError(fmt::format(
      "job data has both '{}' and '{}' with different values", name, alias));
  }
  if (by_name != data.end()) {
    return &*by_name;
  }
  if (by_alias != data.end()) {
    return &*by_alias;
  }
  return nullptr;
}

// The field `name` unless it is absent or null.
const json* non_null_field(const json& data, std::string_view name)
{
  const auto field = data.find(name);
  return field == data.end() || field->is_null() ? nullptr : &*field;
}

// A non-empty string field, or ProtocolError naming what is wrong.
std::string required_string(const json* value, std::string_view name)
{
  if (value == nullptr || !value->is_string()) {
    throw ProtocolError(fmt::format("job data has no '{}' string", name));
  }
  auto text = value->get<std::string>();
  if (text.empty()) {
    throw ProtocolError(fmt::format("job data '{}' is empty", name));
  }
  return text;
}

// Reject a parameter value the executor could not bind, so a bad payload is
// reported once, at decode time, with its position.
void check_value(const json& value, std::string_view where)
{
  switch (value.type()) {
  case json::value_t::null:
  case json::value_t::boolean:
  case json::value_t::number_integer:
  case json::value_t::number_float:
  case json::value_t::string:
    return;
  case json::value_t::number_unsigned:
    if (value.get<std::uint64_t>() > static_cast<std::uint64_t>(
          std::numeric_limits<std::int64_t>::max())) {
      throw ProtocolError(fmt::format(
        "job data {} is out of the 64-bit signed integer range", where));
    }
    return;
  case json::value_t::object: {
    const auto blob = value.find("$base64");
    if (value.size() == 1 && blob != value.end() && blob->is_string()) {
      if (!base64_decode(blob->get_ref<const std::string&>())) {
        throw ProtocolError(
          fmt::format("job data {} has invalid base64 text", where));
      }
      return;
    }
    break;
  }
  default:
    break;
  }
  throw ProtocolError(
    fmt::format("job data {} must be null, a boolean, a number, a string or "
                "{{\"$base64\": \"...\"}}",
                where));
}

// Check one set of parameters (an array or an object) named `where`.
void check_parameters(const json& params, const std::string& where)
{
  if (params.is_array()) {
    for (std::size_t i = 0; i < params.size(); ++i) {
      check_value(params[i], fmt::format("{}[{}]", where, i));
    }
  } else if (params.is_object()) {
    for (const auto& [key, value] : params.items()) {
      check_value(value, fmt::format("{}['{}']", where, key));
    }
  } else {
    throw ProtocolError(
      fmt::format("job data {} must be an array or an object", where));
  }
}

// The seed's `value` doubles as `rows` when it is a non-empty array of
// arrays.
bool is_array_of_arrays(const json& value)
{
  if (!value.is_array() || value.empty()) {
    return false;
  }
  for (const auto& element : value) {
    if (!element.is_array()) {
      return false;
    }
  }
  return true;
}

} // namespace

Request parse_request(const json& data)
{
  if (!data.is_object()) {
    throw ProtocolError("job data is not a JSON object");
  }

  Request request;
  request.db = required_string(find_field(data, "db", "dbname"), "db");
  const auto sql = data.find("sql");
  request.sql = required_string(sql == data.end() ? nullptr : &*sql, "sql");

  const json* params = non_null_field(data, "params");
  const json* rows = non_null_field(data, "rows");
  if (const json* value = non_null_field(data, "value")) {
    const bool is_rows = is_array_of_arrays(*value);
    const json*& target = is_rows ? rows : params;
    if (target != nullptr && *target != *value) {
      throw ProtocolError(
        fmt::format("job data has both '{}' and 'value' with different values",
                    is_rows ? "rows" : "params"));
    }
    target = value;
  }
  if (rows != nullptr) {
    request.rows = *rows;
  }

  if (params != nullptr) {
    if (request.rows) {
      throw ProtocolError("job data has both 'params' and 'rows'");
    }
    check_parameters(*params, "'params'");
    request.params = *params;
  }

  if (request.rows) {
    if (!request.rows->is_array()) {
      throw ProtocolError("job data 'rows' must be an array of rows");
    }
    for (std::size_t i = 0; i < request.rows->size(); ++i) {
      check_parameters((*request.rows)[i], fmt::format("'rows'[{}]", i));
    }
  }
  return request;
}

json to_json(const Request& request)
{
  json data = {{"db", request.db}, {"sql", request.sql}};
  if (request.rows) {
    data["rows"] = *request.rows;
  } else if (!request.params.is_null()) {
    data["params"] = request.params;
  }
  return data;
}

} // namespace jq::sql
