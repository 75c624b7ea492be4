#include "url.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string_view>

namespace jq::sql::mysql {

namespace {

int hex_digit(char c)
{
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

std::string decoded(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0
        && hex_digit(text[i + 2]) >= 0) {
      out +=
        static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

SslMode parse_ssl_mode(const DatabaseSpec& spec, std::string_view value)
{
  std::string upper(value);
  std::transform(upper.begin(), upper.end(), upper.begin(), [](char c) {
    return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  });
  std::replace(upper.begin(), upper.end(), '-', '_');
  if (upper == "DISABLED") {
    return SslMode::disabled;
  }
  if (upper == "PREFERRED") {
    return SslMode::preferred;
  }
  if (upper == "REQUIRED") {
    return SslMode::required;
  }
  if (upper == "VERIFY_CA") {
    return SslMode::verify_ca;
  }
  if (upper == "VERIFY_IDENTITY") {
    return SslMode::verify_identity;
  }
  throw UsageError(fmt::format(
    "database {}: ssl-mode={}: expected DISABLED, PREFERRED, REQUIRED, "
    "VERIFY_CA or VERIFY_IDENTITY",
    spec.name,
    value));
}

} // namespace

ConnectParams parse_url(const DatabaseSpec& spec)
{
  std::string_view url = spec.url;
  const auto fail = [&](std::string_view why) {
    return UsageError(
      fmt::format("invalid database {}: {}", spec.redacted(), why));
  };
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    throw fail("expected mysql://[USER[:PASSWORD]@]HOST[:PORT]/DBNAME");
  }
  url.remove_prefix(scheme_end + 3);
  std::string_view query;
  if (const auto mark = url.find('?'); mark != std::string_view::npos) {
    query = url.substr(mark + 1);
    url = url.substr(0, mark);
  }
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos
                                  ? std::string_view()
                                  : url.substr(slash + 1);

  ConnectParams params;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    const auto colon = userinfo.find(':');
    params.user = decoded(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) {
      params.password = decoded(userinfo.substr(colon + 1));
    }
    authority.remove_prefix(at + 1);
  }
  std::string_view host = authority;
  std::string_view port;
  if (host.starts_with('[')) {
    // [::1]:3306
    const auto close = host.find(']');
    if (close == std::string_view::npos) {
      throw fail("an IPv6 address without its closing ']'");
    }
    if (close + 1 < host.size()) {
      if (host[close + 1] != ':') {
        throw fail("expected ':PORT' after the IPv6 address");
      }
      port = host.substr(close + 2);
    }
    host = host.substr(1, close - 1);
  } else if (const auto colon = host.rfind(':');
             colon != std::string_view::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (!host.empty()) {
    params.host = decoded(host);
  }
  if (!port.empty()) {
    unsigned int number = 0;
    const auto [end, error] =
      std::from_chars(port.data(), port.data() + port.size(), number);
    if (error != std::errc() || end != port.data() + port.size() || number == 0
        || number > 65535) {
      throw fail(
        fmt::format("port '{}' is not a number from 1 to 65535", port));
    }
    params.port = number;
  }
  params.database = decoded(path);
  if (params.database.empty()
      || params.database.find('/') != std::string::npos) {
    throw fail("expected the database name after the host: .../DBNAME");
  }

  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view()
                                          : query.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    const auto equals = pair.find('=');
    const std::string_view key = pair.substr(0, equals);
    const std::string value =
      decoded(equals == std::string_view::npos ? std::string_view()
                                               : pair.substr(equals + 1));
    if (key == "socket") {
      params.socket = value;
    } else if (key == "ssl-mode" || key == "ssl_mode" || key == "sslmode") {
      params.ssl_mode = parse_ssl_mode(spec, value);
    } else if (key == "ssl-ca" || key == "ssl_ca") {
      params.ssl_ca = value;
    } else {
      // Never the value: it may be a password.
      throw fail(fmt::format("unknown parameter '{}' (known: socket, "
                             "ssl-mode, ssl-ca, ro)",
                             key));
    }
  }
  return params;
}

} // namespace jq::sql::mysql
