// Real hiredis replies built from test data, for the fuzz targets that
// decode Redis replies (Job::from_fields, parse_outcome).
#pragma once

#include <jq/redis/reply.hpp>

#include <hiredis/hiredis.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jq::fuzz {

// RESP text, one element at a time.
struct Resp
{
  std::string text;

  Resp& array(std::size_t count)
  {
    text += '*' + std::to_string(count) + "\r\n";
    return *this;
  }
  Resp& bulk(std::string_view value)
  {
    text += '$' + std::to_string(value.size()) + "\r\n";
    text += value;
    text += "\r\n";
    return *this;
  }
  Resp& nil()
  {
    text += "$-1\r\n";
    return *this;
  }
  Resp& bulk_or_nil(const std::optional<std::string_view>& value)
  {
    return value ? bulk(*value) : nil();
  }
};

// The reply hiredis's own reader makes of `resp`, which must be one whole,
// valid reply (the harness builds it, so anything else is a harness bug).
inline redis::Reply read_reply(const Resp& resp)
{
  redisReader* reader = redisReaderCreate();
  void* reply = nullptr;
  if (reader == nullptr
      || redisReaderFeed(reader, resp.text.data(), resp.text.size()) != REDIS_OK
      || redisReaderGetReply(reader, &reply) != REDIS_OK || reply == nullptr) {
    std::abort();
  }
  redisReaderFree(reader);
  return redis::Reply(redis::ReplyPtr(static_cast<redisReply*>(reply)));
}

} // namespace jq::fuzz
