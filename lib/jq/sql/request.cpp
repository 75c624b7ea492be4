#include "request.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

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
  if (params != nullptr && rows != nullptr) {
    throw ProtocolError("job data has both 'params' and 'rows'");
  }
  if (params != nullptr) {
    if (!params->is_array() && !params->is_object()) {
      throw ProtocolError("job data 'params' must be an array or an object");
    }
    request.params = parse_params(*params, {"'params'"});
  }
  if (rows != nullptr) {
    if (!rows->is_array()) {
      throw ProtocolError("job data 'rows' must be an array of rows");
    }
    request.rows.emplace();
    request.rows->reserve(rows->size());
    for (std::size_t i = 0; i < rows->size(); ++i) {
      const json& row = (*rows)[i];
      const Where where{"'rows'", &i};
      if (!row.is_array() && !row.is_object()) {
        throw ProtocolError(fmt::format(
          "job data {} must be an array or an object", where.str()));
      }
      request.rows->push_back(parse_params(row, where));
    }
  }
  return request;
}

json to_json(const Request& request)
{
  json data = {{"db", request.db}, {"sql", request.sql}};
  if (request.rows) {
    json rows = json::array();
    for (const auto& row : *request.rows) {
      rows.push_back(to_json(row));
    }
    data["rows"] = std::move(rows);
  } else if (request.params.kind != Params::Kind::none) {
    data["params"] = to_json(request.params);
  }
  return data;
}

} // namespace jq::sql
