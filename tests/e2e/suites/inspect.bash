# shellcheck shell=bash
# shellcheck disable=SC2154 # $tmp, $OUT, ... come from tests/e2e/lib.sh
# jq-inspect: the operator's views (queues, counts, list, show, watch,
# workers, health) and actions (retry, remove, clean, pause, resume,
# promote), checked against the Redis state Bull would leave: every action
# agrees with docs/bull-layout.md, every --dry-run changes nothing, exit codes
# are the documented ones, and `list` costs what the page costs.

# The connection name Bull's getWorkers() looks for: prefix:base64(queue).
worker_name="bull:$(printf jq | base64)"

now_ms() {
  date +%s%3N
}

# mkjob ID [FIELD VALUE]...: a Bull-shaped job hash in queue jq, put in no
# list or set; FIELD VALUE pairs override the defaults.
mkjob() {
  local id=$1 t
  shift
  t=$(now_ms)
  rcli hset "bull:jq:$id" name __default__ \
    data '{"db":"app","sql":"select 1"}' \
    opts "{\"attempts\":1,\"delay\":0,\"timestamp\":$t}" \
    timestamp "$t" delay 0 priority 0 "$@" >/dev/null
}

# json_each TEXT EXPR: json_get EXPR on each JSON line of TEXT.
json_each() {
  "$JQ_PYTHON" -S -c '
import json, sys
for line in sys.stdin:
    if line.strip():
        d = json.loads(line)
        r = eval(sys.argv[1], {"json": json}, {"d": d})
        print(r if isinstance(r, str) else json.dumps(r, separators=(",", ":")))
' "$2" <<<"$1"
}

in_zset() {
  [[ -n $(rcli zscore "bull:jq:$1" "$2") ]]
}

# A digest of every key with its value (DUMP; TTLs left out): equal before
# and after a --dry-run means nothing changed.
snapshot() {
  local key
  rcli --scan | LC_ALL=C sort | while IFS= read -r key; do
    printf '%s %s\n' "$key" "$(rcli type "$key")"
    rcli dump "$key" | od -An -tx1
  done | sha1sum
}

# Record every message published under bull:* from now on.
start_events() {
  run_bg events redis-cli -h 127.0.0.1 -p "$REDIS_PORT" psubscribe 'bull:*'
  wait_until 5 grep -qx psubscribe "$TEST_DIR/events.out" ||
    fail "the event recorder did not subscribe"
}

# The messages recorded so far, one "channel payload" line each.
events_seen() {
  sleep 0.2
  awk 'p == 1 { ch = $0; p = 2; next }
       p == 2 { print ch " " $0; p = 0; next }
       $0 == "pmessage" { getline; p = 1 }' "$TEST_DIR/events.out"
}

# Read the Redis command counts since CONFIG RESETSTAT, the INFO/CONFIG
# calls of the test itself left out: STATS gets the per-command lines,
# CALLS their total. (Call it directly, not in $(...).)
read_commandstats() {
  STATS=$(rcli info commandstats | tr -d '\r' | grep '^cmdstat_' |
    grep -v -e '^cmdstat_info:' -e '^cmdstat_config')
  CALLS=$(awk -F'[:=,]' '{ n += $3 } END { print n + 0 }' <<<"$STATS")
}

# Run a jq-inspect command under a pseudo-terminal (util-linux script) of
# $PTY_COLS columns (200 unless set).
pty_inspect() {
  local cmd
  printf -v cmd '%q ' "$JQ_INSPECT" --redis "$REDIS_URL" "$@"
  run script -qefc "stty cols ${PTY_COLS:-200} rows 50; $cmd" /dev/null
}

# Text without SGR colour codes and carriage returns.
plain() {
  sed -e 's/\x1b\[[0-9;]*m//g' -e 's/\r$//' <<<"$1"
}

# ---------------------------------------------------------------- views

test_queues() {
  expect_exit 0 submit -q alpha --db app --no-wait --sql 'select 1'
  expect_exit 0 submit -q alpha --db app --no-wait --sql 'select 2'
  expect_exit 0 submit -q beta --db app --no-wait --delay 1h --sql 'select 3'
  expect_exit 0 inspect -q gamma pause
  # Keys that only look like queue keys: a job hash whose id ends in
  # ":failed", another prefix.
  rcli hset 'bull:alpha:x:failed' name n >/dev/null
  rcli lpush 'other:delta:wait' 1 >/dev/null
  rcli config resetstat >/dev/null
  expect_exit 0 inspect queues --json || return
  expect_file_lines "$OUT_FILE" 3
  expect_eq "$(json_get "$(sed -n 1p <<<"$OUT")" 'd["queue"]')" alpha
  expect_json "$(sed -n 1p <<<"$OUT")" 'd' \
    '{"queue":"alpha","waiting":2,"active":0,"completed":0,"failed":0,"delayed":0,"paused":0,"isPaused":false}'
  expect_json "$(sed -n 2p <<<"$OUT")" '[d["queue"], d["delayed"], d["isPaused"]]' \
    '["beta", 1, false]'
  expect_json "$(sed -n 3p <<<"$OUT")" '[d["queue"], d["isPaused"]]' \
    '["gamma", true]'
  read_commandstats
  expect_not_contains "$STATS" cmdstat_keys: "commandstats"
  expect_contains "$STATS" cmdstat_scan: "commandstats"
  expect_exit 0 inspect --prefix other queues --json
  expect_json "$OUT" 'd["queue"]' '"delta"'
}
TEST "queues are found with SCAN (never KEYS), with counts and pause state" test_queues

