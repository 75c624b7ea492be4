#include "database_spec.hpp"

#include <jq/core/error.hpp>
#include <jq/core/percent_decode.hpp>
#include <jq/sql/server/url.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <optional>
#include <vector>

namespace jq::sql {

namespace {

constexpr std::string_view k_read_only_suffix = ":ro";
constexpr std::string_view k_redacted = "***";

// The passwords a URL holds, as written: in the user info and as a
// `password=` query parameter.
std::vector<std::string_view> written_passwords(std::string_view url)
{
  std::vector<std::string_view> found;
  const server::UrlParts parts = server::split_url(url);
  if (parts.password && !parts.password->empty()) {
    found.push_back(*parts.password);
  }
  if (parts.query) {
    for (const auto& pair : server::query_pairs(*parts.query)) {
      if (pair.key == "password" && !pair.value.empty()) {
        found.push_back(pair.value);
      }
    }
  }
  return found;
}

std::string redacted_url(std::string_view url)
{
  std::string out(url);
  // From the end, so earlier positions stay valid.
  std::vector<std::string_view> secrets = written_passwords(url);
  for (auto it = secrets.rbegin(); it != secrets.rend(); ++it) {
    const auto at = static_cast<std::size_t>(it->data() - url.data());
    out.replace(at, it->size(), k_redacted);
  }
  return out;
}

// Whether `value` of `ro=` means read-only. Throws UsageError otherwise.
bool parse_read_only(std::string_view name, std::string_view value)
{
  static constexpr std::array<std::string_view, 4> k_yes = {
    "1", "true", "on", "yes"};
  static constexpr std::array<std::string_view, 4> k_no = {
    "0", "false", "off", "no"};
  for (const auto yes : k_yes) {
    if (value == yes) {
      return true;
    }
  }
  for (const auto no : k_no) {
    if (value == no) {
      return false;
    }
  }
  throw UsageError(fmt::format(
    "database {}: ro={} in the URL: expected ro=1 or ro=0", name, value));
}

// Take `ro` out of the URL's query (libpq and the MySQL engine refuse
// parameters they do not know); sets `spec.read_only` when it says so.
std::string strip_read_only(std::string_view url, DatabaseSpec& spec)
{
  const auto query = server::split_url(url).query;
  if (!query) {
    return std::string(url);
  }
  std::string kept;
  for (const auto& pair : server::query_pairs(*query)) {
    if (pair.key == "ro") {
      spec.read_only = parse_read_only(spec.name, pair.value);
      continue;
    }
    if (!kept.empty()) {
      kept += '&';
    }
    kept += pair.text;
  }
  // Up to the '?'.
  std::string out(url.substr(0, query->data() - url.data() - 1));
  if (!kept.empty()) {
    out += '?';
    out += kept;
  }
  return out;
}

std::optional<EngineKind> server_engine(std::string_view value)
{
  for (const std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (value.starts_with(scheme)) {
      return EngineKind::postgresql;
    }
  }
  for (const std::string_view scheme : {"mysql://", "mariadb://"}) {
    if (value.starts_with(scheme)) {
      return EngineKind::mysql;
    }
  }
  return std::nullopt;
}

bool is_port_number(std::string_view text)
{
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

// Refuse what would be split inside a password, and so show part of it as
// a host, port or path: an '@' past the host part (before any '=' of the
// query: `?user=svc@corp` is fine), or `user:secret` with no '@' at all.
// The messages name the database, never the URL.
void check_url_authority(std::string_view name, std::string_view rest)
{
  const auto host_end = std::min(rest.find_first_of("/?#"), rest.size());
  const auto equals = rest.find('=', host_end);
  const auto late_at = rest.find('@', host_end);
  if (late_at != std::string_view::npos && late_at < equals) {
    throw UsageError(fmt::format(
      "invalid database {}: its URL has an '@' after the host part; in a "
      "user name or password, write '/' as %2F, '?' as %3F, '#' as %23 "
      "and '@' as %40",
      name));
  }
  const std::string_view host_port = rest.substr(0, host_end);
  const auto colon = host_port.rfind(':');
  if (host_port.find('@') == std::string_view::npos && !host_port.empty()
      && host_port.front() != '[' && colon != std::string_view::npos
      && !is_port_number(host_port.substr(colon + 1))) {
    throw UsageError(fmt::format(
      "invalid database {}: what follows ':' in its host part is not a port "
      "number (a password is written user:password@host)",
      name));
  }
}

} // namespace

std::string DatabaseSpec::redacted() const
{
  const std::string suffix(read_only ? k_read_only_suffix : "");
  if (engine == EngineKind::sqlite) {
    return fmt::format("{}={}{}", name, path, suffix);
  }
  return fmt::format("{}={}{}", name, redacted_url(url), suffix);
}

std::string DatabaseSpec::scrub(std::string text) const
{
  if (engine == EngineKind::sqlite) {
    return text;
  }
  for (const auto written : written_passwords(url)) {
    for (const std::string& secret :
         {std::string(written), percent_decode(written)}) {
      for (auto at = text.find(secret); at != std::string::npos;
           at = text.find(secret, at + k_redacted.size())) {
        text.replace(at, secret.size(), k_redacted);
      }
    }
  }
  return text;
}

DatabaseSpec parse_database_spec(std::string_view text)
{
  const auto equals = text.find('=');
  if (equals == std::string_view::npos) {
    throw UsageError(fmt::format("invalid database '{}': expected "
                                 "NAME=PATH[:ro] or NAME=postgresql://...",
                                 redacted_url(text)));
  }
  DatabaseSpec spec;
  spec.name = std::string(text.substr(0, equals));
  std::string_view value = text.substr(equals + 1);
  if (spec.name.empty()) {
    throw UsageError(fmt::format("invalid database '{}': the name is empty",
                                 redacted_url(text)));
  }
  if (value.ends_with(k_read_only_suffix)) {
    spec.read_only = true;
    value.remove_suffix(k_read_only_suffix.size());
  }
  if (const auto engine = server_engine(value)) {
    check_url_authority(spec.name, value.substr(value.find("://") + 3));
    spec.engine = *engine;
    const bool suffix_read_only = spec.read_only;
    spec.url = strip_read_only(value, spec);
    // `:ro` wins over `ro=0`: either way of asking for read-only is kept.
    spec.read_only = spec.read_only || suffix_read_only;
    return spec;
  }
  spec.path = std::string(value);
  if (spec.path.empty()) {
    throw UsageError(
      fmt::format("invalid database '{}': the path is empty", text));
  }
  return spec;
}

std::string redacted_database_spec(std::string_view text)
{
  try {
    return parse_database_spec(text).redacted();
  } catch (const UsageError& error) {
    // The message never holds the password; the text may.
    return fmt::format("(not shown: {})", error.what());
  }
}

void mask_password_in_place(char* argument) noexcept
{
  const std::string_view text(argument);
  for (const std::string_view scheme :
       {"postgresql://", "postgres://", "mysql://", "mariadb://"}) {
    for (auto at = text.find(scheme); at != std::string_view::npos;
         at = text.find(scheme, at + scheme.size())) {
      const std::string_view url = text.substr(at);
      for (const auto secret : written_passwords(url)) {
        std::fill_n(
          argument + (secret.data() - text.data()), secret.size(), '*');
      }
    }
  }
}

std::vector<DatabaseSpec> read_database_file(const std::string& path)
{
  std::ifstream in(path);
  if (!in) {
    throw UsageError(fmt::format("--db-file {}: cannot be read", path));
  }
  std::vector<DatabaseSpec> specs;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#') {
      continue;
    }
    const auto last = line.find_last_not_of(" \t\r");
    try {
      specs.push_back(parse_database_spec(
        std::string_view(line).substr(first, last - first + 1)));
    } catch (const UsageError& error) {
      throw UsageError(fmt::format("{}:{}: {}", path, number, error.what()));
    }
  }
  if (in.bad()) {
    throw UsageError(fmt::format("--db-file {}: cannot be read", path));
  }
  return specs;
}

} // namespace jq::sql
