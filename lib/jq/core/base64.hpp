#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jq {

// Standard base64 (RFC 4648, with padding) of `bytes`.
std::string base64_encode(std::string_view bytes);

// The bytes of standard base64 `text`, or std::nullopt if it is not valid.
std::optional<std::string> base64_decode(std::string_view text);

} // namespace jq