test_counts() {
  expect_exit 0 submit --db app --no-wait --sql 'select 1'
  expect_exit 0 submit --db app --no-wait --delay 1h --sql 'select 1'
  expect_exit 0 inspect counts --json
  # Exactly the old output: Bull's getJobCounts() fields in Bull's order.
  expect_eq "$OUT" \
    '{"waiting":1,"active":0,"completed":0,"failed":0,"delayed":1,"paused":0}'
  # Piped without --json: the same.
  expect_exit 0 inspect counts
  expect_eq "$OUT" \
    '{"waiting":1,"active":0,"completed":0,"failed":0,"delayed":1,"paused":0}'
}
TEST "counts is unchanged: one JSON object in Bull's order" test_counts

test_list_order() {
  local i
  for i in 1 2 3 4 5; do
    expect_exit 0 submit --db app --no-wait --job-id "w$i" --sql "select $i"
  done
  # Waiting: oldest (next to run) first, paged like Bull's getWaiting().
  expect_exit 0 inspect list --state waiting --limit 2 --json
  expect_eq "$(json_each "$OUT" 'd["id"]' | tr '\n' ' ')" "w1 w2 " "page 1"
  expect_json "$(head -1 <<<"$OUT")" '[d["state"], d["name"], d["data"]["sql"], d["attemptsMade"]]' \
    '["waiting", "__default__", "select 1", 0]'
  expect_exit 0 inspect list --state wait --limit 2 --offset 2 --json
  expect_eq "$(json_each "$OUT" 'd["id"]' | tr '\n' ' ')" "w3 w4 " "page 2"
  expect_exit 0 inspect list --state waiting --limit 2 --offset 4 --json
  expect_eq "$(json_each "$OUT" 'd["id"]' | tr '\n' ' ')" "w5 " "page 3"
  expect_exit 0 inspect list --state waiting --offset 9 --json
  expect_eq "$OUT" "" "a page past the end"

  # Delayed: soonest due first, dueAt decoded from the score.
  local before
  before=$(now_ms)
  expect_exit 0 submit --db app --no-wait --job-id d-late --delay 2h --sql 'select 1'
  expect_exit 0 submit --db app --no-wait --job-id d-soon --delay 1h --sql 'select 1'
  expect_exit 0 inspect list --state delayed --json
  expect_eq "$(json_each "$OUT" 'd["id"]' | tr '\n' ' ')" "d-soon d-late " "delayed order"
  local due
  due=$(json_get "$(head -1 <<<"$OUT")" 'd["dueAt"]')
  expect_lt $((before + 3600000 - 1)) "$due" "dueAt lower bound"
  expect_lt "$due" $(($(now_ms) + 3600000 + 1)) "dueAt upper bound"

  # Completed and failed: newest first (Bull's getCompleted/getFailed).
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  for i in 1 2 3; do
    expect_exit 0 submit --db app --job-id "c$i" --sql "select $i" --format value
  done
  for i in 1 2; do
    expect_exit 1 submit --db app --job-id "f$i" --sql 'select * from nope'
  done
  stop_worker
  expect_exit 0 inspect list --state completed --limit 3 --json
  expect_eq "$(json_each "$OUT" 'd["id"]' | tr '\n' ' ')" "c3 c2 c1 " \
    "completed order"
  expect_exit 0 inspect list --state failed --json
  expect_eq "$(json_each "$OUT" 'd["id"]' | tr '\n' ' ')" "f2 f1 " "failed order"
  expect_json "$(head -1 <<<"$OUT")" '[d["failedReason"], d["attemptsMade"], type(d["finishedOn"]).__name__]' \
    '["no such table: nope", 1, "int"]'

  # Active: oldest started first; an id whose hash is gone still shows.
  mkjob a1 processedOn 1
  mkjob a2 processedOn 2
  rcli lpush bull:jq:active a1 a2 ghost >/dev/null
  expect_exit 0 inspect list --state active --json
  expect_eq "$(json_each "$OUT" 'd["id"]' | tr '\n' ' ')" "a1 a2 ghost " "active order"
  expect_json "$(tail -1 <<<"$OUT")" '[d["state"], d["name"], d["data"]]' '["active", null, null]'

  # Paused: the same order as waiting.
  expect_exit 0 submit --db app --no-wait --job-id p1 --sql 'select 1'
  expect_exit 0 submit --db app --no-wait --job-id p2 --sql 'select 1'
  expect_exit 0 inspect pause
  expect_exit 0 inspect list --state paused --json
  expect_eq "$(json_each "$OUT" 'd["id"]' | tr '\n' ' ')" "p1 p2 " "paused order"
}
TEST "list pages each state in Bull's getJobs() order" test_list_order

