#include "sha1.hpp"

#include <array>
#include <cstdint>

namespace jq {

namespace {

constexpr std::uint32_t rotl(std::uint32_t value, int bits)
{
  return (value << bits) | (value >> (32 - bits));
}

void process_block(std::array<std::uint32_t, 5>& h, const unsigned char* block)
{
  std::array<std::uint32_t, 80> w{};
  for (std::size_t i = 0; i < 16; ++i) {
    w[i] = static_cast<std::uint32_t>(block[4 * i]) << 24
           | static_cast<std::uint32_t>(block[4 * i + 1]) << 16
           | static_cast<std::uint32_t>(block[4 * i + 2]) << 8
           | static_cast<std::uint32_t>(block[4 * i + 3]);
  }
  for (std::size_t i = 16; i < 80; ++i) {
    w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
  }
  std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
  for (std::size_t i = 0; i < 80; ++i) {
    std::uint32_t f = 0;
    std::uint32_t k = 0;
    if (i < 20) {
      f = (b & c) | (~b & d);
      k = 0x5A827999;
    } else if (i < 40) {
      f = b ^ c ^ d;
      k = 0x6ED9EBA1;
    } else if (i < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8F1BBCDC;
    } else {
      f = b ^ c ^ d;
      k = 0xCA62C1D6;
    }
    const std::uint32_t temp = rotl(a, 5) + f + e + k + w[i];
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = temp;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
}

} // namespace

std::string sha1_hex(std::string_view data)
{
  std::array<std::uint32_t, 5> h{
    0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::string padded(data);
  const std::uint64_t bit_length = static_cast<std::uint64_t>(data.size()) * 8;
  padded.push_back(static_cast<char>(0x80));
  while (padded.size() % 64 != 56) {
    padded.push_back('\0');
  }
  for (int i = 7; i >= 0; --i) {
    padded.push_back(static_cast<char>((bit_length >> (8 * i)) & 0xFF));
  }
  for (std::size_t i = 0; i < padded.size(); i += 64) {
    process_block(h, reinterpret_cast<const unsigned char*>(padded.data() + i));
  }
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(40);
  for (const std::uint32_t word : h) {
    for (int shift = 28; shift >= 0; shift -= 4) {
      out.push_back(k_hex[(word >> shift) & 0xF]);
    }
  }
  return out;
}

} // namespace jq
