#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

// The SQL functions a job may call: an allow-list of SQLite's own scalar,
// aggregate, window, date, math, JSON and full-text functions. Those that
// load code, hand out or take pointers, or read raw bytes as a structure
// are refused with a reason of their own; anything else not on the list
// with a general one.

namespace jq::sql::sqlite {

// Why a job may not call the SQL function `name`, or std::nullopt if it
// may.
std::optional<std::string> refused_function(std::string_view name);

// True if `name` is in `list`, compared as SQLite compares names (ASCII,
// case-insensitive).
bool is_listed(std::span<const std::string_view> list, std::string_view name);

} // namespace jq::sql::sqlite
