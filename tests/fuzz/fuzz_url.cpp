// Fuzz the Redis URL parser (--redis, JQ_REDIS_URL, --redis-file).
//
// Besides not crashing: neither an error message nor the redacted URL may
// depend on the bytes of the password. The check parses the URL a second
// time with every password byte the parser does not look at replaced by
// 'Z'; the message (or redacted URL) must come out the same. A message that
// quoted the password, or any part of it, would differ.

#include "invariant.hpp"

#include <jq/core/error.hpp>
#include <jq/redis/url.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace {

using jq::fuzz::check;

// Where the password is in `text`, found as the parser finds it: after the
// scheme's "://", between the first ':' and the last '@'.
std::optional<std::pair<std::size_t, std::size_t>>
password_span(std::string_view text)
{
  const auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) {
    return std::nullopt;
  }
  const std::size_t start = scheme_end + 3;
  const auto at = text.rfind('@');
  if (at == std::string_view::npos || at < start) {
    return std::nullopt;
  }
  const auto colon = text.substr(start, at - start).find(':');
  if (colon == std::string_view::npos) {
    return std::nullopt;
  }
  return std::make_pair(start + colon + 1, at);
}

// `text` with the password's ordinary bytes replaced.
std::string mask_password(std::string_view text,
                          std::pair<std::size_t, std::size_t> span)
{
  std::string masked(text);
  for (std::size_t i = span.first; i < span.second; ++i) {
    const char c = masked[i];
    if (std::string_view(":@/%[]?,=").find(c) == std::string_view::npos) {
      masked[i] = 'Z';
    }
  }
  return masked;
}

// The error message for `text`, or the redacted URL prefixed with "ok: ".
std::string outcome_of(std::string_view text)
{
  try {
    const jq::redis::Url url = jq::redis::parse_url(text);
    check(url.port >= 0 && url.port <= 65535, "port out of range", text);
    check(url.db >= 0, "negative db", text);
    (void)url.endpoint();
    return "ok: " + url.redacted();
  } catch (const jq::UsageError& error) {
    return error.what();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes,
                                      std::size_t size)
{
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  const std::string outcome = outcome_of(text);
  if (const auto span = password_span(text);
      span && span->second > span->first) {
    const std::string masked = mask_password(text, *span);
    if (masked != text) {
      check(outcome_of(masked) == outcome,
            "the error message or redacted URL depends on the password",
            text);
    }
    const std::string_view password =
      text.substr(span->first, span->second - span->first);
    // Belt and braces for long passwords: not there verbatim either.
    if (password.size() >= 8 && outcome.rfind("ok: ", 0) != 0) {
      check(outcome.find(password) == std::string::npos
              || outcome_of(masked).find(password) != std::string::npos,
            "the error message contains the password",
            text);
    }
  }
  return 0;
}
