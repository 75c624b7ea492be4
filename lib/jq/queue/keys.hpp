#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jq::queue {

// Every Redis key and channel name of one Bull queue (docs/bull-layout.md
// section 1): `prefix:queue:suffix`. Nothing else in the code builds names.
class Keys
{
public:
  Keys(std::string_view prefix, std::string_view queue);

  // `prefix:queue:`, the base key Bull's scripts take.
  const std::string& base() const noexcept
  {
    return m_base;
  }
  const std::string& prefix() const noexcept
  {
    return m_prefix;
  }
  const std::string& queue() const noexcept
  {
    return m_queue;
  }

  std::string wait() const;
  std::string paused() const;
  std::string meta_paused() const;
  std::string meta() const;
  std::string active() const;
  std::string priority() const;
  std::string delayed() const;
  // The zset of repeatable jobs: their keys, scored by the next run (ms).
  std::string repeat() const;
  std::string completed() const;
  std::string failed() const;
  std::string id() const;
  std::string stalled() const;
  std::string stalled_check() const;
  // jq's own: ids whose replies retention deleted (newest 100000).
  std::string trimmed() const;
  // The rate limiter's counter and its `jobId -> limited set` index.
  std::string limiter() const;
  std::string limiter_index() const;

  // The job hash, its lock and its log list.
  std::string job(std::string_view id) const;
  std::string lock(std::string_view id) const;
  std::string logs(std::string_view id) const;
  // The debounce key `prefix:queue:de:<debounce_id>` (a job's `deid`).
  std::string debounce(std::string_view debounce_id) const;

  // Pub/sub channels. `completed` and `failed` share their key's name.
  std::string waiting_channel(std::string_view token) const;
  std::string active_channel(std::string_view token) const;
  std::string stalled_channel() const;
  std::string duplicated_channel(std::string_view token) const;
  std::string drained_channel() const;
  std::string paused_channel() const;
  std::string resumed_channel() const;
  // `prefix:queue:delayed`: the delayed set's name is also the channel that
  // announces the next due time.
  std::string delayed_channel() const;

  // The CLIENT SETNAME by which Bull's getWorkers() finds a queue's workers:
  // `prefix:` + base64(queue).
  std::string worker_client_name() const;

  // Why `id` may not be given to a new job, or std::nullopt if it may. A
  // job's hash is `prefix:queue:id`, so an id may not be one of the queue's
  // own key names (`wait`, ...), `lock` or `logs` (another queue's job's
  // lock: queue `a`'s job `b` locks at `prefix:a:b:lock`), contain `:`
  // (queue `a` with id `b:wait` is queue `a:b`'s wait list). An id that
  // exists is that job, as in Bull (jq-submit then waits for it). Jobs that
  // Bull made with other ids still run; this is for new ones.
  static std::optional<std::string> job_id_problem(std::string_view id);
  // Throws UsageError naming `id` and its problem, if it has one.
  static void check_job_id(std::string_view id);

  // A SCAN MATCH pattern for the keys that show a queue exists under
  // `prefix` (Redis' glob, with `prefix` escaped). It matches other keys
  // too; keep only those match_queue_key() accepts.
  static std::string queue_scan_pattern(std::string_view prefix);

  // A queue-level key found by a scan: the queue it belongs to and the
  // Redis type (`list`, `zset`, `string`) that key has in Bull's layout.
  struct QueueKey
  {
    std::string queue;
    std::string_view type;
  };
  // If `key` is `prefix:Q:wait`, `prefix:Q:id`, ... return Q and the
  // type the key must have; std::nullopt for any other key. Job hashes
  // never pass the type check, so a job id like `x:wait` is not a queue.
  static std::optional<QueueKey> match_queue_key(std::string_view prefix,
                                                 std::string_view key);

private:
  std::string m_prefix;
  std::string m_queue;
  std::string m_base;
};

} // namespace jq::queue
