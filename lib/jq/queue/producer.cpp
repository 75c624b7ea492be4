#include "producer.hpp"

#include <jq/core/clock.hpp>
#include <jq/core/json.hpp>
#include <jq/core/uuid.hpp>
#include <jq/queue/scripts.hpp>

namespace jq::queue {

Producer::Producer(Keys keys)
  : m_keys(std::move(keys)),
    m_token(make_uuid())
{
}

redis::Script::Call Producer::call(const NewJob& job) const
{
  const auto& options = job.options;
  // (The id of a repeatable job's next run follows Bull's own rule.)
  if (options.job_id && !job.bull_opts) {
    Keys::check_job_id(*options.job_id);
  }
  const std::int64_t timestamp = job.timestamp.value_or(now_ms());
  return {
    {m_keys.wait(),
     m_keys.paused(),
     m_keys.meta_paused(),
     m_keys.id(),
     m_keys.delayed(),
     m_keys.priority()},
    {m_keys.base(),
     options.job_id.value_or(""),
     job.name,
     job.data,
     dump_json(job.bull_opts ? *job.bull_opts : options.to_opts(timestamp)),
     std::to_string(timestamp),
     std::to_string(options.delay.count()),
     std::to_string(options.priority),
     options.lifo ? "1" : "0",
     m_token}};
}

Added Producer::add(redis::Connection& connection, const NewJob& job) const
{
  return add_many(connection, {&job}).front();
}

std::vector<Added>
Producer::add_many(redis::Connection& connection,
                   const std::vector<const NewJob*>& jobs) const
{
  std::vector<redis::Script::Call> calls;
  calls.reserve(jobs.size());
  for (const NewJob* job : jobs) {
    calls.push_back(call(*job));
  }
  std::vector<Added> added;
  added.reserve(jobs.size());
  for (auto& reply : scripts::add_job().run_many(connection, calls)) {
    const redis::Reply checked = redis::checked(std::move(reply));
    added.push_back({std::string(checked[0].str()), checked[1].integer() == 1});
  }
  return added;
}

} // namespace jq::queue
