#pragma once

#include <jq/queue/keys.hpp>
#include <jq/redis/connection.hpp>

#include <nlohmann/json.hpp>

namespace jq::queue {

// Job counts per state, exactly as Bull's getJobCounts() computes them.
struct JobCounts
{
  long long waiting = 0;
  long long active = 0;
  long long completed = 0;
  long long failed = 0;
  long long delayed = 0;
  long long paused = 0;

  // {"waiting":..,"active":..,"completed":..,"failed":..,"delayed":..,
  //  "paused":..}, Bull's field names and order.
  nlohmann::ordered_json to_json() const;
};

// Read the counts in one pipelined round trip (LLEN / ZCARD only).
JobCounts count_jobs(redis::Connection& connection, const Keys& keys);

} // namespace jq::queue