test_list_cost() {
  # 100,000 completed Bull-shaped jobs, written by one script (no workers).
  local t
  t=$(now_ms)
  local lua="
local t = tonumber(ARGV[1])
for i = 1, 100000 do
  local id = tostring(i)
  redis.call('HSET', 'bull:jq:' .. id, 'name', '__default__',
    'data', '{\"db\":\"app\",\"sql\":\"select ' .. id .. '\"}',
    'opts', '{\"attempts\":1,\"delay\":0}', 'timestamp', ARGV[1],
    'delay', '0', 'priority', '0', 'processedOn', ARGV[1],
    'finishedOn', string.format('%d', t + i), 'returnvalue', 'null')
  redis.call('ZADD', 'bull:jq:completed', t + i, id)
end
return redis.call('ZCARD', 'bull:jq:completed')"
  expect_eq "$(rcli eval "$lua" 0 "$t")" 100000 "jobs created" || return

  local offset
  for offset in 0 50000 99980; do
    rcli config resetstat >/dev/null
    expect_exit 0 inspect list --state completed --limit 20 --offset "$offset" --json
    read_commandstats
    expect_file_lines "$OUT_FILE" 20
    expect_eq "$(json_get "$(head -1 <<<"$OUT")" 'd["id"]')" $((100000 - offset)) \
      "newest-first id at offset $offset"
    expect_eq "$(json_get "$(tail -1 <<<"$OUT")" 'd["id"]')" $((100000 - offset - 19)) \
      "last id at offset $offset"
    # One ZREVRANGE for the page and one HMGET per job on it.
    expect_contains "$STATS" 'cmdstat_zrevrange:calls=1,' "commandstats"
    expect_contains "$STATS" 'cmdstat_hmget:calls=20,' "commandstats"
    expect_eq "$CALLS" 22 "Redis commands for a page of 20 at offset $offset"
    expect_lt "$ELAPSED_MS" 2000 "ms for a page of 20"
    measured "list --limit 20 --offset $offset of 100000 completed:" \
      "$CALLS Redis commands ($(tr '\n' ' ' <<<"$STATS")), $ELAPSED_MS ms"
  done

  # show and counts on the big queue are constant too.
  rcli config resetstat >/dev/null
  expect_exit 0 inspect show 4242 --json
  expect_json "$OUT" '[d["state"], d["data"]["sql"]]' '["completed", "select 4242"]'
  read_commandstats
  expect_lt "$CALLS" 15 "Redis commands for show"
  measured "show of one of 100000 completed jobs: $CALLS Redis commands"
}
TEST "list of 100,000 completed jobs: a page of 20 costs 22 commands (PING, ZREVRANGE, 20 HMGET)" test_list_cost

test_show_states() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  expect_exit 0 submit --db app --job-id okjob --sql 'select 1' --format value
  expect_exit 1 submit --db app --job-id bad --sql 'select * from nope'
  stop_worker
  expect_exit 0 submit --db app --no-wait --job-id later --delay 1h --sql 'select 2'
  expect_exit 0 submit --db app --no-wait --job-id queued --sql 'select 3'
  mkjob running processedOn "$(now_ms)"
  rcli lpush bull:jq:active running >/dev/null
  rcli set bull:jq:running:lock tok-1 px 60000 >/dev/null
  mkjob lost
  mkjob held
  rcli lpush bull:jq:paused held >/dev/null
  # Listed twice: Bull's order says completed wins over wait.
  mkjob twice finishedOn 5
  rcli zadd bull:jq:completed 5 twice >/dev/null
  rcli lpush bull:jq:wait twice >/dev/null

  local id state
  for id in okjob:completed bad:failed later:delayed running:active \
    queued:waiting held:paused lost:stuck twice:completed; do
    state=${id#*:}
    id=${id%%:*}
    expect_exit 0 inspect show "$id" --json || continue
    expect_json "$OUT" 'd["state"]' "\"$state\""
  done

  expect_exit 0 inspect show okjob --json
  expect_json "$OUT" '[d["id"], d["returnvalue"]["rows"], d["data"]["sql"], d["attempts"], d["attemptsMade"], d["failedReason"]]' \
    '["okjob", [[1]], "select 1", 1, 0, null]'
  expect_json "$OUT" '[type(d["timestamp"]).__name__, type(d["processedOn"]).__name__, type(d["finishedOn"]).__name__]' \
    '["int", "int", "int"]'
  expect_exit 0 inspect show bad --json
  expect_json "$OUT" '[d["failedReason"], d["attemptsMade"], len(d["stacktrace"])]' \
    '["no such table: nope", 1, 1]'
  expect_exit 0 inspect show later --json
  expect_json "$OUT" 'd["dueAt"] - d["timestamp"]' '3600000'
  expect_exit 0 inspect show running --json
  expect_json "$OUT" '[d["lockToken"], 0 < d["lockTtlMs"] <= 60000]' '["tok-1", true]'

  # Logs: the count and the newest lines.
  rcli rpush bull:jq:queued:logs one two three >/dev/null
  expect_exit 0 inspect show queued --json
  expect_json "$OUT" '[d["logCount"], d["logs"]]' '[3, ["one", "two", "three"]]'
  expect_exit 0 inspect show queued --json --logs 1
  expect_json "$OUT" '[d["logCount"], d["logs"]]' '[3, ["three"]]'

  # An id listed without a hash is shown; an unknown id exits 3.
  rcli lpush bull:jq:wait orphan >/dev/null
  expect_exit 0 inspect show orphan --json
  expect_json "$OUT" '[d["state"], d["name"]]' '["waiting", null]'
  expect_exit 3 inspect show no-such-id
  expect_contains "$ERR" "jq-inspect: error: no job no-such-id" stderr
  expect_eq "$OUT" "" stdout
  expect_exit 3 inspect show no-such-id --json
}
TEST "show decides the state as Bull's getState() and exits 3 for an unknown id" test_show_states

