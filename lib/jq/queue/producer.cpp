#include "producer.hpp"

#include <jq/core/clock.hpp>
#include <jq/core/json.hpp>
#include <jq/core/uuid.hpp>
#include <jq/queue/scripts.hpp>

#include <algorithm>
#include <string_view>

namespace jq::queue {

namespace {

// What consecutive jobs of one add call share, sent once for them
// (add_jobs.lua): Redis pays for every value a call carries.
struct RunHeader
{
  std::string_view name;
  std::int64_t timestamp = 0;
  long long delay_ms = 0;
  int priority = 0;
  bool lifo = false;

  bool operator==(const RunHeader&) const = default;
};

RunHeader run_header(const NewJob& job, std::int64_t now)
{
  return {job.name,
          job.timestamp.value_or(now),
          job.options.delay.count(),
          job.options.priority,
          job.options.lifo};
}

} // namespace

Producer::Producer(Keys keys)
  : m_keys(std::move(keys)),
    m_token(make_uuid())
{
}

Added Producer::add(redis::Connection& connection, const NewJob& job) const
{
  return add_many(connection, {&job}).front();
}

redis::Script::Call
Producer::add_call(std::span<const NewJob* const> jobs) const
{
  redis::Script::Call call{{m_keys.wait(),
                            m_keys.paused(),
                            m_keys.meta_paused(),
                            m_keys.id(),
                            m_keys.delayed(),
                            m_keys.priority()},
                           {m_keys.base(), m_token}};
  auto& args = call.args;
  // Base and token, one run's 6 values (more runs are rare), 3 values a job.
  args.reserve(2 + 6 + 3 * jobs.size());
  // Jobs made now share the call's time; a job added again keeps its own.
  const std::int64_t now = now_ms();
  // Consecutive jobs that share a run's header go under one (add_jobs.lua).
  for (std::size_t first = 0; first < jobs.size();) {
    const RunHeader header = run_header(*jobs[first], now);
    std::size_t last = first + 1;
    while (last < jobs.size() && run_header(*jobs[last], now) == header) {
      ++last;
    }
    args.push_back(std::to_string(last - first));
    args.emplace_back(header.name);
    args.push_back(std::to_string(header.timestamp));
    args.push_back(std::to_string(header.delay_ms));
    args.push_back(std::to_string(header.priority));
    args.emplace_back(header.lifo ? "1" : "0");
    for (; first < last; ++first) {
      const NewJob& job = *jobs[first];
      const auto& options = job.options;
      // (The id of a repeatable job's next run follows Bull's own rule.)
      if (options.job_id && !job.bull_opts) {
        Keys::check_job_id(*options.job_id);
      }
      args.push_back(options.job_id.value_or(""));
      args.push_back(job.data);
      args.push_back(job.bull_opts ? dump_json(*job.bull_opts)
                                   : options.opts_text(header.timestamp));
    }
  }
  return call;
}

std::vector<Added> Producer::read_added(const redis::ReplyView& reply)
{
  std::vector<Added> added;
  added.reserve(reply.size() / 2);
  for (std::size_t i = 0; i + 1 < reply.size(); i += 2) {
    added.push_back({std::string(reply[i].str()), reply[i + 1].integer() == 1});
  }
  return added;
}

std::vector<Added> Producer::run_call(redis::Connection& connection,
                                      const redis::Script::Call& call)
{
  return read_added(scripts::add_jobs().run(connection, call.keys, call.args));
}

std::size_t Producer::batch_size(std::span<const NewJob* const> jobs) noexcept
{
  std::size_t count = 0;
  std::size_t bytes = 0;
  for (const NewJob* job : jobs) {
    bytes += job->data.size();
    if (count == k_batch || (count > 0 && bytes > k_batch_bytes)) {
      break;
    }
    ++count;
  }
  return count;
}

std::vector<Added>
Producer::add_many(redis::Connection& connection,
                   const std::vector<const NewJob*>& jobs) const
{
  std::vector<Added> added;
  added.reserve(jobs.size());
  // One script call per batch: one command for Redis to parse and one Lua
  // run, however many jobs.
  std::span<const NewJob* const> rest(jobs);
  while (!rest.empty()) {
    const std::size_t count = batch_size(rest);
    const auto batch = run_call(connection, add_call(rest.first(count)));
    added.insert(added.end(), batch.begin(), batch.end());
    rest = rest.subspan(count);
  }
  return added;
}

} // namespace jq::queue
