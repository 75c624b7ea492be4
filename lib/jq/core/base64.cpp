#include "base64.hpp"

#include <nettle/base64.h>

#include <cstdint>

namespace jq {

namespace {

const std::uint8_t* as_bytes(std::string_view text)
{
  return reinterpret_cast<const std::uint8_t*>(text.data());
}

// Whether `text` has the form of canonical padded base64: whole groups of
// four, alphabet characters only, at most two '=' and only at the end.
// nettle's decoder is lenient (it skips white space and takes unpadded
// input); a reply's {"$base64": ...} and a blob parameter should not be.
bool is_padded_base64(std::string_view text)
{
  if (text.size() % 4 != 0) {
    return false;
  }
  const std::size_t data_end = text.find_last_not_of('=');
  const std::size_t padding = data_end == std::string_view::npos
                                ? text.size()
                                : text.size() - data_end - 1;
  if (padding > 2 || (padding > 0 && data_end == std::string_view::npos)) {
    return false;
  }
  for (const char c : text.substr(0, text.size() - padding)) {
    const bool is_alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
                             || (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!is_alphabet) {
      return false;
    }
  }
  return true;
}

} // namespace

std::string base64_encode(std::string_view bytes)
{
  std::string text(BASE64_ENCODE_RAW_LENGTH(bytes.size()), '\0');
  base64_encode_raw(
    reinterpret_cast<char*>(text.data()), bytes.size(), as_bytes(bytes));
  return text;
}

std::optional<std::string> base64_decode(std::string_view text)
{
  if (!is_padded_base64(text)) {
    return std::nullopt;
  }
  base64_decode_ctx context;
  base64_decode_init(&context);
  std::string bytes(BASE64_DECODE_LENGTH(text.size()), '\0');
  std::size_t length = bytes.size();
  if (base64_decode_update(&context,
                           &length,
                           reinterpret_cast<std::uint8_t*>(bytes.data()),
                           text.size(),
                           text.data())
        == 0
      || base64_decode_final(&context) == 0) {
    return std::nullopt;
  }
  bytes.resize(length);
  return bytes;
}

} // namespace jq