test_workers() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  local first=$WORKER_PID
  start_worker -c 2 --db app="$TEST_DIR/app.sqlite" || return
  start_worker -q other --db app="$TEST_DIR/app.sqlite" || return
  expect_exit 0 inspect workers --json || return
  local n
  n=$(wc -l <"$OUT_FILE")
  expect_lt 1 "$n" "worker connections of queue jq"
  expect_eq "$(json_each "$OUT" 'd["name"]' | sort -u)" "$worker_name" "names"
  expect_json "$(head -1 <<<"$OUT")" 'sorted(d.keys())' \
    '["addr", "age", "cmd", "db", "id", "idle", "name"]'
  # The same as CLIENT LIST says.
  expect_eq "$n" "$(rcli client list | grep -c " name=$worker_name ")" \
    "CLIENT LIST entries named $worker_name"
  expect_exit 0 inspect -q other workers --json
  expect_file_lines "$OUT_FILE" 1
  stop_worker "$first"
  expect_exit 0 inspect workers --json
  expect_lt "$(wc -l <"$OUT_FILE")" "$n" "connections after one worker stopped"
}
TEST "workers lists the connections named prefix:base64(queue)" test_workers

test_busy_worker_listed() {
  # Slow jobs waiting before the worker starts: it is busy from its first
  # moment and never blocks for work, and is listed all the same.
  local slow='with recursive c(x) as (select 1 union all select x + 1 from c where x < 3000000) select count(*) from c'
  local i
  for i in 1 2 3 4; do
    expect_exit 0 submit --db app --no-wait --sql "$slow" || return
  done
  start_worker -c 2 --db app="$TEST_DIR/app.sqlite" || return
  sleep 0.3
  expect_exit 0 inspect workers --json || return
  expect_file_lines "$OUT_FILE" 1
  expect_exit 0 inspect health --json
}
TEST "a worker busy from its start is listed by workers and health" \
  test_busy_worker_listed

# ---------------------------------------------------------------- health

test_health() {
  # Redis refuses: 69, at once.
  local port
  port=$(jq_free_port)
  expect_exit 69 "$JQ_INSPECT" --redis "redis://127.0.0.1:$port" health --json
  expect_json "$OUT" '[d["status"], d["healthy"]]' '["redis_unreachable", false]'
  expect_lt "$ELAPSED_MS" 3000 "ms to report a refused connection"

  # Redis accepts but never answers: 69 within --timeout.
  run_bg hole "$JQ_PYTHON" -c '
import socket, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(16)
print(s.getsockname()[1], flush=True)
time.sleep(120)'
  wait_until 5 test -s "$TEST_DIR/hole.out" || fail "no black-hole server"
  port=$(<"$TEST_DIR/hole.out")
  expect_exit 69 "$JQ_INSPECT" --redis "redis://127.0.0.1:$port" health \
    --timeout 1s --json
  expect_json "$OUT" 'd["status"]' '"redis_unreachable"'
  expect_lt 900 "$ELAPSED_MS" "ms before giving up"
  expect_lt "$ELAPSED_MS" 2500 "ms with --timeout 1s"
  measured "health against a server that never answers, --timeout 1s: $ELAPSED_MS ms"

  # No worker: 10.
  expect_exit 10 inspect health --json
  expect_json "$OUT" '[d["status"], d["workers"]]' '["no_worker", 0]'

  # A worker and an empty queue: 0.
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  expect_exit 0 inspect health --json
  expect_json "$OUT" '[d["status"], d["healthy"], d["workers"], d["waiting"]]' \
    '["healthy", true, 1, 0]'
  stop_worker

  # A connection named like a worker (that takes nothing) and an old job.
  local fake reply
  exec {fake}<>"/dev/tcp/127.0.0.1/$REDIS_PORT"
  printf 'CLIENT SETNAME %s\r\n' "$worker_name" >&"$fake"
  read -r -t 5 reply <&"$fake"
  expect_eq "${reply%$'\r'}" +OK "CLIENT SETNAME"
  local old=$(($(now_ms) - 600000))
  mkjob stale timestamp "$old"
  rcli rpush bull:jq:wait stale >/dev/null
  mkjob fresh
  rcli lpush bull:jq:wait fresh >/dev/null
  expect_exit 11 inspect health --max-wait-age 5m --json
  expect_json "$OUT" '[d["status"], d["workers"], d["waiting"], d["oldestWaitingId"], d["maxWaitAgeMs"]]' \
    '["wait_too_old", 1, 2, "stale", 300000]'
  expect_json "$OUT" '600000 <= d["oldestWaitingAgeMs"] < 660000' 'true'
  expect_exit 0 inspect health --max-wait-age 1h --json
  # Retried 1 minute ago: it waits from then.
  rcli hset bull:jq:stale retriedOn $(($(now_ms) - 60000)) >/dev/null
  expect_exit 0 inspect health --max-wait-age 5m --json
  # On a terminal: a table of the checks, the same exit code.
  rcli hdel bull:jq:stale retriedOn >/dev/null
  pty_inspect health --max-wait-age 5m
  expect_eq "$RC" 11 "exit status under a terminal"
  expect_match "$(plain "$OUT")" 'wait +FAIL +2 waiting, oldest stale has waited 10m'
  exec {fake}>&-

  expect_exit 0 inspect health --help
  expect_contains "$OUT" "10   no worker"
  expect_contains "$OUT" "11   the oldest waiting job"
  expect_contains "$OUT" "69   Redis unreachable"
}
TEST "health: 0 healthy, 69 unreachable (bounded), 10 no worker, 11 too old" test_health

# ---------------------------------------------------------------- actions

# Three failed jobs f1..f3 made by jq-worker, which is stopped afterwards.
make_failed() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  local i
  for i in 1 2 3; do
    expect_exit 0 submit --db app --no-wait --job-id "f$i" --sql 'select * from nope'
  done
  wait_until 10 in_zset failed f3 || fail "the jobs did not fail"
  stop_worker
}

