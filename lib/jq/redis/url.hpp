#pragma once

#include <string>
#include <string_view>

namespace jq::redis {

// Where and how to reach Redis, parsed from `redis://[[user]:password@]host
// [:port][/db]` or `unix:///path/to/redis.sock[?db=N]`.
struct Url
{
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string unix_path; // non-empty for a unix socket
  std::string user;      // empty: the default user
  std::string password;  // empty: no AUTH
  int db = 0;

  // The URL with the password replaced by `***`, for logs and errors.
  std::string redacted() const;
  // `host:port` or the socket path, for messages.
  std::string endpoint() const;
};

// Parse `text` (user and password may be percent-encoded). Throws
// UsageError with the reason; the message never contains the password.
Url parse_url(std::string_view text);

} // namespace jq::redis
