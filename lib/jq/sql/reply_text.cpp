#include "reply_text.hpp"

#include <jq/core/json.hpp>

#include <fmt/format.h>

namespace jq::sql {

std::string reply_text(const nlohmann::json& changes,
                       const nlohmann::json& columns,
                       const nlohmann::json& last_insert_rowid,
                       const nlohmann::json& rows,
                       std::size_t non_finite,
                       std::string_view non_finite_kinds)
{
  std::string text;
  // Room for an insert's whole reply, and a row or two of a select's.
  text.reserve(128);
  text += R"({"changes":)";
  append_json(text, changes);
  text += R"(,"columns":)";
  append_json(text, columns);
  text += R"(,"last_insert_rowid":)";
  append_json(text, last_insert_rowid);
  text += R"(,"rows":)";
  append_json(text, rows);
  if (non_finite > 0) {
    std::string warning =
      fmt::format("{} real value(s) were {}, which JSON cannot represent: "
                  "sent as null",
                  non_finite,
                  non_finite_kinds);
    text += R"(,"warnings":[)";
    append_json_string(text, warning);
    text += ']';
  }
  text += '}';
  return text;
}

} // namespace jq::sql