test_retry() {
  make_failed || return
  start_events || return
  local before
  before=$(snapshot)
  expect_exit 0 inspect retry f1 --dry-run --json
  expect_json "$OUT" 'd' '{"id":"f1","action":"retry","result":"would_retry","dryRun":true}'
  expect_contains "$ERR" "dry run"
  expect_exit 0 inspect retry --all-failed --dry-run
  expect_file_lines "$OUT_FILE" 3
  expect_eq "$(snapshot)" "$before" "Redis after retry --dry-run"

  expect_exit 0 inspect retry f1 --json
  expect_json "$OUT" 'd["result"]' '"retried"'
  # Bull's reprocessJob: fields cleared, retriedOn set, out of failed, at
  # the back of wait, waiting@token published; attemptsMade kept.
  expect_eq "$(rcli hmget bull:jq:f1 finishedOn processedOn failedReason | tr -d '\n')" "" \
    "finishedOn processedOn failedReason"
  expect_match "$(rcli hget bull:jq:f1 retriedOn)" '^[0-9]{13}$' retriedOn
  expect_eq "$(rcli hget bull:jq:f1 attemptsMade)" 1 attemptsMade
  expect_eq "$(rcli zscore bull:jq:failed f1)" "" "f1 in failed"
  expect_eq "$(rcli lrange bull:jq:wait 0 -1)" f1 "wait"
  expect_match "$(events_seen)" 'bull:jq:waiting@[0-9a-f-]{36} f1' events
  expect_exit 0 inspect show f1 --json
  expect_json "$OUT" 'd["state"]' '"waiting"'

  # Refusals: locked (exit 1, untouched), not failed (1), unknown (3).
  rcli set bull:jq:f2:lock someone px 60000 >/dev/null
  expect_exit 1 inspect retry f2 --json
  expect_json "$OUT" 'd["result"]' '"locked"'
  expect_eq "$(rcli hget bull:jq:f2 failedReason)" "no such table: nope" \
    "failedReason of a refused job"
  expect_exit 1 inspect retry f1 --json
  expect_json "$OUT" 'd["result"]' '"not_failed"'
  expect_exit 3 inspect retry nope --json
  expect_json "$OUT" 'd["result"]' '"missing"'

  # --all-failed: the rest, skipping the locked one; while paused, into
  # paused; a lifo job at the running end.
  expect_exit 0 inspect pause
  mkjob f4 opts '{"attempts":1,"lifo":true}' finishedOn 1
  rcli zadd bull:jq:failed 1 f4 >/dev/null
  expect_exit 1 inspect retry --all-failed --json
  expect_eq "$(json_each "$OUT" 'd["id"] + ":" + d["result"]' | sort | tr '\n' ' ')" \
    "f2:locked f3:retried f4:retried " "--all-failed results"
  expect_eq "$(rcli lrange bull:jq:paused 0 -1 | tr '\n' ' ')" "f3 f1 f4 " "paused"
  expect_eq "$(rcli zrange bull:jq:failed 0 -1)" f2 "failed"

  # Bull's view of the retried jobs: a worker runs them again.
  rcli del bull:jq:f2:lock >/dev/null
  expect_exit 0 inspect resume
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  wait_until 10 in_zset failed f3 || fail "f3 did not run again"
  expect_eq "$(rcli hget bull:jq:f3 attemptsMade)" 2 "attemptsMade after the rerun"
}
TEST "retry: Bull's job.retry(), refusals, --all-failed, --dry-run" test_retry

test_remove() {
  expect_exit 0 submit --db app --no-wait --job-id w1 --sql 'select 1'
  expect_exit 0 submit --db app --no-wait --job-id w2 --priority 3 --sql 'select 1'
  expect_exit 0 submit --db app --no-wait --job-id d1 --delay 1h --sql 'select 1'
  rcli rpush bull:jq:w1:logs hello >/dev/null
  mkjob a1 deid dd
  rcli set bull:jq:de:dd a1 >/dev/null
  rcli lpush bull:jq:active a1 >/dev/null
  rcli set bull:jq:a1:lock worker-token px 60000 >/dev/null
  local before
  before=$(snapshot)
  expect_exit 0 inspect remove w1 w2 d1 --dry-run --json
  expect_eq "$(json_each "$OUT" 'd["result"]' | sort -u)" would_remove
  expect_eq "$(snapshot)" "$before" "Redis after remove --dry-run"

  expect_exit 0 inspect remove w1 w2 d1 --json
  expect_eq "$(json_each "$OUT" 'd["result"]' | sort -u)" removed
  local key
  for key in w1 w1:logs w2 d1; do
    expect_eq "$(rcli exists "bull:jq:$key")" 0 "bull:jq:$key exists"
  done
  expect_eq "$(rcli llen bull:jq:wait)" 0 "LLEN wait"
  expect_eq "$(rcli zcard bull:jq:priority)" 0 "ZCARD priority"
  expect_eq "$(rcli zcard bull:jq:delayed)" 0 "ZCARD delayed"

  # A locked active job is refused and left as it is.
  expect_exit 1 inspect remove a1 --json
  expect_json "$OUT" 'd["result"]' '"locked"'
  expect_eq "$(rcli lrange bull:jq:active 0 -1)" a1 active
  # Unlocked (a stalled job): removed, with its debounce key.
  rcli del bull:jq:a1:lock >/dev/null
  expect_exit 0 inspect remove a1
  expect_eq "$(rcli exists bull:jq:a1 bull:jq:de:dd)" 0 "a1 and its debounce key"
  expect_eq "$(rcli llen bull:jq:active)" 0 "LLEN active"

  expect_exit 3 inspect remove a1 --json
  expect_json "$OUT" 'd["result"]' '"missing"'
  # An orphan id (no hash) is still taken out of its list.
  rcli lpush bull:jq:wait orphan >/dev/null
  expect_exit 0 inspect remove orphan
  expect_eq "$(rcli llen bull:jq:wait)" 0 "orphan removed from wait"
}
TEST "remove: from every list and set, refused while locked, --dry-run" test_remove

