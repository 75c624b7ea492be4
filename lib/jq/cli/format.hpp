#pragma once

#include <nlohmann/json.hpp>

#include <ostream>
#include <stdexcept>
#include <string_view>

namespace jq::cli {

enum class Format { json, table, csv, tsv, value };

// `--format value` met a result that is not one row of one column. The job
// has run (it completed): this is about the reply's shape, not a bad flag,
// so it is no UsageError; jq-submit prints the reply as JSON instead and
// exits with ExitCode::not_one_value.
class NotOneValue : public std::runtime_error
{
public:
  using std::runtime_error::runtime_error;
};

// Parse `json|table|csv|tsv|value`. Throws UsageError.
Format parse_format(std::string_view text);

// Write a job's reply `result` in `format` (not `json`, which prints the
// whole envelope and is the caller's business). A result that is not a
// {"columns", "rows"} reply (e.g. from a foreign worker) is written as JSON.
// table: aligned columns with a header line; csv: RFC 4180 with a header;
// tsv: header, tab-separated, with \t \n \\ escaped; value: the single cell
// of a one-row, one-column result. NULL prints as empty in csv/tsv/value and
// as NULL in tables; blobs as their base64 text. Throws NotOneValue for
// `value` when the result is not exactly one cell, before writing anything.
void write_result(std::ostream& out,
                  Format format,
                  const nlohmann::json& result);

} // namespace jq::cli
