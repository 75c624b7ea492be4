#include "url.hpp"

#include <jq/core/error.hpp>

#include <fmt/core.h>

#include <charconv>

namespace jq::redis {

namespace {

int parse_int(std::string_view text, int low, int high, std::string_view what)
{
  int value = 0;
  const auto [ptr, ec] =
    std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()
      || value < low || value > high) {
    throw UsageError(fmt::format("invalid {} '{}' in Redis URL", what, text));
  }
  return value;
}

std::string percent_decode(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      unsigned value = 0; // unsigned: `%-1` is not an escape
      const auto [ptr, ec] =
        std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
      if (ec == std::errc() && ptr == text.data() + i + 3) {
        out.push_back(static_cast<char>(value));
        i += 2;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

// `host:port`, with an IPv6 literal in brackets.
std::string host_port(const std::string& host, int port)
{
  return host.find(':') == std::string::npos
           ? fmt::format("{}:{}", host, port)
           : fmt::format("[{}]:{}", host, port);
}

} // namespace

std::string Url::redacted() const
{
  if (!unix_path.empty()) {
    const std::string auth = password.empty() ? "" : user + ":***@";
    return fmt::format("unix://{}{}?db={}", auth, unix_path, db);
  }
  std::string auth;
  if (!password.empty()) {
    auth = user + ":***@";
  } else if (!user.empty()) {
    auth = user + "@";
  }
  return fmt::format("redis://{}{}/{}", auth, host_port(host, port), db);
}

std::string Url::endpoint() const
{
  return unix_path.empty() ? host_port(host, port) : unix_path;
}

Url parse_url(std::string_view text)
{
  Url url;
  constexpr std::string_view k_redis = "redis://";
  constexpr std::string_view k_unix = "unix://";
  if (text.starts_with(k_unix)) {
    std::string_view rest = text.substr(k_unix.size());
    if (const auto at = rest.rfind('@'); at != std::string_view::npos) {
      const std::string_view auth = rest.substr(0, at);
      const auto colon = auth.find(':');
      url.user = percent_decode(auth.substr(0, colon));
      if (colon != std::string_view::npos) {
        url.password = percent_decode(auth.substr(colon + 1));
      }
      rest = rest.substr(at + 1);
    }
    const auto query = rest.find('?');
    url.unix_path = std::string(rest.substr(0, query));
    if (url.unix_path.empty() || url.unix_path.front() != '/') {
      throw UsageError(
        "invalid Redis URL: unix:// needs an absolute socket path");
    }
    if (query != std::string_view::npos) {
      const std::string_view params = rest.substr(query + 1);
      if (!params.starts_with("db=")) {
        throw UsageError(
          "invalid Redis URL: the only unix:// parameter is ?db=N");
      }
      url.db = parse_int(params.substr(3), 0, 1'000'000, "database number");
    }
    return url;
  }
  if (!text.starts_with(k_redis)) {
    throw UsageError(
      "invalid Redis URL (expected redis://[[user]:password@]host[:port][/db]"
      " or unix:///path/to/redis.sock[?db=N])");
  }
  std::string_view rest = text.substr(k_redis.size());
  // The path starts after the user info: a password may hold a '/'.
  const auto at_sign = rest.rfind('@');
  const auto slash =
    rest.find('/', at_sign == std::string_view::npos ? 0 : at_sign + 1);
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    const std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      url.db = parse_int(db, 0, 1'000'000, "database number");
    }
  }
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view auth = authority.substr(0, at);
    const auto colon = auth.find(':');
    url.user = percent_decode(auth.substr(0, colon));
    if (colon != std::string_view::npos) {
      url.password = percent_decode(auth.substr(colon + 1));
    }
    authority = authority.substr(at + 1);
  }
  std::string_view host = authority;
  if (authority.starts_with('[')) {
    // An IPv6 literal: [::1]:6379
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      throw UsageError("invalid Redis URL: unclosed '[' in host");
    }
    host = authority.substr(1, close - 1);
    const std::string_view after = authority.substr(close + 1);
    if (after.starts_with(':')) {
      url.port = parse_int(after.substr(1), 1, 65535, "port");
    } else if (!after.empty()) {
      throw UsageError("invalid Redis URL: junk after ']'");
    }
  } else if (const auto colon = authority.rfind(':');
             colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    url.port = parse_int(authority.substr(colon + 1), 1, 65535, "port");
  }
  if (!host.empty()) {
    url.host = std::string(host);
  }
  return url;
}

} // namespace jq::redis