test_clean() {
  local now old i
  now=$(now_ms)
  old=$((now - 7200000))
  for i in 1 2 3; do
    mkjob "c-old$i" finishedOn $((old + i)) returnvalue null
    rcli zadd bull:jq:completed $((old + i)) "c-old$i" >/dev/null
    rcli rpush "bull:jq:c-old$i:logs" line >/dev/null
  done
  mkjob c-new finishedOn "$now"
  rcli zadd bull:jq:completed "$now" c-new >/dev/null
  # Waiting: one old, one old but locked, one new (the tail is the oldest).
  mkjob w-new
  mkjob w-locked timestamp "$old"
  mkjob w-old timestamp "$old"
  rcli lpush bull:jq:wait w-old w-locked w-new >/dev/null
  rcli set bull:jq:w-locked:lock tok px 60000 >/dev/null

  local before
  before=$(snapshot)
  expect_exit 0 inspect clean --state completed --grace 1h --dry-run --json
  expect_eq "$(json_each "$OUT" 'd["id"]' | tr '\n' ' ')" "c-old1 c-old2 c-old3 " \
    "would clean, oldest first"
  expect_json "$(head -1 <<<"$OUT")" 'd' \
    '{"id":"c-old1","action":"clean","result":"would_remove","dryRun":true}'
  expect_exit 0 inspect clean --state waiting --grace 1h --dry-run --json
  expect_eq "$(snapshot)" "$before" "Redis after clean --dry-run"

  expect_exit 0 inspect clean --state completed --grace 1h --limit 2 --json
  expect_eq "$(json_each "$OUT" 'd["id"]' | tr '\n' ' ')" "c-old1 c-old2 " "--limit 2"
  expect_eq "$(rcli zrange bull:jq:completed 0 -1 | tr '\n' ' ')" "c-old3 c-new " completed
  expect_eq "$(rcli exists bull:jq:c-old1 bull:jq:c-old1:logs)" 0 "hash and logs"
  expect_exit 0 inspect clean --state completed --grace 1h
  expect_exit 0 inspect clean --state waiting --grace 1h --json
  expect_eq "$OUT" '{"id":"w-old","action":"clean","result":"removed","dryRun":false}'
  expect_eq "$(rcli lrange bull:jq:wait 0 -1 | tr '\n' ' ')" "w-new w-locked " wait
  expect_eq "$(rcli zrange bull:jq:completed 0 -1)" c-new completed

  # Bounded per call: 2500 old failed jobs go in steps of at most 1000.
  rcli eval "for i = 1, 2500 do
      redis.call('HSET', 'bull:jq:x' .. i, 'timestamp', 1, 'finishedOn', i)
      redis.call('ZADD', 'bull:jq:failed', i, 'x' .. i)
    end" 0 >/dev/null
  rcli config resetstat >/dev/null
  expect_exit 0 inspect clean --state failed --grace 1m --json
  expect_file_lines "$OUT_FILE" 2500
  read_commandstats
  expect_match "$STATS" 'cmdstat_evalsha:calls=3,' "script calls for 2500 jobs"
  expect_eq "$(rcli zcard bull:jq:failed)" 0 "ZCARD failed"
  expect_eq "$(rcli exists bull:jq:x1 bull:jq:x2500)" 0 "hashes"
}
TEST "clean: Bull's cleanJobsInSet rules, --limit, bounded steps, --dry-run" test_clean

test_pause_resume() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  expect_exit 0 submit --db app --no-wait --job-id before --sql 'select 1'
  wait_until 10 in_zset completed before || fail "the worker did not run it"
  stop_worker
  local i
  for i in 1 2 3; do
    expect_exit 0 submit --db app --no-wait --job-id "j$i" --sql "select $i"
  done
  start_events || return
  local before
  before=$(snapshot)
  expect_exit 0 inspect pause --dry-run --json
  expect_json "$OUT" 'd' \
    '{"action":"pause","result":"would_pause","changed":true,"jobsMoved":3,"dryRun":true}'
  expect_eq "$(snapshot)" "$before" "Redis after pause --dry-run"

  expect_exit 0 inspect pause --json
  expect_json "$OUT" '[d["result"], d["jobsMoved"]]' '["paused", 3]'
  # Bull's pause: wait renamed to paused, both flags set, event published.
  expect_eq "$(rcli exists bull:jq:wait)" 0 "wait exists"
  expect_eq "$(rcli lrange bull:jq:paused 0 -1 | tr '\n' ' ')" "j3 j2 j1 " paused
  expect_eq "$(rcli get bull:jq:meta-paused)" 1 meta-paused
  expect_eq "$(rcli hget bull:jq:meta paused)" 1 "meta paused"
  expect_contains "$(events_seen)" "bull:jq:paused paused" events
  expect_exit 0 inspect show j1 --json
  expect_json "$OUT" 'd["state"]' '"paused"'
  before=$(snapshot)
  expect_exit 0 inspect resume --dry-run --json
  expect_json "$OUT" '[d["result"], d["jobsMoved"]]' '["would_resume", 3]'
  expect_exit 0 inspect pause --json
  expect_json "$OUT" 'd["result"]' '"already_paused"'
  expect_eq "$(snapshot)" "$before" "Redis after resume --dry-run and a second pause"

  # Paused: a running worker takes nothing; new jobs go to paused.
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  expect_exit 0 submit --db app --no-wait --job-id j4 --sql 'select 4'
  sleep 1
  expect_eq "$(rcli lrange bull:jq:paused 0 -1 | tr '\n' ' ')" "j4 j3 j2 j1 " \
    "paused with a worker running"

  expect_exit 0 inspect resume --json
  expect_json "$OUT" '[d["result"], d["jobsMoved"]]' '["resumed", 4]'
  expect_eq "$(rcli exists bull:jq:meta-paused)" 0 "meta-paused exists"
  expect_eq "$(rcli hexists bull:jq:meta paused)" 0 "meta paused exists"
  expect_contains "$(events_seen)" "bull:jq:resumed resumed" events
  wait_until 10 in_zset completed j4 || fail "the worker did not resume"
  expect_exit 0 inspect resume --json
  expect_json "$OUT" 'd["result"]' '"not_paused"'
}
TEST "pause and resume as Bull's global pause, --dry-run" test_pause_resume

