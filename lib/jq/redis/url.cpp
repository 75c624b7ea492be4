#include "url.hpp"

#include <jq/core/error.hpp>
#include <jq/core/percent_decode.hpp>

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
  if (!sentinels.empty()) {
    std::string hosts;
    for (const auto& [sentinel_host, sentinel_port] : sentinels) {
      hosts +=
        (hosts.empty() ? "" : ",") + host_port(sentinel_host, sentinel_port);
    }
    const std::string auth = password.empty() ? "" : user + ":***@";
    return fmt::format(
      "redis-sentinel://{}{}/{}/{}", auth, hosts, master_name, db);
  }
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
  if (!sentinels.empty() && host.empty()) {
    return fmt::format("primary '{}'", master_name);
  }
  return unix_path.empty() ? host_port(host, port) : unix_path;
}

Url parse_url(std::string_view text)
{
  constexpr std::string_view k_sentinel = "redis-sentinel://";
  if (text.starts_with(k_sentinel)) {
    // Reuse the redis:// parser for the credentials and each host:port.
    std::string_view rest = text.substr(k_sentinel.size());
    const auto at = rest.rfind('@');
    const std::string auth =
      at == std::string_view::npos ? "" : std::string(rest.substr(0, at + 1));
    rest = at == std::string_view::npos ? rest : rest.substr(at + 1);
    const auto slash = rest.find('/');
    if (slash == std::string_view::npos || slash + 1 >= rest.size()) {
      throw UsageError("invalid Redis URL: redis-sentinel:// needs "
                       "host:port[,host:port...]/master-name");
    }
    std::string_view path = rest.substr(slash + 1);
    const auto db_slash = path.find('/');
    Url url = parse_url("redis://" + auth + "x"
                        + (db_slash == std::string_view::npos
                             ? std::string()
                             : "/" + std::string(path.substr(db_slash + 1))));
    url.master_name = std::string(path.substr(0, db_slash));
    url.host.clear();
    std::string_view hosts = rest.substr(0, slash);
    while (!hosts.empty()) {
      const auto comma = hosts.find(',');
      const Url one =
        parse_url("redis://" + std::string(hosts.substr(0, comma)));
      url.sentinels.emplace_back(one.host, one.port);
      hosts = comma == std::string_view::npos ? "" : hosts.substr(comma + 1);
    }
    if (url.master_name.empty() || url.sentinels.empty()) {
      throw UsageError("invalid Redis URL: redis-sentinel:// needs "
                       "host:port[,host:port...]/master-name");
    }
    return url;
  }
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
  if (text.starts_with("rediss://")) {
    throw UsageError(
      "rediss:// (TLS) is not supported: the hiredis this is built with (0.14) "
      "has no TLS; reach a TLS-only Redis through a local tunnel (stunnel) or "
      "use a unix:// socket");
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

std::string redacted_url(std::string_view text)
{
  try {
    return parse_url(text).redacted();
  } catch (const UsageError& error) {
    // parse_url's message never holds the password; the text may.
    return fmt::format("(not shown: {})", error.what());
  }
}

} // namespace jq::redis
