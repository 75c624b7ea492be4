#include "url.hpp"

#include <jq/core/error.hpp>
#include <jq/core/percent_decode.hpp>
#include <jq/sql/server/url.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string_view>

namespace jq::sql::mysql {

namespace {

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
  const auto fail = [&](std::string_view why) {
    return UsageError(
      fmt::format("invalid database {}: {}", spec.redacted(), why));
  };
  const server::UrlParts parts = server::split_url(spec.url);
  if (!parts.scheme) {
    throw fail("expected mysql://[USER[:PASSWORD]@]HOST[:PORT]/DBNAME");
  }
  ConnectParams params;
  if (parts.user) {
    params.user = percent_decode(*parts.user);
  }
  if (parts.password) {
    params.password = percent_decode(*parts.password);
  }
  std::string_view host = parts.host_port;
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
    params.host = percent_decode(host);
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
  params.database = percent_decode(parts.path.value_or(""));
  if (params.database.empty()
      || params.database.find('/') != std::string::npos) {
    throw fail("expected the database name after the host: .../DBNAME");
  }

  for (const auto& pair : server::query_pairs(parts.query.value_or(""))) {
    if (pair.text.empty()) {
      continue;
    }
    const std::string value = percent_decode(pair.value);
    if (pair.key == "socket") {
      params.socket = value;
    } else if (pair.key == "ssl-mode" || pair.key == "ssl_mode"
               || pair.key == "sslmode") {
      params.ssl_mode = parse_ssl_mode(spec, value);
    } else if (pair.key == "ssl-ca" || pair.key == "ssl_ca") {
      params.ssl_ca = value;
    } else {
      // Never the value: it may be a password.
      throw fail(fmt::format("unknown parameter '{}' (known: socket, "
                             "ssl-mode, ssl-ca, ro)",
                             pair.key));
    }
  }
  return params;
}

} // namespace jq::sql::mysql
