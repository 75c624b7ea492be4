-- helpers: include/queue.lua include/back_to_head.lua
-- Put back at the head of the line those of the given jobs that are still in
-- active and still unlocked.
-- KEYS: 1 active, 2 wait, 3 paused, 4 meta-paused, 5 stalled, 6 priority
-- ARGV: 1 base, 2.. ids
-- Returns the ids put back.
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
