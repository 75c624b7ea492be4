#include "uuid.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <span>

namespace jq {

namespace {

// Fill `bytes` from the kernel's cryptographic generator: ids must be
// neither guessable (a guessed id is a job someone else can wait for or
// overwrite) nor repeated across processes started in the same instant.
void fill_random(std::span<std::uint8_t> bytes)
{
  std::size_t filled = 0;
  while (filled < bytes.size()) {
    const ssize_t got =
      getrandom(bytes.data() + filled, bytes.size() - filled, 0);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      throw Error(fmt::format("cannot read random bytes from the kernel: {}",
                              std::strerror(errno)));
    }
    filled += static_cast<std::size_t>(got);
  }
}

} // namespace

std::string make_uuid()
{
  std::array<std::uint8_t, 16> bytes{};
  fill_random(bytes);
  // Version 4 (random), variant 1 (RFC 4122).
  bytes[6] = static_cast<std::uint8_t>((bytes[6] & 0x0F) | 0x40);
  bytes[8] = static_cast<std::uint8_t>((bytes[8] & 0x3F) | 0x80);
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) {
      out.push_back('-');
    }
    out.push_back(k_hex[bytes[i] >> 4]);
    out.push_back(k_hex[bytes[i] & 0x0F]);
  }
  return out;
}

} // namespace jq
