// Putting jobs whose worker is gone, or lost track of them, back in line:
// Bull's stalled check, and the worker's own reconciliation after a lost
// reply (docs/bull-layout.md 3.6).

#include "scripts.hpp"

#include <string>

namespace jq::queue::scripts {

namespace {

// Job `id` from active back at the head of the line (it runs next),
// unlocked and no longer suspected of stalling; false if it was not in
// active.
constexpr std::string_view k_back_to_head = R"lua(
local function back_to_head(base, activeKey, target, stalledKey, priorityKey,
                            id)
  if redis.call("LREM", activeKey, 1, id) == 0 then
    return false
  end
  redis.call("DEL", base .. id .. ":lock")
  redis.call("SREM", stalledKey, id)
  local priority = tonumber(redis.call("HGET", base .. id, "priority")) or 0
  push_job(priorityKey, target, priority, true, id)
  return true
end
)lua";

redis::Script make(std::string_view body)
{
  return redis::Script(std::string(lua_helpers()) + std::string(k_back_to_head)
                       + std::string(body));
}

} // namespace

// Bull's stalled check (docs/bull-layout.md 3.6), throttled by stalled-check.
// KEYS: 1 stalled, 2 wait, 3 active, 4 failed, 5 stalled-check,
//       6 meta-paused, 7 paused
// ARGV: 1 max stalled count, 2 base, 3 now, 4 interval ms
// Returns {failed ids, requeued ids, ms until the next check is due}: when
// another worker ran the check less than an interval ago, the time until
// its mark expires, so whoever comes next is there when it does (coming
// back a whole interval later would skip every other check).
const redis::Script& move_stalled_to_wait()
{
  static const redis::Script script = make(R"lua(
local due = redis.call("PTTL", KEYS[5])
if due > 0 then
  return {{}, {}, due}
end
redis.call("SET", KEYS[5], ARGV[3], "PX", ARGV[4])
local base = ARGV[2]
local failed, requeued = {}, {}
local stalling = redis.call("SMEMBERS", KEYS[1])
if #stalling > 0 then
  redis.call("DEL", KEYS[1])
  local target = wait_target(KEYS[2], KEYS[7], KEYS[6])
  for _, id in ipairs(stalling) do
    local jobKey = base .. id
    if redis.call("EXISTS", jobKey .. ":lock") == 0
       and redis.call("LREM", KEYS[3], 1, id) > 0
       and redis.call("EXISTS", jobKey) == 1 then
      local stalls = redis.call("HINCRBY", jobKey, "stalledCounter", 1)
      if stalls > tonumber(ARGV[1]) then
        redis.call("ZADD", KEYS[4], ARGV[3], id)
        redis.call("HSET", jobKey, "failedReason",
                   "job stalled more than allowable limit",
                   "finishedOn", ARGV[3])
        redis.call("PUBLISH", KEYS[4], cjson.encode(
          {jobId = id, val = "job stalled more than maxStalledCount"}))
        failed[#failed + 1] = id
      else
        redis.call("RPUSH", target, id)
        redis.call("PUBLISH", base .. "stalled@", id)
        requeued[#requeued + 1] = id
      end
    end
  end
end
local active = redis.call("LRANGE", KEYS[3], 0, -1)
for i = 1, #active, 1000 do
  redis.call("SADD", KEYS[1], unpack(active, i, math.min(i + 999, #active)))
end
return {failed, requeued, tonumber(ARGV[4])}
)lua");
  return script;
}

// After a reply that may have taken a job was lost: the jobs in active
// locked with `token` (one worker slot's) that the slot does not know it
// holds go back to the head of the line, unlocked.
// KEYS: 1 active, 2 wait, 3 paused, 4 meta-paused, 5 stalled, 6 priority
// ARGV: 1 base, 2 token, 3 the id the slot still holds ("" for none)
// Returns the ids put back.
const redis::Script& reclaim_orphans()
{
  static const redis::Script script = make(R"lua(
local base = ARGV[1]
local target = wait_target(KEYS[2], KEYS[3], KEYS[4])
local reclaimed = {}
for _, id in ipairs(redis.call("LRANGE", KEYS[1], 0, -1)) do
  local lockKey = base .. id .. ":lock"
  if id ~= ARGV[3] and redis.call("GET", lockKey) == ARGV[2]
     and back_to_head(base, KEYS[1], target, KEYS[5], KEYS[6], id) then
    reclaimed[#reclaimed + 1] = id
  end
end
return reclaimed
)lua");
  return script;
}

// The jobs in active that no worker has locked (ARGV: 1 base; KEYS: 1
// active). A worker locks what it takes within a round trip, so those still
// unlocked a moment later were taken by a reply that was lost.
const redis::Script& unlocked_active()
{
  static const redis::Script script = redis::Script(R"lua(
local unlocked = {}
for _, id in ipairs(redis.call("LRANGE", KEYS[1], 0, -1)) do
  if redis.call("EXISTS", ARGV[1] .. id .. ":lock") == 0 then
    unlocked[#unlocked + 1] = id
  end
end
return unlocked
)lua");
  return script;
}

// Put back at the head of the line those of the given jobs that are still in
// active and still unlocked.
// KEYS: 1 active, 2 wait, 3 paused, 4 meta-paused, 5 stalled, 6 priority
// ARGV: 1 base, 2.. ids
// Returns the ids put back.
const redis::Script& requeue_unlocked()
{
  static const redis::Script script = make(R"lua(
local base = ARGV[1]
local target = wait_target(KEYS[2], KEYS[3], KEYS[4])
local requeued = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  if redis.call("EXISTS", base .. id .. ":lock") == 0
     and back_to_head(base, KEYS[1], target, KEYS[5], KEYS[6], id) then
    requeued[#requeued + 1] = id
  end
end
return requeued
)lua");
  return script;
}

} // namespace jq::queue::scripts
