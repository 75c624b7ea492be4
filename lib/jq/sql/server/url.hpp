#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace jq::sql::server {

// Where the parts of a database server's URL are,
// `scheme://[user[:password]@]host[:port][/path][?query]`: each a view into
// the URL, as written (percent_decode() reads a part). One reading for
// every use: hiding the password (database_spec.cpp), taking `ro` out of
// the query, and the MySQL engine's connection parameters (mysql/url.hpp).
struct UrlParts
{
  // Before "://"; none, and the authority from the start, without it.
  std::optional<std::string_view> scheme;
  // The authority (up to the first '/' or '?') before its last '@', and
  // the password after the first ':' of that; none without an '@' or a
  // ':'.
  std::optional<std::string_view> user;
  std::optional<std::string_view> password;
  // The rest of the authority: `host`, `host:port` or `[v6]:port`.
  std::string_view host_port;
  // After the '/' that ends the authority, up to the query; none without
  // that '/'.
  std::optional<std::string_view> path;
  // After the first '?' past the scheme; none without a '?'.
  std::optional<std::string_view> query;
};

// Split `url` into its parts. Never throws: a part it lacks is left out.
UrlParts split_url(std::string_view url);

// One `key=value` of a query, as written.
struct QueryPair
{
  std::string_view text;  // the whole pair
  std::string_view key;   // before the first '='
  std::string_view value; // after it; empty without one
};

// The `&`-separated pairs of `query`, in order, empty ones too.
std::vector<QueryPair> query_pairs(std::string_view query);

} // namespace jq::sql::server
