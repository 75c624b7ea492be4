#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace jq::sql {

// A statement's reply as JSON text (see Session::run): {"changes",
// "columns", "last_insert_rowid", "rows"}, and "warnings" when
// `non_finite` reals (`non_finite_kinds`: which ones the engine can have,
// e.g. "Infinity or -Infinity") were sent as null. The text is what
// dumping that object would write (its members by name), written member by
// member: one allocation for the text instead of one per member, on every
// job's path.
std::string reply_text(const nlohmann::json& changes,
                       const nlohmann::json& columns,
                       const nlohmann::json& last_insert_rowid,
                       const nlohmann::json& rows,
                       std::size_t non_finite,
                       std::string_view non_finite_kinds);

} // namespace jq::sql
