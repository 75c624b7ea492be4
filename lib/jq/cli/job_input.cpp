#include "job_input.hpp"

#include <jq/core/error.hpp>
#include <jq/core/json.hpp>

#include <fmt/core.h>

namespace jq::cli {

nlohmann::json param_value(std::string_view text)
{
  auto parsed = jq::parse_untrusted_json(text);
  if (parsed.is_number() || parsed.is_boolean() || parsed.is_null()) {
    // `null` only when typed exactly, not for text that failed to parse.
    if (!parsed.is_discarded()) {
      return parsed;
    }
  }
  return std::string(text);
}

nlohmann::json job_data(const std::string& db,
                        const std::string& sql,
                        const std::vector<std::string>& params,
                        const std::string& params_json,
                        const std::string& rows_json)
{
  const int given = static_cast<int>(!params.empty())
                    + static_cast<int>(!params_json.empty())
                    + static_cast<int>(!rows_json.empty());
  if (given > 1) {
    throw UsageError("use only one of --param, --params and --rows");
  }
  nlohmann::json data = {{"db", db}, {"sql", sql}};
  if (!params.empty()) {
    nlohmann::json values = nlohmann::json::array();
    for (const auto& text : params) {
      values.push_back(param_value(text));
    }
    data["params"] = std::move(values);
  } else if (!params_json.empty()) {
    auto parsed = jq::parse_untrusted_json(params_json);
    if (!parsed.is_array() && !parsed.is_object()) {
      throw UsageError("--params must be a JSON array or object");
    }
    data["params"] = std::move(parsed);
  } else if (!rows_json.empty()) {
    auto parsed = jq::parse_untrusted_json(rows_json);
    if (!parsed.is_array()) {
      throw UsageError("--rows must be a JSON array of rows");
    }
    for (const auto& row : parsed) {
      if (!row.is_array() && !row.is_object()) {
        throw UsageError(
          "--rows must be a JSON array of rows (arrays or objects)");
      }
    }
    data["rows"] = std::move(parsed);
  }
  return data;
}

nlohmann::json envelope(const queue::Outcome& outcome, long long elapsed_ms)
{
  const bool is_completed = outcome.status == queue::Outcome::Status::completed;
  nlohmann::json error = nullptr;
  if (!is_completed) {
    error = {{"message", outcome.failed_reason}};
    if (!outcome.stack.empty()) {
      error["stack"] = outcome.stack;
    }
  }
  return {{"id", outcome.id},
          {"status", is_completed ? "completed" : "failed"},
          {"result", is_completed ? outcome.result : nlohmann::json(nullptr)},
          {"error", std::move(error)},
          {"attempts", outcome.attempts},
          {"elapsed_ms", elapsed_ms}};
}

} // namespace jq::cli
