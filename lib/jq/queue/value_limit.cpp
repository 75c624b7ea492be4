#include "value_limit.hpp"

#include <jq/core/error.hpp>
#include <jq/core/log.hpp>
#include <jq/queue/field_number.hpp>
#include <jq/redis/connection.hpp>

#include <string>

namespace jq::queue {

std::size_t read_value_limit(redis::Connection& connection)
{
  std::string why = "no such setting";
  try {
    const redis::Reply reply =
      connection.command({"CONFIG", "GET", "proto-max-bulk-len"});
    // [name, value]; an empty array from a server that has no such setting.
    if (reply.is_array() && reply.size() == 2 && reply[1].is_string()) {
      if (const auto bytes = parse_field_number(reply[1].str());
          bytes && *bytes > 0) {
        return static_cast<std::size_t>(*bytes);
      }
      why = "not a number";
    }
  } catch (const RedisReplyError& error) {
    why = error.what();
  }
  JQ_LOG(warn,
         "cannot read Redis's proto-max-bulk-len ({}); taking its default, {} "
         "bytes, as the longest reply it stores",
         why,
         k_default_value_limit);
  return k_default_value_limit;
}

} // namespace jq::queue
