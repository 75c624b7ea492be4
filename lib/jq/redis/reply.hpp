#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

struct redisReply;

namespace jq::redis {

// A borrowed look at one hiredis reply (or an element of one). Valid while
// the owning Reply lives.
class ReplyView
{
public:
  explicit ReplyView(const redisReply* reply) noexcept
    : m_reply(reply)
  {
  }

  bool is_nil() const noexcept;
  bool is_error() const noexcept;
  bool is_array() const noexcept;
  bool is_integer() const noexcept;
  // A bulk string or a status (`OK`).
  bool is_string() const noexcept;

  // The integer; throws ProtocolError for any other type.
  long long integer() const;
  // The string, status or error text; throws ProtocolError for other types.
  std::string_view str() const;
  // The string, or std::nullopt for nil.
  std::optional<std::string_view> opt_str() const;
  // Element count of an array (0 for nil); throws for other types.
  std::size_t size() const;
  // Element `index` of an array; throws ProtocolError when out of range.
  ReplyView at(std::size_t index) const;
  ReplyView operator[](std::size_t index) const
  {
    return at(index);
  }

protected:
  const redisReply* m_reply;
};

struct ReplyDeleter
{
  void operator()(redisReply* reply) const noexcept;
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// An owned hiredis reply. Move-only.
class Reply : public ReplyView
{
public:
  explicit Reply(ReplyPtr reply) noexcept
    : ReplyView(reply.get()),
      m_owned(std::move(reply))
  {
  }

private:
  ReplyPtr m_owned;
};

} // namespace jq::redis
