#include "value.hpp"

#include <jq/core/base64.hpp>
#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <limits>

namespace jq::sql {

using nlohmann::json;

std::string Where::str() const
{
  std::string text(field);
  if (row != nullptr) {
    text += fmt::format("[{}]", *row);
  }
  if (index != nullptr) {
    text += fmt::format("[{}]", *index);
  } else if (key != nullptr) {
    text += fmt::format("['{}']", *key);
  }
  return text;
}

Value parse_value(const json& value, const Where& where)
{
  switch (value.type()) {
  case json::value_t::null:
    return std::monostate{};
  case json::value_t::boolean:
    return value.get<bool>();
  case json::value_t::number_integer:
    return value.get<std::int64_t>();
  case json::value_t::number_unsigned: {
    const auto number = value.get<std::uint64_t>();
    if (number > static_cast<std::uint64_t>(
          std::numeric_limits<std::int64_t>::max())) {
      throw ProtocolError(fmt::format(
        "job data {} is out of the 64-bit signed integer range", where.str()));
    }
    return static_cast<std::int64_t>(number);
  }
  case json::value_t::number_float:
    return value.get<double>();
  case json::value_t::string:
    return value.get<std::string>();
  case json::value_t::object: {
    const auto text = value.find("$base64");
    if (value.size() == 1 && text != value.end() && text->is_string()) {
      auto bytes = base64_decode(text->get_ref<const std::string&>());
      if (!bytes) {
        throw ProtocolError(
          fmt::format("job data {} has invalid base64 text", where.str()));
      }
      return Blob{std::move(*bytes)};
    }
    break;
  }
  default:
    break;
  }
  throw ProtocolError(
    fmt::format("job data {} must be null, a boolean, a number, a string or "
                "{{\"$base64\": \"...\"}}",
                where.str()));
}

Params parse_params(const json& params, Where where)
{
  Params parsed;
  if (params.is_null()) {
    return parsed;
  }
  if (params.is_array()) {
    parsed.kind = Params::Kind::positional;
    parsed.values.reserve(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      where.index = &i;
      parsed.values.push_back(parse_value(params[i], where));
    }
    return parsed;
  }
  if (params.is_object()) {
    parsed.kind = Params::Kind::named;
    parsed.values.reserve(params.size());
    parsed.names.reserve(params.size());
    for (const auto& [key, value] : params.items()) {
      where.key = &key;
      parsed.values.push_back(parse_value(value, where));
      parsed.names.push_back(key);
    }
    return parsed;
  }
  throw ProtocolError(
    fmt::format("job data {} must be an array or an object", where.str()));
}

json to_json(const Value& value)
{
  struct Visitor
  {
    json operator()(std::monostate) const
    {
      return nullptr;
    }
    json operator()(bool v) const
    {
      return v;
    }
    json operator()(std::int64_t v) const
    {
      return v;
    }
    json operator()(double v) const
    {
      return v;
    }
    json operator()(const std::string& v) const
    {
      return v;
    }
    json operator()(const Blob& v) const
    {
      return json{{"$base64", base64_encode(v.bytes)}};
    }
  };
  return std::visit(Visitor{}, value);
}

json to_json(const Params& params)
{
  switch (params.kind) {
  case Params::Kind::none:
    return nullptr;
  case Params::Kind::positional: {
    json array = json::array();
    for (const auto& value : params.values) {
      array.push_back(to_json(value));
    }
    return array;
  }
  case Params::Kind::named: {
    json object = json::object();
    for (std::size_t i = 0; i < params.values.size(); ++i) {
      object[params.names[i]] = to_json(params.values[i]);
    }
    return object;
  }
  }
  return nullptr;
}

} // namespace jq::sql
