#include "result.hpp"

#include <jq/core/base64.hpp>
#include <jq/core/json.hpp>

#include <charconv>
#include <cmath>
#include <memory>
#include <new>
#include <string>
#include <string_view>

namespace jq::sql::postgres {

using nlohmann::json;

namespace {

// PostgreSQL's type OIDs (pg_type.dat).
enum : Oid {
  k_bool = 16,
  k_bytea = 17,
  k_int8 = 20,
  k_int2 = 21,
  k_int4 = 23,
  k_json = 114,
  k_float4 = 700,
  k_float8 = 701,
  k_date = 1082,
  k_timestamp = 1114,
  k_timestamptz = 1184,
  k_numeric = 1700,
  k_jsonb = 3802,
};

// bytea as its bytes, by libpq (hex output, bytea_output = hex, or the
// older escape form).
std::string decode_bytea(std::string_view text)
{
  const std::string terminated(text);
  std::size_t length = 0;
  const std::unique_ptr<unsigned char, decltype(&PQfreemem)> raw(
    PQunescapeBytea(reinterpret_cast<const unsigned char*>(terminated.c_str()),
                    &length),
    &PQfreemem);
  if (!raw) {
    throw std::bad_alloc();
  }
  return std::string(reinterpret_cast<const char*>(raw.get()), length);
}

// "2026-12-04 10:00:00+00" as ISO 8601: "2026-12-04T10:00:00Z" (an offset
// other than UTC's, which a job may set, as "+05:30").
std::string iso_timestamp(std::string_view text, bool has_zone)
{
  std::string out(text);
  if (const auto space = out.find(' ');
      space != std::string::npos && space == 10) {
    out[space] = 'T';
  }
  if (!has_zone) {
    return out;
  }
  const auto sign = out.find_last_of("+-");
  if (sign == std::string::npos || sign < 19) {
    return out; // infinity, or a form not known here
  }
  const std::string_view offset = std::string_view(out).substr(sign);
  if (offset == "+00") {
    // Cut and append, not replace(): GCC 12 warns (-Wrestrict, a false
    // positive) on replace() in the sanitizer builds.
    out.resize(sign);
    out += 'Z';
  } else if (offset.size() == 3) {
    out += ":00";
  }
  return out;
}

json number_or_text(std::string_view text, ResultBudget& budget)
{
  budget.add_bytes(ResultBudget::k_scalar_cost);
  std::int64_t value = 0;
  const auto [end, error] =
    std::from_chars(text.data(), text.data() + text.size(), value);
  if (error == std::errc() && end == text.data() + text.size()) {
    return value;
  }
  return std::string(text);
}

json real(std::string_view text, ResultBudget& budget)
{
  budget.add_bytes(ResultBudget::k_scalar_cost);
  double value = 0;
  const auto [end, error] =
    std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || !std::isfinite(value)) {
    // NaN, Infinity and -Infinity, which JSON has not.
    budget.add_non_finite();
    return nullptr;
  }
  return value;
}

json text_value(std::string_view text, ResultBudget& budget)
{
  budget.add_bytes(ResultBudget::text_cost(text));
  return std::string(text);
}

json value_of(Oid type, std::string_view text, ResultBudget& budget)
{
  switch (type) {
  case k_int2:
  case k_int4:
  case k_int8:
    return number_or_text(text, budget);
  case k_float4:
  case k_float8:
    return real(text, budget);
  case k_bool:
    budget.add_bytes(ResultBudget::k_scalar_cost);
    return text == "t";
  case k_bytea: {
    const std::string bytes = decode_bytea(text);
    budget.add_bytes(ResultBudget::blob_cost(bytes.size()));
    return json{{"$base64", base64_encode(bytes)}};
  }
  case k_json:
  case k_jsonb: {
    budget.add_bytes(ResultBudget::text_cost(text));
    json parsed = parse_untrusted_json(text);
    if (parsed.is_discarded()) {
      return std::string(text); // deeper than the reply may nest
    }
    return parsed;
  }
  case k_timestamp:
    return text_value(iso_timestamp(text, false), budget);
  case k_timestamptz:
    return text_value(iso_timestamp(text, true), budget);
  case k_date:
  case k_numeric:
  default:
    return text_value(text, budget);
  }
}

} // namespace

void append_row(const PGresult& row, json& rows, ResultBudget& budget)
{
  budget.add_row();
  auto* result = const_cast<PGresult*>(&row);
  const int column_count = PQnfields(result);
  json values = json::array();
  values.get_ref<json::array_t&>().reserve(
    static_cast<std::size_t>(column_count));
  for (int i = 0; i < column_count; ++i) {
    if (PQgetisnull(result, 0, i) != 0) {
      budget.add_bytes(ResultBudget::k_scalar_cost);
      values.push_back(nullptr);
      continue;
    }
    const std::string_view text(
      PQgetvalue(result, 0, i),
      static_cast<std::size_t>(PQgetlength(result, 0, i)));
    values.push_back(value_of(PQftype(result, i), text, budget));
  }
  rows.push_back(std::move(values));
}

json column_names(const PGresult& result)
{
  auto* handle = const_cast<PGresult*>(&result);
  json columns = json::array();
  const int column_count = PQnfields(handle);
  for (int i = 0; i < column_count; ++i) {
    const char* name = PQfname(handle, i);
    columns.push_back(name == nullptr ? "" : name);
  }
  return columns;
}

std::int64_t changed_rows(const PGresult& result)
{
  auto* handle = const_cast<PGresult*>(&result);
  const std::string_view tag(PQcmdStatus(handle));
  for (const std::string_view command :
       {"INSERT ", "UPDATE ", "DELETE ", "MERGE "}) {
    if (tag.starts_with(command)) {
      const std::string_view count(PQcmdTuples(handle));
      std::int64_t value = 0;
      std::from_chars(count.data(), count.data() + count.size(), value);
      return value;
    }
  }
  return 0;
}

} // namespace jq::sql::postgres
