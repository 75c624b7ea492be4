#include "connection.hpp"

#include <jq/core/error.hpp>

#include <fmt/core.h>
#include <hiredis/hiredis.h>

#include <poll.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>

namespace jq::redis {

namespace {

constexpr std::chrono::seconds k_command_timeout(30);

timeval to_timeval(std::chrono::milliseconds timeout)
{
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  return tv;
}

// The one place that turns a dead hiredis context into an exception. On
// hiredis 0.14 a socket timeout shows as REDIS_ERR_IO with EAGAIN.
[[noreturn]] void throw_context_error(const redisContext* context,
                                      const Url& url,
                                      std::string_view doing)
{
  if (context == nullptr) {
    throw RedisIoError(fmt::format(
      "cannot {} Redis at {}: out of memory", doing, url.endpoint()));
  }
  const std::string what = context->errstr;
  if (context->err == REDIS_ERR_IO
      && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ETIMEDOUT)) {
    throw RedisTimeoutError(
      fmt::format("timed out trying to {} Redis at {}", doing, url.endpoint()));
  }
  if (context->err == REDIS_ERR_EOF) {
    throw RedisIoError(fmt::format("lost the connection to Redis at {} ({})",
                                   url.endpoint(),
                                   what.empty() ? "closed" : what));
  }
  throw RedisIoError(
    fmt::format("cannot {} Redis at {}: {}", doing, url.endpoint(), what));
}

template<typename Args>
void to_argv(const Args& args,
             std::vector<const char*>& argv,
             std::vector<std::size_t>& lengths)
{
  argv.clear();
  lengths.clear();
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
}

} // namespace

void ContextDeleter::operator()(redisContext* context) const noexcept
{
  if (context != nullptr) {
    redisFree(context);
  }
}

Connection::Connection(ContextPtr context, Url url)
  : m_context(std::move(context)),
    m_url(std::move(url))
{
}

namespace {

// Ask the sentinels, in order, where the primary named in `url` is now.
// Called on every (re)connect, so a failover is followed by itself.
Url resolve_primary(const Url& url, std::chrono::milliseconds timeout)
{
  std::string errors;
  for (const auto& [host, port] : url.sentinels) {
    Url sentinel;
    sentinel.host = host;
    sentinel.port = port;
    try {
      Connection connection = Connection::open(sentinel, timeout);
      const Reply reply = connection.command(
        {"SENTINEL", "get-master-addr-by-name", url.master_name});
      if (reply.is_array() && reply.size() == 2) {
        Url primary = url;
        primary.sentinels.clear();
        primary.host = std::string(reply[0].str());
        primary.port = std::stoi(std::string(reply[1].str()));
        return primary;
      }
      errors +=
        fmt::format("; {}:{} does not know '{}'", host, port, url.master_name);
    } catch (const RedisError& error) {
      errors += fmt::format("; {}", error.what());
    }
  }
  throw RedisIoError(fmt::format(
    "no sentinel could say where primary '{}' is{}", url.master_name, errors));
}

} // namespace

Connection Connection::open(const Url& given,
                            std::chrono::milliseconds connect_timeout,
                            Handshake handshake)
{
  const Url url =
    given.sentinels.empty() ? given : resolve_primary(given, connect_timeout);
  const timeval tv = to_timeval(connect_timeout);
  ContextPtr context(
    url.unix_path.empty()
      ? redisConnectWithTimeout(url.host.c_str(), url.port, tv)
      : redisConnectUnixWithTimeout(url.unix_path.c_str(), tv));
  if (context == nullptr || context->err != 0) {
    throw_context_error(context.get(), url, "connect to");
  }
  if (url.unix_path.empty()) {
    // TCP only: on a unix socket hiredis's keepalive fails and leaves the
    // context in error, so no command would get through.
    redisEnableKeepAlive(context.get());
  }
  Connection connection(std::move(context), url);
  // The handshake (AUTH, PING, ROLE, SELECT) is bounded like the connect.
  connection.set_timeout(connect_timeout);

  if (!url.password.empty()) {
    Reply reply =
      url.user.empty()
        ? connection.get_reply_for({"AUTH", url.password})
        : connection.get_reply_for({"AUTH", url.user, url.password});
    if (reply.is_error()) {
      // Redis' text (WRONGPASS ...) never echoes the password.
      throw RedisIoError(fmt::format(
        "cannot authenticate to Redis at {}: {}", url.endpoint(), reply.str()));
    }
  }
  if (url.password.empty()) {
    // Without AUTH, a server that requires it only says so at the first
    // command: ask now, so that is a connection error and not a loop.
    connection.append({"PING"});
    connection.m_pong_pending = true;
    // SELECT and ROLE must be answered before any command goes out: one
    // sent after a failed SELECT would run in database 0.
    if (handshake != Handshake::overlap || !given.sentinels.empty()
        || url.db != 0) {
      connection.finish_handshake();
    }
  }
  if (!given.sentinels.empty()) {
    // Mid-failover a sentinel can still name the old primary, now a replica.
    Reply role = connection.get_reply_for({"ROLE"});
    if (!role.is_array() || role.size() == 0 || role[0].str() != "master") {
      throw RedisIoError(fmt::format("{} is not the primary of '{}' (yet)",
                                     url.endpoint(),
                                     url.master_name));
    }
  }
  if (url.db != 0) {
    Reply reply = connection.get_reply_for({"SELECT", std::to_string(url.db)});
    if (reply.is_error()) {
      throw RedisIoError(fmt::format("cannot select database {} at {}: {}",
                                     url.db,
                                     url.endpoint(),
                                     reply.str()));
    }
  }
  // Commands get a longer timeout, so a slow Redis is not mistaken for a
  // dead one (from the PONG on, if it is still pending).
  connection.set_timeout(k_command_timeout);
  return connection;
}

