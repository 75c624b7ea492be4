#pragma once

#include <jq/queue/job.hpp>
#include <jq/queue/producer.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace jq::queue {

// The next run of a repeatable job (opts.repeat: `every` ms or a `cron`
// expression with `tz`, `startDate`, `endDate`, `limit`), made as Bull's
// worker makes it when it takes the current run, so a Node producer, a
// Node worker and jq-worker agree on every id and key
// (docs/bull-layout.md 3.12).
struct Repetition
{
  // The member of the queue's `repeat` zset; Bull's removeRepeatable()
  // deletes it, and then no further run is made.
  std::string repeat_key;
  // When the next run is due (epoch ms): its score in `repeat`.
  std::int64_t next_ms = 0;
  // The job to add: id `repeat:<md5>:<next_ms>`, delayed until next_ms,
  // Bull's opts with repeat.count one higher and prevMillis = next_ms.
  NewJob job;
};

// The run after `job`, taken at `now_ms`; std::nullopt when there is none
// (the limit is reached, the end date passed, or the schedule has no
// further time). Throws UsageError for a repeat Bull would refuse too (both
// `every` and `cron`, a bad cron expression, an unknown time zone).
std::optional<Repetition> next_repetition(const Job& job, std::int64_t now_ms);

} // namespace jq::queue
