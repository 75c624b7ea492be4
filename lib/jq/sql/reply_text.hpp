#pragma once

#include <nlohmann/json.hpp>

#include <string>

namespace jq::sql {

// A statement's reply as JSON text (see Session::run): {"changes",
// "columns", "last_insert_rowid", "rows"}, and "warnings": [`warning`]
// when `warning` is not empty. The text is what dumping that object would
// write (its members by name), written member by member: one allocation
// for the text instead of one per member, on every job's path.
std::string reply_text(const nlohmann::json& changes,
                       const nlohmann::json& columns,
                       const nlohmann::json& last_insert_rowid,
                       const nlohmann::json& rows,
                       std::string warning);

} // namespace jq::sql
