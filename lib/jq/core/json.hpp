#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <span>
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

// Parse the JSON object `text` from outside for the members `names` only:
// `values[i]` gets the member `names[i]` (the last, if repeated; null if
// absent), and every other member is skipped as it is read, never built.
// False, with `values` unspecified, when `text` is not a JSON object or
// nests too deep. For a document read on a hot path for a few of its
// members, where a DOM would cost an allocation per member.
bool pick_json_members(std::string_view text,
                       std::span<const std::string_view> names,
                       std::span<nlohmann::json> values);

// The JSON text of `value`, compact. Never throws: text that is not valid
// UTF-8 (a TEXT column can hold any bytes) has those bytes replaced.
// Every JSON text jq writes goes through these.
std::string dump_json(const nlohmann::json& value);
std::string dump_json(const nlohmann::ordered_json& value);

// Append the JSON text of `value` to `out`, as dump_json() writes it.
void append_json(std::string& out, const nlohmann::json& value);

// Append `text` as a JSON string to `out`, as dump_json() writes it. `text`
// is unchanged afterwards: it is moved into a JSON value and back, not
// copied. For a document written piece by piece on a hot path (a job's
// reply, its event), where a DOM would cost an allocation per member.
void append_json_string(std::string& out, std::string& text);
// The same for text that cannot be moved: copied only when it needs
// escaping (plain printable ASCII is written as it is).
void append_json_string(std::string& out, std::string_view text);

} // namespace jq
