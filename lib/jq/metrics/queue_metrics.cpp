#include "queue_metrics.hpp"

#include <jq/queue/monitor.hpp>
#include <jq/queue/queue_discovery.hpp>

#include <algorithm>
#include <map>

namespace jq::metrics {

namespace {

// Worker connections by name, from one CLIENT LIST.
std::map<std::string, long long, std::less<>>
count_client_names(redis::Connection& connection)
{
  const redis::Reply reply = connection.command({"CLIENT", "LIST"});
  std::map<std::string, long long, std::less<>> names;
  for (const auto& client : queue::parse_client_list(reply.str())) {
    if (const auto name = client.find("name"); name != client.end()) {
      ++names[name->second];
    }
  }
  return names;
}

// Fill in what `counts`/`find_queues` do not give: the oldest waiting job
// and the workers (matched by exact name, as find_workers does).
void complete(QueueMetrics& metrics,
              redis::Connection& connection,
              const queue::Keys& keys,
              const std::map<std::string, long long, std::less<>>& workers,
              std::int64_t now_ms)
{
  if (const auto oldest = queue::find_oldest_waiting(connection, keys)) {
    metrics.oldest_wait_ms =
      std::max<std::int64_t>(0, now_ms - oldest->since_ms);
  }
  const auto found = workers.find(keys.worker_client_name());
  metrics.workers = found == workers.end() ? 0 : found->second;
}

} // namespace

QueueMetrics read_queue_metrics(redis::Connection& connection,
                                const queue::Keys& keys,
                                std::int64_t now_ms)
{
  QueueMetrics metrics;
  metrics.queue = keys.queue();
  metrics.counts = queue::count_jobs(connection, keys);
  connection.append({"EXISTS", keys.meta_paused()});
  connection.append({"HEXISTS", keys.meta(), "paused"});
  const bool flag = redis::checked(connection.get_reply()).integer() == 1;
  const bool field = redis::checked(connection.get_reply()).integer() == 1;
  metrics.is_paused = flag || field;
  complete(metrics, connection, keys, count_client_names(connection), now_ms);
  return metrics;
}

std::vector<QueueMetrics> read_all_queue_metrics(redis::Connection& connection,
                                                 std::string_view prefix,
                                                 std::int64_t now_ms)
{
  const auto workers = count_client_names(connection);
  std::vector<QueueMetrics> result;
  for (auto& summary : queue::find_queues(connection, prefix)) {
    QueueMetrics metrics;
    metrics.queue = std::move(summary.name);
    metrics.counts = summary.counts;
    metrics.is_paused = summary.is_paused;
    complete(
      metrics, connection, queue::Keys(prefix, metrics.queue), workers, now_ms);
    result.push_back(std::move(metrics));
  }
  return result;
}

void write_queue_metrics(Exposition& out, std::span<const QueueMetrics> queues)
{
  out.family(
    "jq_jobs",
    MetricType::gauge,
    "Jobs in each Bull state now, as getJobCounts() and jq-inspect counts "
    "read them: waiting, active and paused are the lengths of the wait, "
    "active and paused lists (waiting leaves paused jobs out); delayed, "
    "completed and failed the sizes of their sets. completed and failed "
    "count the finished jobs Redis still keeps (removeOnComplete, "
    "removeOnFail and cleaning delete them), not every job that ever "
    "finished: Bull's layout has no such counter (jq-worker's "
    "jq_worker_jobs_total has one per worker)");
  for (const auto& queue : queues) {
    const auto& n = queue.counts;
    const std::pair<std::string_view, long long> states[] = {
      {"waiting", n.waiting},
      {"active", n.active},
      {"delayed", n.delayed},
      {"completed", n.completed},
      {"failed", n.failed},
      {"paused", n.paused}};
    for (const auto& [state, count] : states) {
      out.sample("jq_jobs",
                 {{"queue", queue.queue}, {"state", state}},
                 static_cast<std::uint64_t>(std::max(0LL, count)));
    }
  }

  out.family("jq_queue_paused",
             MetricType::gauge,
             "1 while the queue is paused (meta-paused, or the paused field "
             "of meta), else 0");
  for (const auto& queue : queues) {
    out.sample("jq_queue_paused",
               {{"queue", queue.queue}},
               std::uint64_t{queue.is_paused ? 1U : 0U});
  }

  out.family(
    "jq_queue_oldest_waiting_age_seconds",
    MetricType::gauge,
    "How long the job that has waited longest among the next 10 in line "
    "has waited, in seconds, counted from max(timestamp + delay, "
    "processedOn, retriedOn) as jq-inspect health does; 0 when no job "
    "waits (jobs in the paused list are not looked at)");
  for (const auto& queue : queues) {
    out.sample("jq_queue_oldest_waiting_age_seconds",
               {{"queue", queue.queue}},
               static_cast<double>(queue.oldest_wait_ms) / 1000.0);
  }

  out.family("jq_queue_workers",
             MetricType::gauge,
             "Worker connections of the queue, as jq-inspect workers and "
             "Bull's getWorkers() find them (CLIENT LIST names "
             "prefix:base64(queue)); a jq-worker counts once whatever its "
             "concurrency");
  for (const auto& queue : queues) {
    out.sample("jq_queue_workers",
               {{"queue", queue.queue}},
               static_cast<std::uint64_t>(std::max(0LL, queue.workers)));
  }
}

} // namespace jq::metrics
