#include "sha1.hpp"

#include <nettle/sha1.h>

#include <array>
#include <cstdint>

namespace jq {

std::string sha1_hex(std::string_view data)
{
  sha1_ctx context;
  sha1_init(&context);
  sha1_update(
    &context, data.size(), reinterpret_cast<const std::uint8_t*>(data.data()));
  std::array<std::uint8_t, SHA1_DIGEST_SIZE> digest{};
  sha1_digest(&context, digest.size(), digest.data());
  constexpr std::string_view k_hex = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * digest.size());
  for (const std::uint8_t byte : digest) {
    hex += k_hex[byte >> 4U];
    hex += k_hex[byte & 0x0FU];
  }
  return hex;
}

} // namespace jq