test_pause_keeps_foreign_jobs() {
  expect_exit 0 submit --db app --no-wait --job-id p1 --sql 'select 1'
  expect_exit 0 inspect pause
  # A foreign writer that ignores meta-paused: Bull's RENAME would drop p1
  # or x1; jq-inspect merges, x1 behind p1.
  rcli lpush bull:jq:wait x1 >/dev/null
  expect_exit 0 inspect pause --json
  expect_eq "$(rcli lrange bull:jq:paused 0 -1 | tr '\n' ' ')" "x1 p1 " paused
  rcli lpush bull:jq:wait x2 >/dev/null
  expect_exit 0 inspect resume --json
  expect_eq "$(rcli lrange bull:jq:wait 0 -1 | tr '\n' ' ')" "x2 x1 p1 " wait
}
TEST "pause and resume never overwrite a list" test_pause_keeps_foreign_jobs

test_promote() {
  expect_exit 0 submit --db app --no-wait --job-id first --sql 'select 1'
  expect_exit 0 submit --db app --no-wait --job-id later --delay 1h --sql 'select 2'
  expect_exit 0 submit --db app --no-wait --job-id urgent --delay 1h --priority 1 --sql 'select 3'
  start_events || return
  local before
  before=$(snapshot)
  expect_exit 0 inspect promote later --dry-run --json
  expect_json "$OUT" 'd["result"]' '"would_promote"'
  expect_eq "$(snapshot)" "$before" "Redis after promote --dry-run"

  expect_exit 0 inspect promote later --json
  expect_json "$OUT" 'd' '{"id":"later","action":"promote","result":"promoted","dryRun":false}'
  # Bull's promote: out of delayed, LPUSHed (back of the line), delay 0,
  # waiting@token published.
  expect_eq "$(rcli lrange bull:jq:wait 0 -1 | tr '\n' ' ')" "later first " wait
  expect_eq "$(rcli hget bull:jq:later delay)" 0 delay
  expect_eq "$(rcli zscore bull:jq:delayed later)" "" "later in delayed"
  expect_match "$(events_seen)" 'bull:jq:waiting@[0-9a-f-]{36} later' events
  # With a priority: ahead of the jobs without one.
  expect_exit 0 inspect promote urgent
  expect_eq "$(rcli lrange bull:jq:wait 0 -1 | tr '\n' ' ')" "later first urgent " wait
  expect_eq "$(rcli zscore bull:jq:priority urgent)" 1 "priority entry"

  # Not delayed: refused (Bull's -1), exit 1; unknown: 3.
  expect_exit 1 inspect promote first --json
  expect_json "$OUT" 'd["result"]' '"not_delayed"'
  expect_exit 3 inspect promote nope --json
  expect_json "$OUT" 'd["result"]' '"missing"'

  start_worker --db app="$TEST_DIR/app.sqlite" || return
  wait_until 10 in_zset completed later || fail "the promoted job did not run"
}
TEST "promote: a delayed job into line as Bull's job.promote()" test_promote

# ---------------------------------------------------------------- output

