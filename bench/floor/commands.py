#!/usr/bin/env python3
# The RESP stream of the plain commands Bull's layout needs per job, batched
# the way jq's scripts batch them (16 jobs per take and finish): the Redis
# side of a job with no Lua and no round trips. Used by bench/floor/run.
#   commands.py JOBS > stream     (SKIP=CMD,CMD leaves commands out)
# With LUA=1, each transition's commands (an add, a take or a finish of 16
# jobs) run inside one EVALSHA of a script that only calls them: what
# running them from Lua costs, as a transition that decides on what it reads
# (and so cannot be a plain MULTI) must, with no logic of its own.
import hashlib
import json
import os
import sys

n = int(sys.argv[1]); B = 16
out = sys.stdout.buffer
SKIP = set(os.environ.get("SKIP", "").split(","))
LUA = os.environ.get("LUA") == "1"
RUN_ALL = b"""local i = 1
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
return 1"""
group = []
def write(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    out.write(b"".join(parts))
def cmd(*args):
    if args[0] in SKIP: return
    if LUA: group.extend([len(args), *args])
    else: write(*args)
def end_transition():
    if group: write("EVALSHA", hashlib.sha1(RUN_ALL).hexdigest(), 0, *group)
    group.clear()
if LUA: write("SCRIPT", "LOAD", RUN_ALL)
p = "bull:b:"; tok = "0f0e8f4e-6c2b-4c1c-9a55-6f1f3f0b8c11"; t = 1764864000000
for start in range(0, n, B):
    ids = [str(start + i + 1) for i in range(min(B, n - start))]
    for i in ids:  # add
        cmd("EXISTS", p + i)
        cmd("HSET", p + i, "name", "__default__", "data", json.dumps({"db": "app", "sql": "select ?", "params": [int(i)]}),
            "opts", '{"attempts":1,"delay":0,"timestamp":%d,"removeOnComplete":{"age":30},"removeOnFail":{"age":30},"jobId":"%s"}' % (t, i),
            "timestamp", t, "delay", 0, "priority", 0)
        cmd("LPUSH", p + "wait", i)
        cmd("PUBLISH", p + "waiting@" + tok, i)
    end_transition()
    cmd("LRANGE", p + "wait", -len(ids), -1); cmd("LTRIM", p + "wait", 0, -(len(ids) + 1)); cmd("LPUSH", p + "active", *ids)
    for i in ids:  # take
        cmd("HGETALL", p + i); cmd("SET", p + i + ":lock", tok, "PX", 30000)
        cmd("HSET", p + i, "processedOn", t); cmd("PUBLISH", p + "active@" + tok, i)
    cmd("MGET", *[p + i + ":lock" for i in ids])
    end_transition()
    for i in ids:  # finish
        val = '{"columns":["?"],"rows":[[%s]],"changes":0,"last_insert_rowid":0}' % i
        cmd("HSET", p + i, "returnvalue", val, "finishedOn", t + 1)
        cmd("PUBLISH", p + "completed", json.dumps({"jobId": i, "val": val, "attempts": 1, "processedOn": t, "finishedOn": t + 1}))
    cmd("DEL", *[p + i + ":lock" for i in ids])
    cmd("LREM", p + "active", 0, ids[0])  # the active rewrite, roughly
    cmd("ZADD", p + "completed", *[x for i in ids for x in (t + 1, i)])
    end_transition()
