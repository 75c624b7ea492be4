#pragma once

#include <jq/queue/job.hpp>
#include <jq/queue/keys.hpp>
#include <jq/redis/connection.hpp>
#include <jq/redis/script.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace jq::queue {

// A job to add: Bull's name, the `data` JSON text and the options.
struct NewJob
{
  std::string name = "__default__";
  std::string data;
  JobOptions options;
  // When the job was made (epoch ms); now when unset. A job added again
  // (after Redis lost it) keeps its first time: it is the same job.
  std::optional<std::int64_t> timestamp;
  // Bull's opts as another Bull client made them (the next run of a
  // repeatable job), stored as they are; `options` then only gives the id,
  // delay, priority and lifo.
  std::optional<nlohmann::json> bull_opts;
};

struct Added
{
  std::string id;
  bool is_new = true; // false: a job with this id existed and was left as is
};

// Adds jobs to one queue, many per atomic script call (docs/bull-layout.md
// 3.1).
class Producer
{
public:
  explicit Producer(Keys keys);

  // Add `job`. Throws UsageError for an id that would collide with the
  // queue's own keys, RedisError when Redis fails.
  Added add(redis::Connection& connection, const NewJob& job) const;

  // Add all of `jobs`, as many per script call as fit one (batch_size);
  // results in order.
  std::vector<Added> add_many(redis::Connection& connection,
                              const std::vector<const NewJob*>& jobs) const;

  // How many of `jobs`, from the first, go in one call: up to k_batch, and
  // up to k_batch_bytes of data (at least one job, whatever its size).
  static std::size_t batch_size(std::span<const NewJob* const> jobs) noexcept;

  // The one script call that adds `jobs` (at most batch_size), for a caller
  // that pipelines it with other commands; `read_added` decodes its reply,
  // and `run_call` runs it on its own.
  redis::Script::Call add_call(std::span<const NewJob* const> jobs) const;
  static std::vector<Added> read_added(const redis::ReplyView& reply);
  static std::vector<Added> run_call(redis::Connection& connection,
                                     const redis::Script::Call& call);

  // Most jobs in one call: a call blocks Redis while it runs, so a huge
  // batch is cut into calls of about a millisecond each.
  static constexpr std::size_t k_batch = 500;
  // Most bytes of job data in one call: Redis holds a call's arguments
  // twice while it runs (as read, and as the script's strings), so 500 jobs
  // of 16 MiB each would be 16 GiB at once.
  static constexpr std::size_t k_batch_bytes = 64 * 1024 * 1024;

private:
  Keys m_keys;
  std::string m_token;
};

} // namespace jq::queue
