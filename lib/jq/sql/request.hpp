#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>

namespace jq::sql {

// One SQL job as carried in a Bull job's `data` (DESIGN.md section 3).
struct Request
{
  std::string db;
  std::string sql;
  // Positional (array) or named (object) parameters; null when absent.
  nlohmann::json params;
  // When set: an array of rows (each an array or object of parameters); the
  // statement runs once per row inside one transaction.
  std::optional<nlohmann::json> rows;
};

// Decode a job's `data`. Accepts the seed's aliases: `dbname` for `db`,
// `value` for `params` (a `value` that is an array of arrays means `rows`).
// Throws ProtocolError with a one-line reason when the shape is wrong.
Request parse_request(const nlohmann::json& data);

// The JSON object for `request`, in the canonical field names.
nlohmann::json to_json(const Request& request);

} // namespace jq::sql
