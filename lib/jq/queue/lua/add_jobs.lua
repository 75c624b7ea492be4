-- Add jobs, many per call (docs/bull-layout.md 3.1).
-- KEYS: 1 wait, 2 paused, 3 meta-paused, 4 id counter, 5 delayed, 6 priority
-- ARGV: 1 base, 2 token, then 8 values per job: custom id or "", name,
--       data, opts JSON, timestamp, delay ms, priority, "1" for lifo
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
for i = 3, #ARGV - 7, 8 do
  local id = ARGV[i]
  -- Most jobs have neither: "0" is read as a number only when it is not.
  local delay, priority = 0, 0
  if ARGV[i + 5] ~= "0" then
    delay = tonumber(ARGV[i + 5])
  end
  if ARGV[i + 6] ~= "0" then
    priority = tonumber(ARGV[i + 6])
  end
  -- The counter names jobs without an id and orders delayed jobs due in
  -- the same millisecond; a job with its own id and no delay needs neither.
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
    redis.call("HSET", jobKey, "name", ARGV[i + 1], "data", ARGV[i + 2],
               "opts", ARGV[i + 3], "timestamp", ARGV[i + 4],
               "delay", ARGV[i + 5], "priority", ARGV[i + 6])
    if delay > 0 then
      local due = tonumber(ARGV[i + 4]) + delay
      redis.call("ZADD", KEYS[5], due * 0x1000 + bit.band(counter, 0xfff), id)
      redis.call("PUBLISH", KEYS[5], due)
    else
      target = target or wait_target(KEYS[1], KEYS[2], KEYS[3])
      if priority > 0 or ARGV[i + 7] == "1" then
        flush_plain()
        push_job(KEYS[6], target, priority, ARGV[i + 7] == "1", id)
      else
        plain[#plain + 1] = id
      end
      redis.call("PUBLISH", waitingChannel, id)
    end
    added[#added + 1] = id
    added[#added + 1] = 1
  end
end
flush_plain()
return added
