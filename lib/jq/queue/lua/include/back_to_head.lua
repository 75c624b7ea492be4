-- Job `id` from active back at the head of the line (it runs next),
-- unlocked and no longer suspected of stalling; false if it was not in
-- active.
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
