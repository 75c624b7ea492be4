#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace jq::sql {

// The bytes of a BLOB parameter, decoded from {"$base64": "..."} once, when
// the job is read.
struct Blob
{
  std::string bytes;
  bool operator==(const Blob&) const = default;
};

// One parameter value as a job carries it: null (std::monostate), a boolean
// (bound as 1 or 0), a 64-bit integer, a double, text, or a blob.
using Value =
  std::variant<std::monostate, bool, std::int64_t, double, std::string, Blob>;

// The parameters of one run of a statement: none, positional (`?`, `?1`) or
// named (`:id`, `@id`, `$id`; a key without a prefix matches any of them).
struct Params
{
  enum class Kind {
    none,
    positional,
    named,
  };
  Kind kind = Kind::none;
  std::vector<Value> values;
  // For named parameters, names[i] is the key of values[i].
  std::vector<std::string> names;

  bool operator==(const Params&) const = default;
};

// Where a value sits in the job's data, for messages: `field`, then `[2]`
// for a row of a batch, then `[3]` or `['key']` for an element. Formatted
// only when something is wrong, so reading a good value costs no string
// work.
struct Where
{
  std::string_view field;
  const std::size_t* row = nullptr;
  const std::size_t* index = nullptr;
  const std::string* key = nullptr;

  std::string str() const;
};

// Read one parameter value from job JSON. Throws ProtocolError naming
// `where` for anything but null, a boolean, a number in the 64-bit range, a
// string or {"$base64": "..."} with valid base64.
Value parse_value(const nlohmann::json& value, const Where& where);

// Read an array (positional) or an object (named) of values; null gives
// Kind::none. Throws ProtocolError naming `where` (its index and key unset).
Params parse_params(const nlohmann::json& params, Where where);

// The JSON a job carries for `value` (a blob as {"$base64": "..."}).
nlohmann::json to_json(const Value& value);

// The JSON array or object for `params` (null for Kind::none).
nlohmann::json to_json(const Params& params);

} // namespace jq::sql
