#pragma once

#include <jq/metrics/exposition.hpp>
#include <jq/queue/inspector.hpp>
#include <jq/queue/keys.hpp>
#include <jq/redis/connection.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace jq::metrics {

// A queue's state as `jq-inspect metrics` shows it.
struct QueueMetrics
{
  std::string queue;
  queue::JobCounts counts;
  bool is_paused = false;
  long long workers = 0; // worker connections, as `jq-inspect workers`
  // How long the oldest of the next jobs in line has waited (see
  // find_oldest_waiting); 0 when none waits.
  std::int64_t oldest_wait_ms = 0;
};

// Read the state of the queue of `keys`, whether or not it exists (an
// unknown queue has zeros), at `now_ms`.
QueueMetrics read_queue_metrics(redis::Connection& connection,
                                const queue::Keys& keys,
                                std::int64_t now_ms);

// Read the state of every queue under `prefix` (as `jq-inspect queues`
// finds them), sorted by name; one CLIENT LIST for all.
std::vector<QueueMetrics> read_all_queue_metrics(redis::Connection& connection,
                                                 std::string_view prefix,
                                                 std::int64_t now_ms);

// Write the families of `queues` to `out` (each family with its help and
// type even when `queues` is empty).
void write_queue_metrics(Exposition& out, std::span<const QueueMetrics> queues);

} // namespace jq::metrics
