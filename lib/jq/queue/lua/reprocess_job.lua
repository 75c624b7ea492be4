-- helpers: include/queue.lua include/admin.lua
-- Retry one failed job (docs/bull-layout.md 3.9).
-- KEYS: 1 job hash, 2 lock, 3 failed, 4 wait, 5 paused, 6 meta-paused
-- ARGV: 1 id, 2 base, 3 token, 4 now ms, 5 "1" for a dry run
-- Returns 1 retried (or would be), 0 no such job, -1 locked, -2 not failed.
-- Unlike Bull, a refused job is left untouched.
local id = ARGV[1]
if redis.call("EXISTS", KEYS[1]) == 0 then
  return 0
end
if redis.call("EXISTS", KEYS[2]) == 1 then
  return -1
end
if not redis.call("ZSCORE", KEYS[3], id) then
  return -2
end
if ARGV[5] ~= "1" then
  requeue_failed(ARGV[2], id, KEYS[3], KEYS[4], KEYS[5], KEYS[6], ARGV[3],
                 ARGV[4])
end
return 1
