#include "base64.hpp"

#include <array>
#include <cstdint>

namespace jq {

namespace {

constexpr char k_alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_reverse()
{
  std::array<std::int8_t, 256> table{};
  for (auto& entry : table) {
    entry = -1;
  }
  for (int i = 0; i < 64; ++i) {
    table[static_cast<unsigned char>(k_alphabet[i])] =
      static_cast<std::int8_t>(i);
  }
  return table;
}

constexpr auto k_reverse = make_reverse();

} // namespace

std::string base64_encode(std::string_view bytes)
{
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n =
      static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]) << 16
                                 | static_cast<unsigned char>(bytes[i + 1]) << 8
                                 | static_cast<unsigned char>(bytes[i + 2]));
    out.push_back(k_alphabet[(n >> 18) & 63]);
    out.push_back(k_alphabet[(n >> 12) & 63]);
    out.push_back(k_alphabet[(n >> 6) & 63]);
    out.push_back(k_alphabet[n & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n =
      static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]) << 16);
    if (rest == 2) {
      n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])
                                      << 8);
    }
    out.push_back(k_alphabet[(n >> 18) & 63]);
    out.push_back(k_alphabet[(n >> 12) & 63]);
    out.push_back(rest == 2 ? k_alphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text)
{
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t n = 0;
    int padding = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=') {
        // Padding only at the very end, at most two.
        if (i + 4 != text.size() || j < 2) {
          return std::nullopt;
        }
        ++padding;
        n <<= 6;
        continue;
      }
      if (padding > 0) {
        return std::nullopt;
      }
      const auto value = k_reverse[static_cast<unsigned char>(c)];
      if (value < 0) {
        return std::nullopt;
      }
      n = (n << 6) | static_cast<std::uint32_t>(value);
    }
    out.push_back(static_cast<char>((n >> 16) & 0xFF));
    if (padding < 2) {
      out.push_back(static_cast<char>((n >> 8) & 0xFF));
    }
    if (padding < 1) {
      out.push_back(static_cast<char>(n & 0xFF));
    }
  }
  return out;
}

} // namespace jq
