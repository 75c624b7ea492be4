#pragma once

#include <jq/queue/outcome.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jq::cli {

// The value of one `--param V`: a JSON number, true, false or null is that
// value; anything else is the string as typed.
nlohmann::json param_value(std::string_view text);

// A job's `data` from jq-submit's flags. `params` are the --param values;
// `params_json` and `rows_json` the --params and --rows texts (empty when
// not given). Throws UsageError when they conflict or are not valid JSON of
// the right shape.
nlohmann::json job_data(const std::string& db,
                        const std::string& sql,
                        const std::vector<std::string>& params,
                        const std::string& params_json,
                        const std::string& rows_json);

// The JSON envelope jq-submit prints for a finished job:
// {"id", "status", "result", "error", "attempts", "elapsed_ms"}.
nlohmann::json envelope(const queue::Outcome& outcome, long long elapsed_ms);

} // namespace jq::cli
