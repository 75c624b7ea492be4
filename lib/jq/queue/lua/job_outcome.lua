-- Where job `id` is and, once finished, what it left: one round trip.
-- KEYS: 1 job hash, 2 completed, 3 failed, 4 trimmed
-- Returns {"missing"} | {"gone"} | {"pending"} | {"completed"|"failed", HMGET
-- of returnvalue failedReason attemptsMade stacktrace finishedOn processedOn}.
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
