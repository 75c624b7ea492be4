#pragma once

#include <jq/sql/engine.hpp>
#include <jq/sql/executor.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace jq::sql {

// What one worker thread needs to run SQL jobs as they come off the queue:
// reads a job's `data` text (README.md, "A tour" and "Replies") and runs it
// on this thread's sessions (cli/sql_handler.hpp puts the two together).
// jq-worker gives one to each of its threads. Not thread-safe.
class JobHandler
{
public:
  JobHandler(const Databases& databases, std::size_t max_payload_bytes);

  // Decode the job whose data is `data`. Throws ProtocolError for data
  // that is too large, not JSON or not a job.
  Request parse(std::string_view data) const;

  // The executor the jobs run on (this thread's sessions).
  Executor& executor() noexcept
  {
    return m_executor;
  }

private:
  Executor m_executor;
  std::size_t m_max_payload_bytes;
};

} // namespace jq::sql
