#include "queue_discovery.hpp"

#include <map>
#include <set>
#include <utility>

namespace jq::queue {

nlohmann::ordered_json QueueSummary::to_json() const
{
  nlohmann::ordered_json out = {{"queue", name}};
  const nlohmann::ordered_json states = counts.to_json();
  for (const auto& [state, count] : states.items()) {
    out[state] = count;
  }
  out["isPaused"] = is_paused;
  return out;
}

std::vector<QueueSummary> find_queues(redis::Connection& connection,
                                      std::string_view prefix)
{
  // Candidate keys by queue; a key counts only if its type is right.
  std::map<std::string, std::vector<std::pair<std::string, std::string_view>>>
    candidates;
  const std::string pattern = Keys::queue_scan_pattern(prefix);
  std::string cursor = "0";
  do {
    const redis::Reply reply =
      connection.command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    cursor = std::string(reply[0].str());
    const redis::ReplyView keys = reply[1];
    for (std::size_t i = 0; i < keys.size(); ++i) {
      const std::string_view key = keys[i].str();
      if (auto match = Keys::match_queue_key(prefix, key)) {
        candidates[match->queue].emplace_back(std::string(key), match->type);
      }
    }
  } while (cursor != "0");

  std::vector<std::pair<std::string, std::string_view>> checks;
  for (const auto& [queue, keys] : candidates) {
    for (const auto& key : keys) {
      connection.append({"TYPE", key.first});
      checks.push_back(key);
    }
  }
  std::set<std::string> queues;
  for (const auto& [key, type] : checks) {
    const redis::Reply reply = redis::checked(connection.get_reply());
    if (reply.str() == type) {
      queues.insert(Keys::match_queue_key(prefix, key)->queue);
    }
  }

  std::vector<QueueSummary> result;
  for (const auto& queue : queues) {
    const Keys keys(prefix, queue);
    QueueSummary summary;
    summary.name = queue;
    summary.counts = count_jobs(connection, keys);
    connection.append({"EXISTS", keys.meta_paused()});
    connection.append({"HEXISTS", keys.meta(), "paused"});
    const bool flag = redis::checked(connection.get_reply()).integer() == 1;
    const bool field = redis::checked(connection.get_reply()).integer() == 1;
    summary.is_paused = flag || field;
    result.push_back(std::move(summary));
  }
  return result;
}

} // namespace jq::queue
