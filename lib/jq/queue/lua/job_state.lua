-- helpers: include/queue.lua include/admin.lua
-- One job as Bull's getState() sees it, with everything `show` prints, in
-- one consistent read.
-- KEYS: 1 job hash, 2 completed, 3 failed, 4 delayed, 5 active, 6 wait,
--       7 paused, 8 lock, 9 logs
-- ARGV: 1 id, 2 how many of the newest log lines to return
-- Returns {state, HGETALL, delayed score or nil, lock holder or nil,
-- lock PTTL, log line count, log lines}. The state is decided in Bull's
-- order: completed, failed, delayed, active, waiting, paused, else stuck.
local id = ARGV[1]
local state = "stuck"
local delayedScore = false
if redis.call("ZSCORE", KEYS[2], id) then
  state = "completed"
elseif redis.call("ZSCORE", KEYS[3], id) then
  state = "failed"
else
  delayedScore = redis.call("ZSCORE", KEYS[4], id)
  if delayedScore then
    state = "delayed"
  elseif in_list(KEYS[5], id) then
    state = "active"
  elseif in_list(KEYS[6], id) then
    state = "waiting"
  elseif in_list(KEYS[7], id) then
    state = "paused"
  end
end
local maxLogs = tonumber(ARGV[2])
local logs = {}
if maxLogs > 0 then
  logs = redis.call("LRANGE", KEYS[9], -maxLogs, -1)
end
return {state, redis.call("HGETALL", KEYS[1]), delayedScore,
        redis.call("GET", KEYS[8]), redis.call("PTTL", KEYS[8]),
        redis.call("LLEN", KEYS[9]), logs}
