#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace jq {

// How deep JSON from outside (job data, replies, events) may nest. Deeper
// text is refused before parsing: nlohmann::json dumps and compares
// recursively, so a value nested 100000 deep would overflow the stack.
constexpr std::size_t k_max_json_depth = 256;

// True if `text` nests arrays/objects deeper than `max_depth` (strings and
// their escapes are skipped; the text need not be valid JSON).
bool exceeds_json_depth(std::string_view text,
                        std::size_t max_depth = k_max_json_depth);

// Parse JSON from outside: a discarded value (is_discarded()) when `text`
// is not JSON or nests too deep.
nlohmann::json parse_untrusted_json(std::string_view text);

// The JSON text of `value`, compact. Never throws: text that is not valid
// UTF-8 (a TEXT column can hold any bytes) has those bytes replaced.
// Every JSON text jq writes goes through these two.
std::string dump_json(const nlohmann::json& value);
std::string dump_json(const nlohmann::ordered_json& value);

} // namespace jq
