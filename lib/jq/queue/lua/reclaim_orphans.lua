-- helpers: include/queue.lua include/back_to_head.lua
-- After a reply that may have taken jobs was lost: the jobs in active
-- locked with the worker's `token` that it does not know it holds go back
-- to the head of the line, unlocked.
-- KEYS: 1 active, 2 wait, 3 paused, 4 meta-paused, 5 stalled, 6 priority
-- ARGV: 1 base, 2 token, 3.. the ids the worker still holds
-- Returns the ids put back.
local base = ARGV[1]
local held = {}
for i = 3, #ARGV do
  held[ARGV[i]] = true
end
local target = wait_target(KEYS[2], KEYS[3], KEYS[4])
local reclaimed = {}
for _, id in ipairs(redis.call("LRANGE", KEYS[1], 0, -1)) do
  if not held[id] and redis.call("GET", base .. id .. ":lock") == ARGV[2]
     and back_to_head(base, KEYS[1], target, KEYS[5], KEYS[6], id) then
    reclaimed[#reclaimed + 1] = id
  end
end
return reclaimed
