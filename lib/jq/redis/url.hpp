#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jq::redis {

// Where and how to reach Redis, parsed from `redis://[[user]:password@]host
// [:port][/db]`, `unix:///path/to/redis.sock[?db=N]` or
// `redis-sentinel://[[user]:password@]host:port[,host:port...]/master-name
// [/db]` (the password is the primary's; sentinels are asked without one).
struct Url
{
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string unix_path; // non-empty for a unix socket
  std::string user;      // empty: the default user
  std::string password;  // empty: no AUTH
  int db = 0;
  // With `redis-sentinel://h1:p1,h2:p2/master-name`: the sentinels to ask
  // where the primary is, and its name. `host`/`port` are then unused.
  std::vector<std::pair<std::string, int>> sentinels;
  std::string master_name;

  // The URL with the password replaced by `***`, for logs and errors.
  std::string redacted() const;
  // `host:port` or the socket path, for messages.
  std::string endpoint() const;
};

// Parse `text` (user and password may be percent-encoded). Throws
// UsageError with the reason; the message never contains the password.
Url parse_url(std::string_view text);

// `text` with its password replaced by `***`, for showing a URL that may
// not parse: one that does not is replaced whole by a note saying why.
std::string redacted_url(std::string_view text);

} // namespace jq::redis
