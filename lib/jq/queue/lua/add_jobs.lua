-- helpers: include/queue.lua
-- Add jobs, many per call (docs/bull-layout.md 3.1).
-- KEYS: 1 wait, 2 paused, 3 meta-paused, 4 id counter, 5 delayed, 6 priority
-- ARGV: 1 base, 2 token, then runs of jobs that share their name, time and
--       place in line: a run's 6 values (how many jobs, name, timestamp,
--       delay ms, priority, "1" for lifo), then 3 values per job (custom id
--       or "", data, opts JSON). Every value sent costs Redis about as much
--       as an inner command's argument, so what jobs share is sent once.
-- Returns {id, 1 | 0, ...} in order: 1 for a new job, 0 when a job with that
-- id exists (it is left as it is and `duplicated@token` is published).
local base = ARGV[1]
local waitingChannel = base .. "waiting@" .. ARGV[2]
local duplicatedChannel = base .. "duplicated@" .. ARGV[2]
local target -- wait, or paused while the queue is paused; read once
-- Plain jobs go in with one LPUSH per run of them; a job with a priority
-- or lifo flushes the run first, so the order is as if added one by one.
local plain = {}
local function flush_plain()
  if #plain > 0 then
    redis.call("LPUSH", target, unpack(plain))
    plain = {}
  end
end
local added = {}
local run = 3
while run <= #ARGV do
  local count, name, timestamp = tonumber(ARGV[run]), ARGV[run + 1],
                                 ARGV[run + 2]
  local delayText, priorityText = ARGV[run + 3], ARGV[run + 4]
  local delay, priority = tonumber(delayText), tonumber(priorityText)
  local lifo = ARGV[run + 5] == "1"
  local first = run + 6
  for i = first, first + 3 * (count - 1), 3 do
    local id = ARGV[i]
    -- The counter names jobs without an id and orders delayed jobs due in
    -- the same millisecond; a job with its own id and no delay needs
    -- neither.
    local counter = 0
    if id == "" or delay > 0 then
      counter = redis.call("INCR", KEYS[4])
    end
    if id == "" then
      id = tostring(counter)
    end
    local jobKey = base .. id
    if redis.call("EXISTS", jobKey) == 1 then
      redis.call("PUBLISH", duplicatedChannel, id)
      added[#added + 1] = id
      added[#added + 1] = 0
    else
      redis.call("HSET", jobKey, "name", name, "data", ARGV[i + 1],
                 "opts", ARGV[i + 2], "timestamp", timestamp,
                 "delay", delayText, "priority", priorityText)
      if delay > 0 then
        local due = tonumber(timestamp) + delay
        redis.call("ZADD", KEYS[5], due * 0x1000 + bit.band(counter, 0xfff),
                   id)
        redis.call("PUBLISH", KEYS[5], due)
      else
        target = target or wait_target(KEYS[1], KEYS[2], KEYS[3])
        if priority > 0 or lifo then
          flush_plain()
          push_job(KEYS[6], target, priority, lifo, id)
        else
          plain[#plain + 1] = id
        end
        redis.call("PUBLISH", waitingChannel, id)
      end
      added[#added + 1] = id
      added[#added + 1] = 1
    end
  end
  run = first + 3 * count
end
flush_plain()
return added
