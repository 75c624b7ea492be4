#pragma once

#include <jq/queue/inspector.hpp>
#include <jq/redis/connection.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace jq::queue {

// A queue found under a prefix, with its counts.
struct QueueSummary
{
  std::string name;
  JobCounts counts;
  bool is_paused = false;

  // {"queue", the counts' fields, "isPaused"}.
  nlohmann::ordered_json to_json() const;
};

// Every queue under `prefix`, sorted by name. Found with SCAN (never KEYS):
// the scan walks the whole keyspace on the server, but only the few keys
// that name a queue come back; then one round trip per queue for counts.
std::vector<QueueSummary> find_queues(redis::Connection& connection,
                                      std::string_view prefix);

} // namespace jq::queue
