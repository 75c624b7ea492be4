#include "producer.hpp"

#include <jq/core/clock.hpp>
#include <jq/core/error.hpp>
#include <jq/core/uuid.hpp>
#include <jq/queue/scripts.hpp>

#include <fmt/core.h>

namespace jq::queue {

Producer::Producer(redis::Connection& connection, Keys keys)
  : m_connection(connection),
    m_keys(std::move(keys)),
    m_token(make_uuid())
{
}

std::vector<std::string> Producer::arguments(const NewJob& job) const
{
  const auto& options = job.options;
  if (options.job_id && Keys::is_reserved_id(*options.job_id)) {
    throw UsageError(fmt::format(
      "job id '{}' would collide with the queue's own keys", *options.job_id));
  }
  const std::int64_t timestamp = now_ms();
  return {m_keys.base(),
          options.job_id.value_or(""),
          job.name,
          job.data,
          dump_json(options.to_opts(timestamp)),
          std::to_string(timestamp),
          std::to_string(options.delay.count()),
          std::to_string(options.priority),
          options.lifo ? "1" : "0",
          m_token};
}

Added Producer::add(const NewJob& job)
{
  const redis::Reply reply = scripts::add_job().run(m_connection,
                                                    {m_keys.wait(),
                                                     m_keys.paused(),
                                                     m_keys.meta_paused(),
                                                     m_keys.id(),
                                                     m_keys.delayed(),
                                                     m_keys.priority()},
                                                    arguments(job));
  return {std::string(reply[0].str()), reply[1].integer() == 1};
}

} // namespace jq::queue