test_terminal() {
  expect_exit 0 submit --db app --no-wait --job-id t1 --sql $'select\n1'
  expect_exit 0 submit --db app --no-wait --job-id t2 --sql 'select 2'
  pty_inspect list --state waiting
  expect_eq "$RC" 0 "exit status"
  expect_contains "$OUT" $'\e[1mID\e[0m' "bold heading"
  local text
  text=$(plain "$OUT")
  expect_match "$(head -1 <<<"$text")" '^ID +NAME +CREATED +ATTEMPTS +DATA$' heading
  expect_match "$(sed -n 2p <<<"$text")" \
    '^t1 +__default__ +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]{12} \([0-9.]+(ms|s) ago\) +0 +\{"db":"app","sql":"select\\n1"\}$' \
    "row (newline shown as \\n)"
  # Columns line up: DATA starts at the same offset on every line.
  local col1 col2
  col1=$(sed -n 1p <<<"$text" | grep -bo DATA | cut -d: -f1)
  col2=$(sed -n 3p <<<"$text" | grep -bo '{"db"' | cut -d: -f1)
  expect_eq "$col2" "$col1" "DATA column offset"

  # An 80-column terminal: the last column is cut with an ellipsis.
  PTY_COLS=80 pty_inspect list --state waiting
  text=$(plain "$OUT")
  expect_match "$(sed -n 3p <<<"$text")" '^t2 .*…$' "row cut to 80 columns"
  expect_eq "$(sed -n 3p <<<"$text" | tr -d '\n' | wc -m)" 80 "characters in a cut row"

  NO_COLOR=1 pty_inspect list --state waiting
  expect_not_contains "$OUT" $'\e[' "output with NO_COLOR"
  pty_inspect list --state waiting --json
  expect_eq "$(plain "$OUT" | head -1 | cut -c1-10)" '{"id":"t1"' "--json on a terminal"

  pty_inspect show t1
  text=$(plain "$OUT")
  expect_match "$text" $'state +waiting' state
  expect_match "$text" 'created +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} \(' \
    "readable date"
  pty_inspect show nope
  expect_eq "$RC" 3 "show of an unknown id under a terminal"

  # watch: the first frame, then the next drawn over it.
  pty_inspect watch --interval 200ms --count 2
  expect_eq "$RC" 0 "watch --count 2 exit status"
  expect_contains "$OUT" $'\e[4A\r\e[J' "cursor back over the previous frame"
  local last=${OUT##*$'\e[J'}
  local line
  text=$(plain "$last")
  expect_match "$text" 'bull:jq +[0-9-]+ [0-9:.]+ +every 200ms'
  expect_match "$text" 'WAITING +ACTIVE +COMPLETED +FAILED +DELAYED +PAUSED +COMPLETED/S +FAILED/S'
  expect_match "$text" ' +2 +0 +0 +0 +0 +0 +0\.0 +0\.0'
  echo "  one watch frame as shown on a terminal:" >&2
  while IFS= read -r line; do echo "    | $line" >&2; done <<<"$text"
}
TEST "tables on a terminal: aligned, coloured unless NO_COLOR, watch redraws" test_terminal

test_watch() {
  # Piped: JSON Lines, --count frames, rates from the events.
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  run_bg watch inspect watch --interval 3s --count 2
  sleep 0.3
  local i
  for i in 1 2 3 4 5; do
    expect_exit 0 submit --db app --sql "select $i" --format value
  done
  expect_exit 1 submit --db app --sql 'select * from nope'
  wait_bg watch 15
  expect_eq "$RC" 0 "watch --count 2 exit status"
  expect_file_lines "$OUT_FILE" 2
  expect_json "$(head -1 <<<"$OUT")" '[d["completedPerSecond"], d["failedPerSecond"]]' '[null, null]'
  expect_json "$(head -1 <<<"$OUT")" 'list(d.keys())' \
    '["time", "waiting", "active", "completed", "failed", "delayed", "paused", "completedPerSecond", "failedPerSecond"]'
  expect_json "$(tail -1 <<<"$OUT")" '[d["completed"], d["failed"]]' '[5, 1]'
  expect_json "$(tail -1 <<<"$OUT")" '[round(d["completedPerSecond"] * 3), round(d["failedPerSecond"] * 3)]' \
    '[5, 1]'

  # Until a signal: SIGINT ends it with 130, SIGTERM with 143.
  local sig code
  for sig in INT:130 TERM:143; do
    code=${sig#*:}
    sig=${sig%:*}
    run_bg "watch-$sig" inspect watch --interval 100ms
    wait_until 5 test -s "$TEST_DIR/watch-$sig.out" || fail "no frame"
    sleep 0.3
    kill "-$sig" "${_jq_bg_pid[watch-$sig]}"
    wait_bg "watch-$sig" 5
    expect_eq "$RC" "$code" "exit status after SIG$sig"
    expect_lt 1 "$(wc -l <"$OUT_FILE")" "frames before SIG$sig"
  done
}
TEST "watch: --count frames, rates, SIGINT 130 and SIGTERM 143" test_watch

test_usage() {
  expect_exit 2 inspect list
  expect_exit 2 inspect list --state bogus
  expect_contains "$ERR" "unknown state 'bogus'"
  expect_exit 2 inspect list --state waiting --limit 0
  expect_exit 2 inspect show
  expect_exit 2 inspect clean --state completed
  expect_exit 2 inspect clean --state completed --grace soon
  expect_exit 2 inspect retry
  expect_exit 2 inspect retry f1 --all-failed
  expect_exit 2 inspect remove
  expect_exit 2 inspect promote
  expect_exit 2 inspect health --timeout banana
  expect_exit 2 inspect watch --interval 1ms --count 1
  expect_exit 2 inspect pause --no-such-flag
  expect_eq "$(rcli keys '*')" "" "keys in Redis"
  # Redis down: 69 for every command.
  local port
  port=$(jq_free_port)
  local cmd
  for cmd in queues counts 'list --state waiting' 'show 1' workers \
    'retry 1' 'remove 1' 'clean --state failed --grace 1h' pause resume \
    'promote 1' 'watch --count 1'; do
    # shellcheck disable=SC2086 # split on purpose
    expect_exit 69 "$JQ_INSPECT" --redis "redis://127.0.0.1:$port" $cmd
  done
  # --help of each subcommand lists its JSON fields.
  for cmd in queues list show watch workers health retry remove clean pause \
    resume promote; do
    expect_exit 0 inspect "$cmd" --help
    expect_contains "$OUT" "JSON" "$cmd --help"
  done
  expect_exit 0 inspect list --help
  expect_contains "$OUT" "id, state, name, timestamp, processedOn, finishedOn"
}
TEST "usage errors exit 2, an unreachable Redis 69, --help lists fields" test_usage
