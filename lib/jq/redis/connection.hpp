#pragma once

#include <jq/redis/reply.hpp>
#include <jq/redis/url.hpp>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct redisContext;

namespace jq::redis {

struct ContextDeleter
{
  void operator()(redisContext* context) const noexcept;
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

// One connection to Redis (RAII over a blocking hiredis context). Movable,
// not copyable, not thread-safe: one thread uses it at a time. After an I/O
// error the context is dead (hiredis' rule): `is_broken()` turns true and
// every later call throws; open a new Connection to go on.
class Connection
{
public:
  // How open() checks that Redis answers (PING) when the URL asks for no
  // AUTH, SELECT or sentinel: `wait` for the reply; or `overlap` it with
  // the caller's first commands, which then go out before the PONG is in
  // and cost no round trip of their own (the PONG is read, under the
  // connect timeout, before the first reply the caller reads). Overlap only
  // where a command sent to a server that then turns out to refuse us
  // (-BUSY in the meantime) is safe to send again: if PING fails, they are
  // not executed, except after such a change of mind. A failed PING then
  // surfaces at that first reply, as a RedisIoError, not in open().
  enum class Handshake {
    wait,
    overlap,
  };

  static constexpr std::chrono::seconds k_connect_timeout{5};

  // Connect to `url` within `connect_timeout`, then AUTH and SELECT as the
  // URL says. Throws RedisIoError (refused, unreachable, bad credentials);
  // messages never contain the password.
  static Connection
  open(const Url& url,
       std::chrono::milliseconds connect_timeout = k_connect_timeout,
       Handshake handshake = Handshake::wait);

  // Send one command and wait for its reply. Each argument is passed as-is
  // (binary-safe, never parsed). Throws RedisReplyError for an error reply,
  // RedisIoError/RedisTimeoutError when the connection fails.
  Reply command(std::initializer_list<std::string_view> args);
  Reply command(const std::vector<std::string>& args);

  // Queue a command without waiting (pipelining); read its reply, in order,
  // with get_reply().
  void append(std::initializer_list<std::string_view> args);
  void append(const std::vector<std::string>& args);

  // The next reply, waiting as long as the socket timeout allows. An error
  // reply is returned, not thrown (check `is_error()`).
  Reply get_reply();

  // The next reply if one arrives within `timeout`, else std::nullopt. The
  // connection stays usable after a timeout (unlike a socket timeout), which
  // is what a subscriber needs. A PONG still pending (Handshake::overlap)
  // is read first, waiting up to the connect timeout.
  std::optional<Reply> read_reply(std::chrono::milliseconds timeout);

  // Socket timeout for reads and writes; zero means none. Blocking commands
  // need a longer timeout than the one they pass to Redis.
  void set_timeout(std::chrono::milliseconds timeout);

  bool is_broken() const noexcept
  {
    return m_broken;
  }
  const Url& url() const noexcept
  {
    return m_url;
  }

private:
  Connection(ContextPtr context, Url url);
  Reply get_reply_for(std::initializer_list<std::string_view> args);
  // Read and check the PONG an overlapped handshake left pending, then
  // apply the timeout the caller chose.
  void finish_handshake();
  Reply read_next_reply();
  void apply_timeout(std::chrono::milliseconds timeout);
  void append_argv(std::size_t count,
                   const char* const* argv,
                   const std::size_t* lengths);
  [[noreturn]] void fail(std::string_view doing);
  void check_usable() const;

  ContextPtr m_context;
  Url m_url;
  bool m_broken = false;
  bool m_pong_pending = false;
  // The timeout set_timeout() asked for, applied once no PONG is pending,
  // and the one on the socket (-1: not known).
  std::chrono::milliseconds m_timeout{0};
  std::chrono::milliseconds m_applied_timeout{-1};
};

// Throw RedisReplyError if `reply` is an error reply; return it otherwise.
Reply checked(Reply reply);
ReplyView checked(ReplyView reply);

} // namespace jq::redis
