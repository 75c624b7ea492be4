#pragma once

#include <jq/redis/connection.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace jq::redis {

// A Lua script run by its SHA-1 (EVALSHA), sent in full (EVAL) only when
// Redis does not know it yet (NOSCRIPT), e.g. after a restart. It refers to
// its text and hash (the build's constants) without copying them.
class Script
{
public:
  // `sha1`: the SHA-1 of `source` in lower-case hex, as Redis names it.
  constexpr Script(std::string_view source, std::string_view sha1) noexcept
    : m_source(source),
      m_sha(sha1)
  {
  }

  std::string_view source() const noexcept
  {
    return m_source;
  }
  std::string_view sha() const noexcept
  {
    return m_sha;
  }

  // Run with `keys` and `args` and return the reply. Throws RedisReplyError
  // for an error raised by the script.
  Reply run(Connection& connection,
            const std::vector<std::string>& keys,
            const std::vector<std::string>& args) const;

  // One call's keys and arguments.
  struct Call
  {
    std::vector<std::string> keys;
    std::vector<std::string> args;
  };

  // Queue `call` by SHA-1 (EVALSHA) without waiting, for a caller that
  // pipelines it with other commands and reads its reply with get_reply():
  // a NOSCRIPT reply is the caller's to handle (nothing was executed).
  void append(Connection& connection, const Call& call) const;

  // Run every call in one pipelined round trip and return the replies in
  // order (error replies included, not thrown). A NOSCRIPT reply is re-run
  // with the full script: EVALSHA did not execute anything.
  std::vector<Reply> run_many(Connection& connection,
                              const std::vector<Call>& calls) const;

private:
  std::vector<std::string> command(std::string_view verb,
                                   std::string_view body,
                                   const std::vector<std::string>& keys,
                                   const std::vector<std::string>& args) const;

  std::string_view m_source;
  std::string_view m_sha;
};

// True if `reply` is Redis' NOSCRIPT error.
bool is_noscript(const ReplyView& reply);

} // namespace jq::redis
