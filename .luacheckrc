-- luacheck for the Redis scripts under lib/jq/queue/lua/. Redis runs them
-- as Lua 5.1 with its own globals; each script is sent with the helpers of
-- lua/include/ that its first line names (`-- helpers: include/queue.lua`)
-- in front, so a script sees their local functions and a helper file is not
-- used on its own.
std = "lua51"
read_globals = {"redis", "KEYS", "ARGV", "cjson", "bit", "cmsgpack"}
max_line_length = 80

files["lib/jq/queue/lua/include"] = {ignore = {"211"}}
files["lib/jq/queue/lua"] = {
  read_globals = {
    -- include/queue.lua
    "wait_target", "push_with_priority", "push_job", "job_starter",
    "release_lock", "hset_pairs", "take_waiting",
    -- include/back_to_head.lua
    "back_to_head",
    -- include/admin.lua
    "in_list", "is_lifo", "requeue_failed", "delete_job",
  },
}
