#include "scripts.hpp"

#include <string>

namespace jq::queue::scripts {

namespace {

// Shared by every script that puts a job in line. `target` is the wait list,
// or the paused list while the queue is paused: nothing is written to wait
// then, because resuming RENAMEs paused over it.
constexpr std::string_view k_helpers = R"lua(
local function wait_target(waitKey, pausedKey, metaPausedKey)
  if redis.call("EXISTS", metaPausedKey) == 1 then
    return pausedKey
  end
  return waitKey
end

-- Bull's order: prioritized jobs sit at the tail (next to run) in ascending
-- priority, FIFO among equals, ahead of every job without a priority.
local function push_with_priority(priorityKey, target, priority, id)
  redis.call("ZADD", priorityKey, priority, id)
  local count = redis.call("ZCOUNT", priorityKey, 0, priority)
  local len = redis.call("LLEN", target)
  local pivot = redis.call("LINDEX", target, len - (count - 1))
  if pivot then
    redis.call("LINSERT", target, "BEFORE", pivot, id)
  else
    redis.call("RPUSH", target, id)
  end
end

local function push_job(priorityKey, target, priority, lifo, id)
  if priority > 0 then
    push_with_priority(priorityKey, target, priority, id)
  elseif lifo then
    redis.call("RPUSH", target, id)
  else
    redis.call("LPUSH", target, id)
  end
end

-- Lock and start job `id` (already in active): the reply is {id, fields},
-- or {id, {}} when its hash is gone (it is dropped from active then).
local function start_job(base, activeKey, id, token, lockDuration, now,
                         priorityKey)
  local jobKey = base .. id
  local fields = redis.call("HGETALL", jobKey)
  if #fields == 0 then
    redis.call("LREM", activeKey, -1, id)
    return {id, {}}
  end
  redis.call("SET", jobKey .. ":lock", token, "PX", lockDuration)
  -- Only a job with a priority is in the priority set (Bull writes "0"
  -- for none), so most starts skip the ZREM.
  local priority
  for i = 1, #fields, 2 do
    if fields[i] == "priority" then
      priority = fields[i + 1]
      break
    end
  end
  if priority ~= "0" then
    redis.call("ZREM", priorityKey, id)
  end
  redis.call("PUBLISH", base .. "active@" .. token, id)
  redis.call("HSET", jobKey, "processedOn", now)
  fields[#fields + 1] = "processedOn"
  fields[#fields + 1] = now
  return {id, fields}
end

-- Check the caller holds the job's lock, then release it. Returns 0 or a
-- negative code: -2 lock missing, -6 held by someone else.
local function release_lock(jobKey, stalledKey, id, token)
  if token == "0" then
    return 0
  end
  local holder = redis.call("GET", jobKey .. ":lock")
  if not holder then
    return -2
  end
  if holder ~= token then
    return -6
  end
  redis.call("DEL", jobKey .. ":lock")
  redis.call("SREM", stalledKey, id)
  return 0
end

local function hset_pairs(key, from)
  local fields = {}
  for i = from, #ARGV do
    fields[#fields + 1] = ARGV[i]
  end
  if #fields > 0 then
    redis.call("HSET", key, unpack(fields))
  end
end
)lua";

redis::Script make(std::string_view body)
{
  return redis::Script(std::string(k_helpers) + std::string(body));
}

} // namespace

std::string_view lua_helpers()
{
  return k_helpers;
}

// KEYS: 1 wait, 2 paused, 3 meta-paused, 4 id, 5 delayed, 6 priority
// ARGV: 1 base, 2 custom id or "", 3 name, 4 data, 5 opts JSON, 6 timestamp,
//       7 delay ms, 8 priority, 9 "1" for lifo, 10 token
// Returns {id, 1} for a new job, {id, 0} when a job with that id exists (it
// is left as it is and `duplicated@token` is published).
const redis::Script& add_job()
{
  static const redis::Script script = make(R"lua(
-- The counter names jobs without an id and orders delayed jobs due in the
-- same millisecond; a job with its own id and no delay needs neither.
local id = ARGV[2]
local counter = 0
if id == "" or tonumber(ARGV[7]) > 0 then
  counter = redis.call("INCR", KEYS[4])
end
if id == "" then
  id = tostring(counter)
end
local base = ARGV[1]
local jobKey = base .. id
if redis.call("EXISTS", jobKey) == 1 then
  redis.call("PUBLISH", base .. "duplicated@" .. ARGV[10], id)
  return {id, 0}
end
local timestamp = tonumber(ARGV[6])
local delay = tonumber(ARGV[7])
local priority = tonumber(ARGV[8])
redis.call("HSET", jobKey, "name", ARGV[3], "data", ARGV[4], "opts", ARGV[5],
           "timestamp", ARGV[6], "delay", ARGV[7], "priority", ARGV[8])
if delay > 0 then
  local due = timestamp + delay
  redis.call("ZADD", KEYS[5], due * 0x1000 + bit.band(counter, 0xfff), id)
  redis.call("PUBLISH", KEYS[5], due)
  return {id, 1}
end
local target = wait_target(KEYS[1], KEYS[2], KEYS[3])
push_job(KEYS[6], target, priority, ARGV[9] == "1", id)
redis.call("PUBLISH", base .. "waiting@" .. ARGV[10], id)
return {id, 1}
)lua");
  return script;
}

// KEYS: 1 wait, 2 active, 3 priority, 4 stalled, 5 drained channel
// ARGV: 1 base, 2 token, 3 lock duration ms, 4 now, 5 job id or ""
// With an id (already moved by BRPOPLPUSH) that job is started, if it is
// still in active and not locked by another; without, the next one is
// taken from wait. Returns nil when there is none, {id, {}}
// for an id whose hash is gone (it is dropped from active), else
// {id, HGETALL}.
const redis::Script& move_to_active()
{
  static const redis::Script script = make(R"lua(
local id = ARGV[5]
if id == "" then
  id = redis.call("RPOPLPUSH", KEYS[1], KEYS[2])
  if not id then
    redis.call("PUBLISH", KEYS[5], "")
    return nil
  end
else
  -- Not when it was put back in line meantime (by a worker that lost
  -- the reply of its BRPOPLPUSH, after a grace), nor while another
  -- worker holds it.
  if not redis.call("LPOS", KEYS[2], id) then
    return nil
  end
  local holder = redis.call("GET", ARGV[1] .. id .. ":lock")
  if holder and holder ~= ARGV[2] then
    return nil
  end
  redis.call("SREM", KEYS[4], id)
end
return start_job(ARGV[1], KEYS[2], id, ARGV[2], ARGV[3], ARGV[4], KEYS[3])
)lua");
  return script;
}

// KEYS: 1 lock, 2 stalled   ARGV: 1 token, 2 duration ms, 3 job id
// Returns 1 if the lock was still ours and is extended, else 0.
const redis::Script& extend_lock()
{
  static const redis::Script script = redis::Script(R"lua(
if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2])
  redis.call("SREM", KEYS[2], ARGV[3])
  return 1
end
return 0
)lua");
  return script;
}

// KEYS: 1 active, 2 completed|failed (also the event channel), 3 job hash,
//       4 stalled, 5 wait, 6 priority, 7 trimmed (ids whose replies were
//       deleted, so a late waiter hears "gone", not "no such job")
// ARGV: 1 id, 2 finishedOn, 3 "returnvalue"|"failedReason", 4 value,
//       5 token ("0": ignore the lock), 6 keep count (-1 all, 0 none),
//       7 keep age in seconds (0: any age), 8 event JSON, 9 "1" to fetch
//       the next job, 10 base, 11 lock duration ms, 12.. field/value pairs
//       also written on the job
// Returns a negative code (-1 no job, -2 no lock, -3 not active, -6 lock
// held by another worker), 0, or the next job as {id, HGETALL}.
const redis::Script& move_to_finished()
{
  static const redis::Script script = make(R"lua(
local id = ARGV[1]
local jobKey = KEYS[3]
if redis.call("EXISTS", jobKey) == 0 then
  return -1
end
local locked = release_lock(jobKey, KEYS[4], id, ARGV[5])
if locked ~= 0 then
  return locked
end
if redis.call("LREM", KEYS[1], -1, id) == 0 then
  return -3
end
local keepCount = tonumber(ARGV[6])
local keepAge = tonumber(ARGV[7])
local finishedOn = tonumber(ARGV[2])
local base = ARGV[10]
local trimmed = {}
if keepCount == 0 then
  redis.call("DEL", jobKey, jobKey .. ":logs")
  trimmed[#trimmed + 1] = id
else
  redis.call("ZADD", KEYS[2], finishedOn, id)
  redis.call("HSET", jobKey, ARGV[3], ARGV[4], "finishedOn", ARGV[2])
  hset_pairs(jobKey, 12)
  if keepAge > 0 then
    -- Bounded per call so one finish never takes long; later finishes
    -- trim the rest.
    local old = redis.call("ZRANGEBYSCORE", KEYS[2], 0,
                           finishedOn - keepAge * 1000, "LIMIT", 0, 1000)
    for _, oldId in ipairs(old) do
      redis.call("DEL", base .. oldId, base .. oldId .. ":logs")
      redis.call("ZREM", KEYS[2], oldId)
      trimmed[#trimmed + 1] = oldId
    end
  end
  if keepCount > 0 then
    local old = redis.call("ZREVRANGE", KEYS[2], keepCount, keepCount + 999)
    for _, oldId in ipairs(old) do
      redis.call("DEL", base .. oldId, base .. oldId .. ":logs")
      redis.call("ZREM", KEYS[2], oldId)
      trimmed[#trimmed + 1] = oldId
    end
  end
end
if #trimmed > 0 then
  for _, oldId in ipairs(trimmed) do
    redis.call("ZADD", KEYS[7], finishedOn, oldId)
  end
  -- Remember the newest 100000 only.
  redis.call("ZREMRANGEBYRANK", KEYS[7], 0, -100001)
end
redis.call("PUBLISH", KEYS[2], ARGV[8])
if ARGV[9] == "1" then
  local nextId = redis.call("RPOPLPUSH", KEYS[5], KEYS[1])
  if nextId then
    return start_job(base, KEYS[1], nextId, ARGV[5], ARGV[11], ARGV[2],
                     KEYS[6])
  end
end
return 0
)lua");
  return script;
}

// A failed attempt with attempts left.
// KEYS: 1 active, 2 wait, 3 job hash, 4 meta-paused, 5 paused, 6 stalled,
//       7 priority, 8 delayed
// ARGV: 1 id, 2 token, 3 delayed score (0: back in line now), 4 due ms,
//       5 "1" for lifo, 6.. field/value pairs written on the job
// Returns 0, or a negative code as move_to_finished.
const redis::Script& retry_job()
{
  static const redis::Script script = make(R"lua(
local id = ARGV[1]
local jobKey = KEYS[3]
if redis.call("EXISTS", jobKey) == 0 then
  return -1
end
local locked = release_lock(jobKey, KEYS[6], id, ARGV[2])
if locked ~= 0 then
  return locked
end
if redis.call("LREM", KEYS[1], -1, id) == 0 then
  return -3
end
hset_pairs(jobKey, 6)
local score = tonumber(ARGV[3])
if score > 0 then
  redis.call("ZADD", KEYS[8], score, id)
  redis.call("PUBLISH", KEYS[8], ARGV[4])
  return 0
end
local priority = tonumber(redis.call("HGET", jobKey, "priority")) or 0
local target = wait_target(KEYS[2], KEYS[5], KEYS[4])
push_job(KEYS[7], target, priority, ARGV[5] == "1", id)
return 0
)lua");
  return script;
}

// Move due delayed jobs into line (docs/bull-layout.md 3.7).
// KEYS: 1 delayed, 2 wait, 3 priority, 4 paused, 5 meta-paused
// ARGV: 1 base, 2 now ms, 3 token
// Returns the due time (ms) of the next delayed job, or nil.
const redis::Script& promote_delayed()
{
  static const redis::Script script = make(R"lua(
local base = ARGV[1]
local now = tonumber(ARGV[2])
local due = redis.call("ZRANGEBYSCORE", KEYS[1], 0, (now + 1) * 0x1000 - 1,
                       "LIMIT", 0, 1000)
if #due > 0 then
  local target = wait_target(KEYS[2], KEYS[4], KEYS[5])
  for _, id in ipairs(due) do
    redis.call("ZREM", KEYS[1], id)
    local jobKey = base .. id
    local priority = tonumber(redis.call("HGET", jobKey, "priority")) or 0
    push_job(KEYS[3], target, priority, false, id)
    redis.call("PUBLISH", base .. "waiting@" .. ARGV[3], id)
    redis.call("HSET", jobKey, "delay", 0)
  end
end
local nextJob = redis.call("ZRANGE", KEYS[1], 0, 0, "WITHSCORES")
if nextJob[2] then
  local nextDue = math.floor(tonumber(nextJob[2]) / 0x1000)
  if #due > 0 then
    redis.call("PUBLISH", KEYS[1], nextDue)
  end
  return nextDue
end
return nil
)lua");
  return script;
}

// Where job `id` is and, once finished, what it left: one round trip.
// KEYS: 1 job hash, 2 completed, 3 failed, 4 trimmed
// Returns {"missing"} | {"gone"} | {"pending"} | {"completed"|"failed", HMGET
// of returnvalue failedReason attemptsMade stacktrace finishedOn processedOn}.
const redis::Script& job_outcome()
{
  static const redis::Script script = redis::Script(R"lua(
local id = ARGV[1]
local state
if redis.call("ZSCORE", KEYS[2], id) then
  state = "completed"
elseif redis.call("ZSCORE", KEYS[3], id) then
  state = "failed"
elseif redis.call("EXISTS", KEYS[1]) == 1 then
  return {"pending"}
elseif redis.call("ZSCORE", KEYS[4], id) then
  return {"gone"}
else
  return {"missing"}
end
return {state, redis.call("HMGET", KEYS[1], "returnvalue", "failedReason",
                          "attemptsMade", "stacktrace", "finishedOn",
                          "processedOn")}
)lua");
  return script;
}

} // namespace jq::queue::scripts
