#pragma once

#include <jq/queue/inspector.hpp>
#include <jq/queue/keys.hpp>
#include <jq/redis/connection.hpp>
#include <jq/redis/url.hpp>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jq::queue {

// The job that has waited longest among the next `sample` in line (the
// tail of `wait`, where a lifo or retried job may sit ahead of older ones),
// and since when, in ms since the epoch: max(timestamp + delay,
// processedOn, retriedOn), so a job back in line after a retry or a stall
// counts from then. std::nullopt when wait is empty or none of them has a
// hash. One LRANGE, then one pipelined HMGET per job sampled.
struct OldestWaiting
{
  std::string id;
  std::int64_t since_ms = 0;
};

std::optional<OldestWaiting> find_oldest_waiting(redis::Connection& connection,
                                                 const Keys& keys,
                                                 long long sample = 10);

// One line of CLIENT LIST: field name -> value, as Redis prints them.
using ClientInfo = std::map<std::string, std::string, std::less<>>;

// Parse CLIENT LIST text (`id=3 addr=... name=... ...`, one client a line).
std::vector<ClientInfo> parse_client_list(std::string_view text);

// A worker connection, found the way Bull's getWorkers() finds them: by the
// connection name `prefix:base64(queue)` (jq-worker and Bull workers both
// set it on their fetching connection).
struct WorkerClient
{
  long long client_id = 0;
  std::string addr;
  std::string name;
  long long age_seconds = 0;
  long long idle_seconds = 0;
  long long db = 0;
  std::string command; // the last command it ran, e.g. `brpoplpush`

  // Fields: id, addr, name, age (s), idle (s), db, cmd.
  nlohmann::ordered_json to_json() const;
};

// The workers connected to the queue of `keys` (one CLIENT LIST).
std::vector<WorkerClient> find_workers(redis::Connection& connection,
                                       const Keys& keys);

// What `health` checks, in this order; the first failure decides.
enum class HealthStatus {
  healthy,
  redis_unreachable,
  redis_refused,
  no_worker,
  wait_too_old
};

std::string_view to_string(HealthStatus status) noexcept;

struct HealthReport
{
  HealthStatus status = HealthStatus::healthy;
  std::string error;                // why Redis is unreachable
  std::optional<long long> workers; // unknown if Redis is unreachable
  std::optional<long long> waiting; // LLEN wait
  std::optional<bool> is_paused;
  std::optional<std::string> oldest_id; // the oldest waiting job
  std::optional<std::int64_t> oldest_wait_ms;
  std::chrono::milliseconds max_wait_age{0};
  std::chrono::milliseconds elapsed{0};

  // Fields: status (healthy, redis_unreachable, redis_refused, no_worker,
  // wait_too_old),
  // healthy, error, workers, waiting, isPaused, oldestWaitingId,
  // oldestWaitingAgeMs, maxWaitAgeMs, elapsedMs.
  nlohmann::ordered_json to_json() const;
};

// Check that Redis answers, that at least one worker is connected and that
// the oldest waiting job (the tail of `wait`, next to run) has waited less
// than `max_wait_age`. A job waits from max(timestamp + delay, processedOn,
// retriedOn): back in line after a retry or a stall, it counts from then.
// Never throws for Redis errors (they are the first check's result) and
// returns within about `timeout` in all: every step gets what is left of it.
HealthReport check_health(const redis::Url& url,
                          const Keys& keys,
                          std::chrono::milliseconds max_wait_age,
                          std::chrono::milliseconds timeout);

// One frame of `watch`.
struct WatchFrame
{
  std::int64_t time_ms = 0;
  JobCounts counts;
  // Jobs finished since the previous frame per second, from the
  // `completed`/`failed` events (so jobs removed on completion count too);
  // unknown on the first frame.
  std::optional<double> completed_per_second;
  std::optional<double> failed_per_second;

  // Fields: time (ms), the counts' fields, completedPerSecond,
  // failedPerSecond.
  nlohmann::ordered_json to_json() const;
};

// Watches a queue: one connection for the counts and one subscribed to the
// queue's completed and failed channels. Not thread-safe; movable.
class Watcher
{
public:
  // Connect twice to `url` and subscribe. Throws RedisIoError.
  Watcher(const redis::Url& url, Keys keys);

  // The counts now; rates unknown.
  WatchFrame first();

  // Count finished jobs for `interval`, then take the counts. Returns
  // std::nullopt as soon as `stop` turns true (checked every 100 ms).
  std::optional<WatchFrame> next(std::chrono::milliseconds interval,
                                 const std::atomic<bool>& stop);

private:
  Keys m_keys;
  redis::Connection m_commands;
  redis::Connection m_events;
  std::chrono::steady_clock::time_point m_since;
};

} // namespace jq::queue
