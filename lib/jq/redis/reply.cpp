#include "reply.hpp"

#include <jq/core/error.hpp>

#include <fmt/core.h>
#include <hiredis/hiredis.h>

namespace jq::redis {

namespace {

[[noreturn]] void wrong_type(const redisReply* reply, std::string_view wanted)
{
  if (reply != nullptr && reply->type == REDIS_REPLY_ERROR) {
    // An error where a value was expected (in a pipeline, a transaction or
    // an array): Redis refused that command.
    throw RedisReplyError(std::string(reply->str, reply->len));
  }
  throw ProtocolError(fmt::format("unexpected Redis reply type {} (wanted {})",
                                  reply == nullptr ? -1 : reply->type,
                                  wanted));
}

} // namespace

void ReplyDeleter::operator()(redisReply* reply) const noexcept
{
  if (reply != nullptr) {
    freeReplyObject(reply);
  }
}

bool ReplyView::is_nil() const noexcept
{
  return m_reply == nullptr || m_reply->type == REDIS_REPLY_NIL;
}

bool ReplyView::is_error() const noexcept
{
  return m_reply != nullptr && m_reply->type == REDIS_REPLY_ERROR;
}

bool ReplyView::is_array() const noexcept
{
  return m_reply != nullptr && m_reply->type == REDIS_REPLY_ARRAY;
}

bool ReplyView::is_integer() const noexcept
{
  return m_reply != nullptr && m_reply->type == REDIS_REPLY_INTEGER;
}

bool ReplyView::is_string() const noexcept
{
  return m_reply != nullptr
         && (m_reply->type == REDIS_REPLY_STRING
             || m_reply->type == REDIS_REPLY_STATUS);
}

long long ReplyView::integer() const
{
  if (!is_integer()) {
    wrong_type(m_reply, "integer");
  }
  return m_reply->integer;
}

std::string_view ReplyView::str() const
{
  if (m_reply == nullptr
      || (m_reply->type != REDIS_REPLY_STRING
          && m_reply->type != REDIS_REPLY_STATUS
          && m_reply->type != REDIS_REPLY_ERROR)) {
    wrong_type(m_reply, "string");
  }
  return {m_reply->str, m_reply->len};
}

std::optional<std::string_view> ReplyView::opt_str() const
{
  if (is_nil()) {
    return std::nullopt;
  }
  return str();
}

std::size_t ReplyView::size() const
{
  if (is_nil()) {
    return 0;
  }
  if (!is_array()) {
    wrong_type(m_reply, "array");
  }
  return m_reply->elements;
}

ReplyView ReplyView::at(std::size_t index) const
{
  if (index >= size()) {
    throw ProtocolError(
      fmt::format("Redis reply has no element {} (size {})", index, size()));
  }
  return ReplyView(m_reply->element[index]);
}

} // namespace jq::redis