Reply Connection::get_reply_for(std::initializer_list<std::string_view> args)
{
  append(args);
  return get_reply();
}

Reply Connection::command(std::initializer_list<std::string_view> args)
{
  return checked(get_reply_for(args));
}

Reply Connection::command(const std::vector<std::string>& args)
{
  append(args);
  return checked(get_reply());
}

void Connection::append(std::initializer_list<std::string_view> args)
{
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  to_argv(args, argv, lengths);
  append_argv(argv.size(), argv.data(), lengths.data());
}

void Connection::append(const std::vector<std::string>& args)
{
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  to_argv(args, argv, lengths);
  append_argv(argv.size(), argv.data(), lengths.data());
}

void Connection::append_argv(std::size_t count,
                             const char* const* argv,
                             const std::size_t* lengths)
{
  check_usable();
  if (redisAppendCommandArgv(m_context.get(),
                             static_cast<int>(count),
                             const_cast<const char**>(argv),
                             lengths)
      != REDIS_OK) {
    fail("send a command to");
  }
}

void Connection::finish_handshake()
{
  if (!m_pong_pending) {
    return;
  }
  m_pong_pending = false;
  Reply pong = read_next_reply();
  if (pong.is_error()) {
    // What the caller sent after the PING was refused too, or is unknown.
    m_broken = true;
    throw RedisIoError(
      fmt::format("Redis at {} refused us: {}", m_url.endpoint(), pong.str()));
  }
  if (m_timeout != m_applied_timeout) {
    apply_timeout(m_timeout);
  }
}

Reply Connection::get_reply()
{
  check_usable();
  finish_handshake();
  return read_next_reply();
}

Reply Connection::read_next_reply()
{
  void* raw = nullptr;
  if (redisGetReply(m_context.get(), &raw) != REDIS_OK || raw == nullptr) {
    fail("read a reply from");
  }
  return Reply(ReplyPtr(static_cast<redisReply*>(raw)));
}

std::optional<Reply> Connection::read_reply(std::chrono::milliseconds timeout)
{
  check_usable();
  finish_handshake();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Flush anything still queued for sending first.
  int done = 0;
  while (done == 0) {
    if (redisBufferWrite(m_context.get(), &done) != REDIS_OK) {
      fail("send a command to");
    }
  }
  for (;;) {
    void* raw = nullptr;
    if (redisGetReplyFromReader(m_context.get(), &raw) != REDIS_OK) {
      fail("read a reply from");
    }
    if (raw != nullptr) {
      return Reply(ReplyPtr(static_cast<redisReply*>(raw)));
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return std::nullopt;
    }
    pollfd pfd{m_context->fd, POLLIN, 0};
    const int ready = poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0) {
      if (errno == EINTR) {
        continue;
      }
      m_broken = true;
      throw RedisIoError(
        fmt::format("poll failed on the connection to Redis at {}: {}",
                    m_url.endpoint(),
                    std::strerror(errno)));
    }
    if (ready == 0) {
      return std::nullopt;
    }
    if (redisBufferRead(m_context.get()) != REDIS_OK) {
      fail("read a reply from");
    }
  }
}

void Connection::set_timeout(std::chrono::milliseconds timeout)
{
  check_usable();
  // With a PONG pending, the connect timeout stays until it is read.
  m_timeout = timeout;
  if (!m_pong_pending && timeout != m_applied_timeout) {
    apply_timeout(timeout);
  }
}

void Connection::apply_timeout(std::chrono::milliseconds timeout)
{
  if (redisSetTimeout(m_context.get(), to_timeval(timeout)) != REDIS_OK) {
    fail("set a timeout on the connection to");
  }
  m_applied_timeout = timeout;
}

void Connection::fail(std::string_view doing)
{
  m_broken = true;
  throw_context_error(m_context.get(), m_url, doing);
}

void Connection::check_usable() const
{
  if (m_broken || !m_context) {
    throw RedisIoError(
      fmt::format("the connection to Redis at {} is broken", m_url.endpoint()));
  }
}

Reply checked(Reply reply)
{
  checked(ReplyView(reply));
  return reply;
}

ReplyView checked(ReplyView reply)
{
  if (reply.is_error()) {
    throw RedisReplyError(std::string(reply.str()));
  }
  return reply;
}

} // namespace jq::redis
