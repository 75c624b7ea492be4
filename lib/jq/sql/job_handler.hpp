#pragma once

#include <jq/sql/engine.hpp>
#include <jq/sql/executor.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace jq::sql {

// Runs SQL jobs as they come off the queue: reads a job's `data` text
// (README.md, "A tour" and "Replies"), runs it on this thread's sessions, and
// returns the reply as JSON text. jq-worker gives one to each of its threads.
// Not thread-safe.
class JobHandler
{
public:
  JobHandler(const Databases& databases, std::size_t max_payload_bytes);

  // Run the job whose data is `data`. Throws ProtocolError for data that is
  // too large, not JSON or not a job; JobError or SqlError when it fails.
  std::string handle(std::string_view data, const RunOptions& options);

private:
  Executor m_executor;
  std::size_t m_max_payload_bytes;
};

} // namespace jq::sql
