#pragma once

#include <jq/redis/connection.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace jq::redis {

// A Lua script run by its SHA-1 (EVALSHA), sent in full (EVAL) only when
// Redis does not know it yet (NOSCRIPT), e.g. after a restart.
class Script
{
public:
  explicit Script(std::string_view source);

  const std::string& source() const noexcept
  {
    return m_source;
  }
  const std::string& sha() const noexcept
  {
    return m_sha;
  }

  // Run with `keys` and `args` and return the reply. Throws RedisReplyError
  // for an error raised by the script.
  Reply run(Connection& connection,
            const std::vector<std::string>& keys,
            const std::vector<std::string>& args) const;

  // Queue an EVALSHA on `connection` (pipelining); read the reply with
  // get_reply() and, if it is a NOSCRIPT error, call run() again.
  void append(Connection& connection,
              const std::vector<std::string>& keys,
              const std::vector<std::string>& args) const;

private:
  std::vector<std::string> command(std::string_view verb,
                                   std::string_view body,
                                   const std::vector<std::string>& keys,
                                   const std::vector<std::string>& args) const;

  std::string m_source;
  std::string m_sha;
};

// True if `reply` is Redis' NOSCRIPT error.
bool is_noscript(const ReplyView& reply);

} // namespace jq::redis
