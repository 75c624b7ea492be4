#pragma once

#include <jq/sql/value.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace jq::sql {

// The largest job data (the JSON text of a Request) jq-submit sends and
// jq-worker runs, unless told otherwise (--max-payload-bytes of each).
inline constexpr std::size_t k_default_max_payload_bytes = 16 * 1024 * 1024;

// One SQL job as carried in a Bull job's `data` (README.md, "A tour" and
// "Replies").
struct Request
{
  std::string db;
  std::string sql;
  // Positional or named parameters (Kind::none when absent).
  Params params;
  // When set: one set of parameters per row (never Kind::none); the
  // statement runs once per row inside one transaction.
  std::optional<std::vector<Params>> rows;

  bool operator==(const Request&) const = default;
};

// Decode a job's `data`. Accepts the seed's aliases: `dbname` for `db`,
// `value` for `params` (a `value` that is an array of arrays means `rows`).
// Every value is checked and decoded here, once. Throws ProtocolError with a
// one-line reason when the shape is wrong.
Request parse_request(const nlohmann::json& data);

// The JSON object for `request`, in the canonical field names.
nlohmann::json to_json(const Request& request);

} // namespace jq::sql
