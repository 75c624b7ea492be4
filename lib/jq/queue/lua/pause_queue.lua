-- helpers: include/queue.lua include/admin.lua
-- Pause or resume the queue for every worker (docs/bull-layout.md 3.8).
-- Unlike Bull's RENAME alone, jobs are never overwritten: if both lists
-- exist (a foreign writer pushed to wait while paused), the ones being
-- moved are merged in order, behind the ones already in line.
-- KEYS: 1 wait, 2 paused, 3 meta-paused, 4 meta, 5 event channel (the
--       paused or resumed channel)
-- ARGV: 1 "paused" to pause, "resumed" to resume, 2 "1" for a dry run
-- Returns {1 if the queue changes state (0: it already was so), jobs moved}.
local pausing = ARGV[1] == "paused"
local isPaused = redis.call("EXISTS", KEYS[3]) == 1
                 or redis.call("HEXISTS", KEYS[4], "paused") == 1
local src, dst = KEYS[1], KEYS[2]
if not pausing then
  src, dst = KEYS[2], KEYS[1]
end
local moving = redis.call("LLEN", src)
local changes = 0
if pausing ~= isPaused then
  changes = 1
end
if ARGV[2] == "1" then
  return {changes, moving}
end
if moving > 0 then
  if redis.call("EXISTS", dst) == 0 then
    redis.call("RENAME", src, dst)
  elseif pausing then
    for _ = 1, moving do
      redis.call("RPOPLPUSH", src, dst)
    end
  else
    for _ = 1, moving do
      redis.call("RPUSH", dst, redis.call("LPOP", src))
    end
  end
end
if pausing then
  redis.call("SET", KEYS[3], 1)
  redis.call("HSET", KEYS[4], "paused", 1)
else
  redis.call("DEL", KEYS[3])
  redis.call("HDEL", KEYS[4], "paused")
end
if changes == 1 then
  redis.call("PUBLISH", KEYS[5], ARGV[1])
end
return {changes, moving}
