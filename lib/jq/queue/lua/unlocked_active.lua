-- The jobs in active that no worker has locked (ARGV: 1 base; KEYS: 1
-- active). A worker locks what it takes within a round trip, so those still
-- unlocked a moment later were taken by a reply that was lost.
local unlocked = {}
for _, id in ipairs(redis.call("LRANGE", KEYS[1], 0, -1)) do
  if redis.call("EXISTS", ARGV[1] .. id .. ":lock") == 0 then
    unlocked[#unlocked + 1] = id
  end
end
return unlocked
