#pragma once

#include <jq/queue/job.hpp>
#include <jq/queue/keys.hpp>
#include <jq/redis/connection.hpp>

#include <string>

namespace jq::queue {

// A job to add: Bull's name, the `data` JSON text and the options.
struct NewJob
{
  std::string name = "__default__";
  std::string data;
  JobOptions options;
};

struct Added
{
  std::string id;
  bool is_new = true; // false: a job with this id existed and was left as is
};

// Adds jobs to one queue in one atomic script each (BULL-PROTOCOL.md 3.1).
// Uses the caller's connection; not thread-safe.
class Producer
{
public:
  Producer(redis::Connection& connection, Keys keys);

  // Add `job`. Throws UsageError for an id that would collide with the
  // queue's own keys, RedisError when Redis fails.
  Added add(const NewJob& job);

private:
  std::vector<std::string> arguments(const NewJob& job) const;

  redis::Connection& m_connection;
  Keys m_keys;
  std::string m_token;
};

} // namespace jq::queue
