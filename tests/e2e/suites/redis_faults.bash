# shellcheck shell=bash
# shellcheck disable=SC2154,SC2034 # $tmp, $OUT, ... come from tests/e2e/lib.sh; REDIS_URL, ... go to it
# When Redis fails (the issue of that name): every tool reconnects with
# capped exponential backoff; jq-worker keeps its jobs' results across an
# outage and records them once Redis is back; jq-submit (--stdin too)
# reconnects, re-checks every pending job and adds again a job Redis lost;
# writes land exactly once (the _jq_ledger table); with a
# redis-sentinel:// URL the tools follow a failover; --replicas N waits for
# N replicas to acknowledge each add; an unreachable Redis is exit 69.
#
# Each test runs its own redis-server(s) (private ports, files in $TEST_DIR),
# so it can SIGKILL and restart them; the suite's Redis is left alone.
#
# Figures the lead quotes go to stderr as "redis_faults: ...": outage and
# time to the first reply after Redis is back, failover time.

now_ms() {
  date +%s%3N
}

lines_of() {
  if [[ -f $1 ]]; then
    wc -l <"$1"
  else
    echo 0
  fi
}

# ------------------------------------------------------------ private Redis

# Port -> pid of the redis-server (or sentinel) this suite started there.
declare -A rf_pid=()
killer_pid=
killer_port=
KILL_MS=
KILL_LINES=

# Wait at most SECS for something to answer PING on PORT.
wait_ping() {
  local port=$1 secs=${2:-10}
  wait_until "$secs" eval \
    "[[ \$(redis-cli -h 127.0.0.1 -p $port ping 2>/dev/null) == PONG ]]"
}

# Start redis-server on PORT with its files in DIR, then ARGS; wait for PING.
start_redis_on() {
  local port=$1 dir=$2
  shift 2
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" \
    --logfile "$dir/redis-$port.log" "$@" &
  rf_pid[$port]=$!
  _jq_pids+=("$!")
  if ! wait_ping "$port" 15; then
    fail "redis-server $* did not answer on port $port within 15 s" \
      "$(_jq_excerpt log "$(tail -n 20 "$dir/redis-$port.log" 2>/dev/null)")"
    return 1
  fi
}

# Start a sentinel on PORT from the config file CONF; wait for PING.
start_sentinel_on() {
  local port=$1 conf=$2
  redis-server "$conf" --sentinel &
  rf_pid[$port]=$!
  _jq_pids+=("$!")
  if ! wait_ping "$port" 15; then
    fail "sentinel $conf did not answer on port $port within 15 s"
    return 1
  fi
}

# Send SIG (KILL by default) to the server on PORT and reap it.
kill_redis_on() {
  local port=$1 sig=${2:-KILL} pid=${rf_pid[$1]:-}
  if [[ -n $pid ]]; then
    kill "-$sig" "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    unset "rf_pid[$port]"
  fi
}

# Run the test function "$@", then stop what it started on its own Redis
# (workers, background commands) before the Redis servers themselves.
with_private_redis() {
  "$@"
  local pid name port
  for pid in "${_jq_test_workers[@]}"; do
    if _jq_alive "$pid"; then
      _jq_signal_and_reap "$pid" TERM "$JQ_E2E_STOP_TIMEOUT"
    fi
  done
  for name in "${!_jq_bg_pid[@]}"; do
    pid=${_jq_bg_pid[$name]}
    if _jq_alive "$pid"; then
      _jq_signal_and_reap "$pid" TERM 5
    fi
  done
  _jq_bg_pid=()
  for port in "${!rf_pid[@]}"; do
    kill_redis_on "$port" TERM
  done
}

# The value of FIELD in `redis-cli -p PORT info replication`.
repl_field() {
  redis-cli -h 127.0.0.1 -p "$1" info replication 2>/dev/null \
    | tr -d '\r' | sed -n "s/^$2://p"
}

repl_is() {
  [[ $(repl_field "$1" "$2") == "$3" ]]
}

# ------------------------------------------------------------ inputs, replies

# Write N job lines to FILE: line K is {"db": "app", "sql": SQL,
# "params": [K]}.
make_input() {
  local file=$1 n=$2 sql=$3
  "$JQ_PYTHON" -S -c '
import json, sys
path, n, sql = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(path, "w") as f:
    for k in range(1, n + 1):
        f.write(json.dumps({"db": "app", "sql": sql, "params": [k]}) + "\n")
' "$file" "$n" "$sql"
}

# Check the reply lines in FILE for N input lines made by make_input: one
# line per input line, each "completed" with no error; with KIND select its
# rows are [[line]], with KIND insert its changes are 1. Prints what is wrong
# (at most 10 problems), nothing if all is right.
check_replies() {
  local file=$1 n=$2 kind=$3
  "$JQ_PYTHON" -S -c '
import json, sys
path, n, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
problems, lines, ids, count = [], [], set(), 0
def problem(text):
    if len(problems) < 10:
        problems.append(text)
with open(path) as f:
    for number, text in enumerate(f, 1):
        count += 1
        try:
            d = json.loads(text)
            line = d["line"]
        except (ValueError, KeyError, TypeError):
            problem(f"output line {number} is not a reply: {text[:200]!r}")
            continue
        lines.append(line)
        result = d.get("result") if isinstance(d.get("result"), dict) else {}
        if d.get("status") != "completed" or d.get("error") is not None:
            problem(f"line {line}: expected completed, got {text.strip()[:300]}")
        elif kind == "select" and result.get("rows") != [[line]]:
            problem(f"line {line}: expected rows [[{line}]], got {text.strip()[:300]}")
        elif kind == "insert" and result.get("changes") != 1:
            problem(f"line {line}: expected changes 1, got {text.strip()[:300]}")
        if isinstance(d.get("id"), str) and d["id"]:
            ids.add(d["id"])
        else:
            problem(f"line {line}: no job id")
if count != n:
    problem(f"{count} reply lines, expected {n}")
if sorted(lines) != list(range(1, n + 1)):
    seen = set(lines)
    missing = [k for k in range(1, n + 1) if k not in seen]
    problem(f"the line numbers are not 1..{n} once each: missing {missing[:10]} "
            f"({len(missing)} in all), {len(lines) - len(seen)} repeated")
if len(ids) != n:
    problem(f"{len(ids)} distinct job ids for {n} lines")
print("\n".join(problems))
' "$file" "$n" "$kind"
}

expect_replies() {
  local report
  report=$(check_replies "$@")
  if [[ -n $report ]]; then
    fail "the replies in $1 are wrong" "$(_jq_excerpt problems "$report")"
    return 1
  fi
  return 0
}

# How many of the input lines 1..N have no "completed" reply in FILE.
lost_jobs() {
  "$JQ_PYTHON" -S -c '
import json, sys
done = set()
for text in open(sys.argv[1]):
    try:
        d = json.loads(text)
    except ValueError:
        continue
    if isinstance(d, dict) and d.get("status") == "completed":
        done.add(d.get("line"))
print(sum(1 for k in range(1, int(sys.argv[2]) + 1) if k not in done))
' "$1" "$2"
}

# Wait until the reply file FILE has more than K lines; fail if the batch
# PID ended first or SECS went by.
wait_lines_over() {
  local file=$1 k=$2 pid=$3 secs=$4 t0
  t0=$(now_ms)
  while (($(lines_of "$file") <= k)); do
    if ! _jq_alive "$pid"; then
      fail "the batch ended with $(lines_of "$file") reply lines (waited for more than $k)" \
        "$(_jq_excerpt stderr "$(head -c 3000 "${file%.out}.err")")"
      return 1
    fi
    if (($(now_ms) - t0 > secs * 1000)); then
      fail "the batch stayed at $(lines_of "$file") reply lines for $secs s (waited for more than $k)" \
        "$(_jq_excerpt stderr "$(tail -c 3000 "${file%.out}.err")")"
      return 1
    fi
    sleep 0.02
  done
}

# SIGKILL the Redis on PORT as soon as the reply file FILE has K lines.
# A bash loop that forks wc is too slow for this on a busy machine (it saw
# 1,800 of 2,000 fast replies when it meant 300), so one python process
# watches the file and kills; start it before the batch. wait_killer sets
# KILL_MS (when, epoch ms) and KILL_LINES (replies then).
start_killer() {
  local file=$1 k=$2 port=$3
  "$JQ_PYTHON" -S -c '
import os, signal, sys, time
path, k, pid, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
deadline, offset, lines = time.time() + secs, 0, 0
while time.time() < deadline:
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            chunk = f.read()
    except FileNotFoundError:
        chunk = b""
    offset += len(chunk)
    lines += chunk.count(b"\n")
    if lines >= k:
        os.kill(pid, signal.SIGKILL)
        print(int(time.time() * 1000), lines)
        sys.exit(0)
    time.sleep(0.002)
print(f"only {lines} lines in {secs} s", file=sys.stderr)
sys.exit(1)
' "$file" "$k" "${rf_pid[$port]}" 60 >"$TEST_DIR/killer.out" 2>"$TEST_DIR/killer.err" &
  killer_pid=$!
  killer_port=$port
  _jq_pids+=("$killer_pid")
}

wait_killer() {
  local status
  # (stderr off: bash would report the redis-server job it finds killed)
  { wait "$killer_pid"; status=$?; kill_redis_on "$killer_port" KILL; } 2>/dev/null
  if ((status != 0)); then
    fail "Redis was not killed mid-batch: $(<"$TEST_DIR/killer.err")"
    return 1
  fi
  read -r KILL_MS KILL_LINES <"$TEST_DIR/killer.out"
}

# The rows of SQL on the SQLite file DB, read directly (not through jq).
sqlite_rows() {
  sqlite3 "$1" "$2"
}

# ------------------------------------------------------------ AOF restart

test_aof_restart() {
  local dir=$TEST_DIR/redis db=$TEST_DIR/app.sqlite input=$TEST_DIR/5k.jsonl
  sqlite3 "$db" 'pragma journal_mode=wal; create table t(n integer)' >/dev/null \
    || { fail "cannot create $db"; return; }
  make_input "$input" 5000 'insert into t(n) values (?)' || return
  local REDIS_PORT REDIS_URL
  REDIS_PORT=$(jq_free_port)
  REDIS_URL=redis://127.0.0.1:$REDIS_PORT
  local aof=(--save '' --appendonly yes --appendfsync always)
  start_redis_on "$REDIS_PORT" "$dir" "${aof[@]}" || return
  start_worker --db app="$db" -c 4 --lock-duration 5s --stalled-interval 2s \
    || return
  local worker=$WORKER_PID out=$TEST_DIR/batch.out
  local t0 t_down t_up t_first at_down at_up
  start_killer "$out" 1000 "$REDIS_PORT"
  t0=$(now_ms)
  run_bg_input batch "$input" submit --stdin -j 64 --timeout 120s
  local batch=$BG_PID
  wait_killer || return
  t_down=$KILL_MS at_down=$KILL_LINES
  if ((at_down >= 5000)); then
    fail "the batch was done before Redis went down: nothing to test"
    return
  fi
  sleep 1.5
  start_redis_on "$REDIS_PORT" "$dir" "${aof[@]}" || return
  t_up=$(now_ms)
  at_up=$(lines_of "$out")
  if ((at_up >= 5000)); then
    fail "all the replies were out before Redis was back: nothing to test"
    return
  fi
  wait_lines_over "$out" "$at_up" "$batch" 60
  t_first=$(now_ms)
  measured "AOF Redis SIGKILLed after $at_down of 5,000 write replies:" \
    "outage $((t_up - t_down)) ms, first reply $((t_first - t_up)) ms after it was back"
  wait_bg batch 150
  measured "AOF restart: the 5,000 writes done in $(($(now_ms) - t0)) ms, exit status $RC"
  expect_eq "$RC" 0 "exit status of jq-submit --stdin across the restart" \
    || fail "stderr: $(head -c 3000 "$ERR_FILE")"
  expect_file_lines "$OUT_FILE" 5000
  expect_replies "$OUT_FILE" 5000 insert
  expect_match "$ERR" "reconnect" "stderr of jq-submit across the restart"
  # Every write exactly once (no unique constraint: a second run would show).
  expect_eq "$(sqlite_rows "$db" 'select count(*), count(distinct n), min(n), max(n) from t')" \
    "5000|5000|1|5000" "count, distinct, min, max of t.n"
  expect_eq "$(sqlite_rows "$db" "select count(*) from sqlite_master where name = '_jq_ledger'")" \
    1 "the _jq_ledger table"
  # The worker reconnected and goes on.
  if ! kill -0 "$worker" 2>/dev/null || ! _jq_alive "$worker"; then
    fail "jq-worker exited during the Redis restart"
    return
  fi
  expect_exit 0 submit --db app --format value --timeout 20s \
    --sql 'insert into t(n) values (?) returning n' --param 5001
  expect_eq "$OUT" 5001 "a job after the restart"
  expect_eq "$(sqlite_rows "$db" 'select count(*), count(distinct n) from t')" \
    "5001|5001" "rows of t after one more job"
  expect_eq "$(rcli zcard bull:jq:completed)" 5001 "ZCARD completed"
  expect_eq "$(rcli zcard bull:jq:failed)" 0 "ZCARD failed"
  expect_eq "$(rcli llen bull:jq:active)" 0 "LLEN active"
  expect_eq "$(rcli llen bull:jq:wait)" 0 "LLEN wait"
  stop_worker "$worker"
  expect_eq "$WORKER_RC" 0 "jq-worker exit status after SIGTERM"
}
TEST "AOF Redis SIGKILLed mid-batch of 5,000 writes: all done once, worker goes on" \
  with_private_redis test_aof_restart

# ------------------------------------------------------------ restart, no persistence

test_volatile_restart() {
  local dir=$TEST_DIR/redis input=$TEST_DIR/2k.jsonl
  make_input "$input" 2000 'select ?' || return
  local REDIS_PORT REDIS_URL
  REDIS_PORT=$(jq_free_port)
  REDIS_URL=redis://127.0.0.1:$REDIS_PORT
  local volatile=(--save '' --appendonly no)
  start_redis_on "$REDIS_PORT" "$dir" "${volatile[@]}" || return
  start_worker --db app="$TEST_DIR/app.sqlite" -c 4 --lock-duration 5s \
    --stalled-interval 2s || return
  local worker=$WORKER_PID out=$TEST_DIR/batch.out
  local t0 t_down t_up t_first at_down at_up
  # A marker: gone after the restart if Redis really lost everything.
  rcli set rf:marker 1 >/dev/null
  start_killer "$out" 300 "$REDIS_PORT"
  t0=$(now_ms)
  run_bg_input batch "$input" submit --stdin -j 64 --timeout 90s
  local batch=$BG_PID
  wait_killer || return
  t_down=$KILL_MS at_down=$KILL_LINES
  if ((at_down >= 2000)); then
    fail "the batch was done before Redis went down: nothing to test"
    return
  fi
  sleep 1
  start_redis_on "$REDIS_PORT" "$dir" "${volatile[@]}" || return
  t_up=$(now_ms)
  at_up=$(lines_of "$out")
  if ((at_up >= 2000)); then
    fail "all the replies were out before Redis was back: nothing to test"
    return
  fi
  local marker_after
  marker_after=$(rcli exists rf:marker)
  wait_lines_over "$out" "$at_up" "$batch" 60
  t_first=$(now_ms)
  measured "Redis without persistence SIGKILLed after $at_down of 2,000 replies:" \
    "outage $((t_up - t_down)) ms, first reply $((t_first - t_up)) ms after it was back (empty)"
  wait_bg batch 120
  local re_added
  re_added=$(grep -c "lost with Redis" "$ERR_FILE")
  measured "restart without persistence: 2,000 done in $(($(now_ms) - t0)) ms," \
    "exit status $RC, jq-submit said it added $re_added job(s) again"
  expect_eq "$RC" 0 "exit status of jq-submit --stdin across the restart" \
    || fail "stderr: $(head -c 3000 "$ERR_FILE")"
  expect_file_lines "$OUT_FILE" 2000
  expect_replies "$OUT_FILE" 2000 select
  expect_eq "$(lost_jobs "$OUT_FILE" 2000)" 0 "jobs without a completed reply"
  expect_eq "$marker_after" 0 \
    "EXISTS rf:marker after a restart without persistence (must be lost)"
  # The jobs not answered when Redis came back (empty) ran on the new
  # Redis, those in flight then added again; only the -j 64 in flight at the
  # kill may have had their end reported by the old Redis yet been printed
  # after (seen: 8 jobs done 7 ms before the kill, printed after the
  # reconnect).
  local completed
  completed=$(rcli zcard bull:jq:completed)
  if ! [[ $completed =~ ^[0-9]+$ ]] || ((completed < 2000 - at_up - 64)); then
    fail "ZCARD completed on the restarted Redis is $completed; expected at least" \
      "$((2000 - at_up - 64)) (2,000 - $at_up answered before it was back - 64 in flight)"
  fi
  expect_eq "$(rcli llen bull:jq:active)" 0 "LLEN active"
  expect_eq "$(rcli llen bull:jq:wait)" 0 "LLEN wait"
  if ! _jq_alive "$worker"; then
    fail "jq-worker exited during the Redis restart"
    return
  fi
  expect_exit 0 submit --db app --format value --timeout 20s --sql 'select 99'
  expect_eq "$OUT" 99 "a job after the restart"
  stop_worker "$worker"
  expect_eq "$WORKER_RC" 0 "jq-worker exit status after SIGTERM"
}
TEST "Redis restarted without persistence mid-batch: lost jobs added again, all done" \
  with_private_redis test_volatile_restart

# ------------------------------------------------------------ writes once across a restart

# The count, distinct count, min and max of t.n after the last rf_write_run
# ("2000|2000|1|2000" when every insert landed once).
RF_ROWS=
# The longest a completed job waited past Redis's return (ms), and its id.
RF_LONGEST_MS=
RF_LONGEST_ID=
longest_wait_lua='local worst, worstId = 0, "" for _, id in ipairs(redis.call("ZRANGE", KEYS[1], 0, -1)) do local f = redis.call("HMGET", ARGV[1] .. id, "timestamp", "finishedOn") local ts, fin = tonumber(f[1]), tonumber(f[2]) if ts and fin then local wait = fin - math.max(ts, tonumber(ARGV[2])) if wait > worst then worst, worstId = wait, id end end end return {worst, worstId}'

# Create the SQLite file DB in WAL mode with an empty table t(n integer).
make_write_db() {
  "$JQ_PYTHON" -S -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("pragma journal_mode=wal")
c.execute("create table t(n integer)")
c.commit()
c.close()
' "$1"
}

# One run named LABEL: the RF_N (2,000) inserts of INPUT (make_input) through
# jq-submit --stdin -j 64 to a worker with the default lock and stalled
# settings (-c 4), on a fresh Redis started on PORT with ARGS and a fresh
# database; the Redis is SIGKILLed after about RF_KILL_AT (500) replies and
# restarted RF_GAP (1) s later on the same port, with the same dir and ARGS. Checks that every job
# completed and every insert landed once, then that the worker is alive and
# exits 0 on SIGTERM; the Redis is stopped at the end. Sets RF_ROWS (empty if
# the batch did not run to its end) and RF_COMPLETED (the jobs the worker
# completed, the ones run twice included). Returns 1 when the run could not go on
# (a failure of its own checks is reported, not returned).
rf_write_run() {
  local label=$1 input=$2 port=$3
  shift 3
  local n=${RF_N:-2000} kill_at=${RF_KILL_AT:-500} gap=${RF_GAP:-1}
  local dir=$TEST_DIR/$label/redis db=$TEST_DIR/$label/app.sqlite
  RF_ROWS= RF_LONGEST_MS=0 RF_LONGEST_ID=
  mkdir -p "$TEST_DIR/$label"
  make_write_db "$db" || { fail "cannot create $db"; return 1; }
  local REDIS_PORT=$port REDIS_URL=redis://127.0.0.1:$port
  start_redis_on "$REDIS_PORT" "$dir" "$@" || return 1
  start_worker --db app="$db" -c 4 || return 1
  local worker=$WORKER_PID log=$WORKER_LOG out=$TEST_DIR/batch-$label.out
  local t0 t_down t_up at_down at_up
  start_killer "$out" "$kill_at" "$REDIS_PORT"
  t0=$(now_ms)
  run_bg_input "batch-$label" "$input" submit --stdin -j 64 --timeout 90s
  wait_killer || return 1
  t_down=$KILL_MS at_down=$KILL_LINES
  if ((at_down >= n)); then
    fail "$label: the batch was done before Redis went down: nothing to test"
    return 1
  fi
  sleep "$gap"
  start_redis_on "$REDIS_PORT" "$dir" "$@" || return 1
  t_up=$(now_ms)
  at_up=$(lines_of "$out")
  if ((at_up >= n)); then
    fail "$label: all the replies were out before Redis was back: nothing to test"
    return 1
  fi
  wait_bg "batch-$label" 120
  local elapsed=$(($(now_ms) - t0)) re_added rows args
  args=$(printf '%q ' "$@")
  re_added=$(grep -c "lost with Redis" "$ERR_FILE")
  RF_ROWS=$(sqlite_rows "$db" 'select count(*), count(distinct n), min(n), max(n) from t')
  rows=${RF_ROWS%%|*}
  measured "$label: Redis (${args% }) SIGKILLed after $at_down of $n write replies," \
    "back $((t_up - t_down)) ms later with $at_up out; rows $rows" \
    "(count|distinct|min|max $RF_ROWS), jq-submit exit status $RC in $elapsed ms," \
    "added $re_added job(s) again"
  expect_eq "$RC" 0 "$label: exit status of jq-submit --stdin across the restart" \
    || fail "stderr: $(head -c 3000 "$ERR_FILE")"
  expect_file_lines "$OUT_FILE" "$n"
  expect_replies "$OUT_FILE" "$n" insert
  # Every write exactly once (no unique constraint: a second run would show).
  expect_eq "$RF_ROWS" "$n|$n|1|$n" \
    "$label: count, distinct, min, max of t.n after $n inserts"
  # How long past Redis's return a job waited at most (from its creation,
  # if later): a job nobody knew of waits for the stalled check.
  local longest
  mapfile -t longest < <(rcli eval "$longest_wait_lua" 1 bull:jq:completed \
    bull:jq: "$t_up")
  RF_LONGEST_MS=${longest[0]:-0}
  RF_LONGEST_ID=${longest[1]:-}
  measured "$label: longest wait past Redis's return: $RF_LONGEST_MS ms" \
    "(job $RF_LONGEST_ID)"
  if ! _jq_alive "$worker"; then
    fail "$label: jq-worker exited during the Redis restart"
    return 1
  fi
  stop_worker "$worker" || return 1
  expect_eq "$WORKER_RC" 0 "$label: jq-worker exit status after SIGTERM"
  # Jobs it ran more than once: those it had in hand at the kill, run again
  # when jq-submit added them again (their writes answered by the ledger).
  measured "$label: jq-worker $(grep -o 'stopped: [0-9]* completed' "$log")"
  RF_COMPLETED=$(grep -o 'stopped: [0-9]* completed' "$log" | grep -o '[0-9]*')
  kill_redis_on "$REDIS_PORT" TERM
}

test_volatile_writes_once() {
  local input=$TEST_DIR/2k-insert.jsonl port k status runs=() twice=0
  make_input "$input" 2000 'insert into t values (?)' || return
  # One port for the five runs (each with its own Redis and files).
  port=$(jq_free_port)
  for k in 1 2 3 4 5; do
    rf_write_run "run-$k" "$input" "$port" --save '' --appendonly no
    status=$?
    RF_ROWS=${RF_ROWS:-none}
    runs+=("${RF_ROWS%%|*}")
    twice=$((twice + ${RF_COMPLETED:-2000} - 2000))
    if ((status != 0)); then
      break
    fi
  done
  measured "restart without persistence: rows per run of 2,000 inserts: ${runs[*]};" \
    "$twice job(s) run twice, answered by the ledger"
  # Else the ledger was never put to the test.
  if ((twice <= 0)); then
    fail "no job ran twice in the five runs: nothing was redelivered"
  fi
}
TEST "Redis restarted without persistence mid-batch of 2,000 inserts: exactly 2,000 rows, 5 runs in a row" \
  with_private_redis test_volatile_writes_once

# With every write on disk before its reply (appendfsync always), a Redis
# SIGKILL loses only replies. A lost reply to the worker's finish-and-take
# call leaves the next job taken and locked for a slot that never heard of
# it; the slot must find it when it reconnects, not leave it to the stalled
# check (30 s and more with the defaults, used here).
test_aof_always_no_orphan() {
  local input=$TEST_DIR/3k-insert.jsonl port k status runs=() waits=()
  make_input "$input" 3000 'insert into t values (?)' || return
  port=$(jq_free_port)
  local RF_N=3000 RF_GAP=2
  for k in 1 2 3 4 5; do
    rf_write_run "run-$k" "$input" "$port" --save '' --appendonly yes \
      --appendfsync always
    status=$?
    RF_ROWS=${RF_ROWS:-none}
    runs+=("${RF_ROWS%%|*}")
    waits+=("$RF_LONGEST_MS")
    if ((status != 0)); then
      break
    fi
    if ((RF_LONGEST_MS > 10000)); then
      fail "run-$k: job $RF_LONGEST_ID waited $RF_LONGEST_MS ms past" \
        "Redis's return"
    fi
  done
  measured "appendfsync always: rows per run of 3,000 inserts: ${runs[*]};" \
    "longest wait past Redis's return per run (ms): ${waits[*]}"
}
TEST "AOF (always) Redis SIGKILLed mid-batch of 3,000 inserts, defaults: no orphaned job, 3,000 rows, 5 runs" \
  with_private_redis test_aof_always_no_orphan

# A crash of the host under --appendfsync everysec. A SIGKILL of Redis loses
# nothing (the kernel still has its AOF pages); what everysec risks is the
# last second or so of writes when the host goes down. Simulated: copy the
# AOF directory mid-batch, let the batch go on, SIGKILL Redis, put the copy
# back and restart, so Redis comes back with the state of about 1 s before
# the kill: jobs completed since are back in wait or active, jobs added
# since are gone (jq-submit adds them again). Any job the worker runs twice
# must not write twice.

# The copy, at once, by one python process that watches the reply file FILE
# (a bash loop would react too late, see start_killer): when FILE has K
# lines, `cp -a` the AOF directory AOFDIR to COPY; then let the batch go on
# SECS seconds (or until FILE has CAP lines, so the batch is never over
# before the kill); then SIGKILL the Redis on PORT. Start it before the
# batch; wait_crasher sets COPY_MS, COPY_LINES, KILL_MS, KILL_LINES (epoch
# ms, reply lines then) and KILL_COMPLETED (ZCARD completed just before the
# kill).
COPY_MS=
COPY_LINES=
KILL_COMPLETED=
start_crasher() {
  local file=$1 k=$2 port=$3 aofdir=$4 copy=$5 secs=$6 cap=$7
  "$JQ_PYTHON" -S -c '
import os, signal, socket, subprocess, sys, time
path, k, pid, aofdir, copy, secs, cap, port = sys.argv[1:9]
k, pid, secs, cap = int(k), int(pid), float(secs), int(cap)
offset, lines = 0, 0
# Its own connection, opened now: a redis-cli started at the kill would
# take long enough on a busy machine for the batch to end meanwhile.
redis = socket.create_connection(("127.0.0.1", int(port)))
def count():
    global offset, lines
    try:
        with open(path, "rb") as f:
            f.seek(offset)
            chunk = f.read()
    except FileNotFoundError:
        chunk = b""
    offset += len(chunk)
    lines += chunk.count(b"\n")
    return lines
deadline = time.time() + 60
while count() < k:
    if time.time() > deadline:
        print(f"only {lines} lines in 60 s", file=sys.stderr)
        sys.exit(1)
    time.sleep(0.002)
copy_ms, copy_lines = int(time.time() * 1000), lines
subprocess.run(["cp", "-a", aofdir, copy], check=True)
while time.time() * 1000 < copy_ms + secs * 1000 and count() < cap:
    time.sleep(0.002)
redis.sendall(b"ZCARD bull:jq:completed\r\n")  # an inline command
reply = redis.recv(100)
completed = reply[1:].strip().decode() if reply.startswith(b":") else "?"
os.kill(pid, signal.SIGKILL)
print(copy_ms, copy_lines, int(time.time() * 1000), count(), completed)
' "$file" "$k" "${rf_pid[$port]}" "$aofdir" "$copy" "$secs" "$cap" "$port" \
    >"$TEST_DIR/crasher.out" 2>"$TEST_DIR/crasher.err" &
  killer_pid=$!
  killer_port=$port
  _jq_pids+=("$killer_pid")
}

wait_crasher() {
  local status
  # (stderr off: bash would report the redis-server job it finds killed)
  { wait "$killer_pid"; status=$?; kill_redis_on "$killer_port" KILL; } 2>/dev/null
  if ((status != 0)); then
    fail "the AOF was not copied and Redis not killed mid-batch: $(<"$TEST_DIR/crasher.err")"
    return 1
  fi
  read -r COPY_MS COPY_LINES KILL_MS KILL_LINES KILL_COMPLETED <"$TEST_DIR/crasher.out"
}

# Are Bull's wait and active lists empty on $REDIS_PORT?
queue_drained() {
  [[ $(rcli llen bull:jq:wait) == 0 && $(rcli llen bull:jq:active) == 0 ]]
}

test_aof_everysec_writes_once() {
  local input=$TEST_DIR/2k-insert.jsonl db=$TEST_DIR/app.sqlite
  local dir=$TEST_DIR/redis
  local aofdir=$dir/appendonlydir copy=$TEST_DIR/appendonlydir.at-copy
  make_input "$input" 2000 'insert into t values (?)' || return
  make_write_db "$db" || { fail "cannot create $db"; return; }
  local REDIS_PORT REDIS_URL
  REDIS_PORT=$(jq_free_port)
  REDIS_URL=redis://127.0.0.1:$REDIS_PORT
  # No automatic AOF rewrite: it would swap the base file and the manifest
  # while cp -a runs. The AOF of this batch (a few MB) stays far below the
  # 64 MB that would start one anyway.
  local aof=(--save '' --appendonly yes --appendfsync everysec
    --auto-aof-rewrite-percentage 0)
  start_redis_on "$REDIS_PORT" "$dir" "${aof[@]}" || return
  # The default lock (30 s) and stalled check (30 s): the jobs the copy has
  # in active come back only through that check.
  start_worker --db app="$db" -c 4 || return
  local worker=$WORKER_PID log=$WORKER_LOG out=$TEST_DIR/batch.out
  local redis_log=$dir/redis-$REDIS_PORT.log
  local t0 t_up t_done t_drained
  # The copy is taken live, as the disk would hold it: cp -a sees complete
  # base and manifest files (no rewrite runs) and an incr file that may end
  # in the middle of a command, as a crash leaves it. Redis loads such a
  # copy as is: aof-load-truncated (yes by default) drops an incomplete
  # last command of the last incr file, as it would after a real crash.
  # Neither redis-check-aof --fix (which asks before truncating, and does
  # what Redis does anyway) nor a BGREWRITEAOF first (a rewrite running
  # during the copy is what could make it inconsistent) would add to that;
  # the restart below fails the test if Redis does not load the copy.
  # The copy at 500 replies (25 %), the kill 1 s later or at 1,900 replies
  # if that comes first: a fast run does all 2,000 in about 1 s.
  start_crasher "$out" 500 "$REDIS_PORT" "$aofdir" "$copy" 1 1900
  t0=$(now_ms)
  run_bg_input batch "$input" submit --stdin -j 64 --timeout 180s
  wait_crasher || return
  if ((KILL_LINES >= 2000 || KILL_LINES <= COPY_LINES)); then
    fail "replies: $COPY_LINES at the copy, $KILL_LINES at the kill:" \
      "nothing to test (expected more at the kill, and fewer than 2,000)"
    return
  fi
  if [[ ! -f $copy/appendonly.aof.manifest ]]; then
    fail "no AOF manifest in the copy $copy" \
      "$(_jq_excerpt files "$(ls -l "$copy" 2>&1)")"
    return
  fi
  # The host "reboots": the disk holds the copy, not what the kill left.
  local log_lines
  log_lines=$(lines_of "$redis_log")
  if ! mv "$aofdir" "$dir/appendonlydir.at-kill" || ! cp -a "$copy" "$aofdir"; then
    fail "cannot put the copy of the AOF back in $aofdir"
    return
  fi
  start_redis_on "$REDIS_PORT" "$dir" "${aof[@]}" || return
  t_up=$(now_ms)
  local restored_completed restored_wait restored_active load_log torn=no
  restored_completed=$(rcli zcard bull:jq:completed)
  restored_wait=$(rcli llen bull:jq:wait)
  restored_active=$(rcli llen bull:jq:active)
  load_log=$(tail -n "+$((log_lines + 1))" "$redis_log")
  if [[ $load_log == *aof-load-truncated* || $load_log == *"short read"* \
    || $load_log == *"incomplete MULTI"* ]]; then
    torn=yes
  fi
  if [[ $load_log != *"DB loaded from"* ]]; then
    fail "the restarted Redis did not say it loaded the copied AOF" \
      "$(_jq_excerpt "redis log" "$load_log")"
  fi
  # The restarted Redis must have lost completions: else nothing to test.
  if ! [[ $restored_completed =~ ^[0-9]+$ && $KILL_COMPLETED =~ ^[0-9]+$ ]] \
    || ((restored_completed >= KILL_COMPLETED)); then
    fail "ZCARD completed: $KILL_COMPLETED at the kill, $restored_completed" \
      "after the restart from the copy: Redis lost nothing, nothing to test"
  fi
  measured "AOF everysec, host crash: AOF copied at $COPY_LINES of 2,000 write" \
    "replies, Redis SIGKILLed $((KILL_MS - COPY_MS)) ms later at $KILL_LINES" \
    "($((KILL_LINES - COPY_LINES)) replies out since the copy); restarted from" \
    "the copy $((t_up - KILL_MS)) ms after the kill (torn AOF tail: $torn)," \
    "right after it $restored_completed completed (had $KILL_COMPLETED at the" \
    "kill), $restored_wait in wait, $restored_active in active"
  wait_bg batch 200
  t_done=$(now_ms)
  local re_added rows_at_exit
  re_added=$(grep -c "lost with Redis" "$ERR_FILE")
  rows_at_exit=$(sqlite_rows "$db" 'select count(*) from t')
  expect_eq "$RC" 0 "exit status of jq-submit --stdin across the crash" \
    || fail "stderr: $(head -c 3000 "$ERR_FILE")"
  expect_file_lines "$OUT_FILE" 2000
  expect_replies "$OUT_FILE" 2000 insert
  if ! _jq_alive "$worker"; then
    fail "jq-worker exited during the crash of Redis"
    return
  fi
  stop_worker "$worker" || return
  expect_eq "$WORKER_RC" 0 "jq-worker exit status after SIGTERM"
  local worker_done
  worker_done=$(grep -o 'stopped: [0-9]* completed' "$log")
  # The jobs jq-submit had its reply for before the kill but that the copy
  # holds in wait or active run again after it exits: count the rows once
  # the queue is empty. Those in active come back only through the stalled
  # check: two checks that run, the second after their lock (30 s) lapsed.
  # With the default 30 s that took 118 s after the restart: the worker
  # checks every 30 s, but a check is skipped while the stalled-check key
  # (30 s too, set just after the worker read its clock) lives, so every
  # other check is skipped. A second worker checking every second runs them
  # about 30 s after the restart instead.
  start_worker --db app="$db" -c 4 --stalled-interval 1s || return
  local drainer=$WORKER_PID drainer_log=$WORKER_LOG
  if ! wait_until 90 queue_drained; then
    fail "wait and active not empty 90 s after the batch:" \
      "$(rcli llen bull:jq:wait) in wait, $(rcli llen bull:jq:active) in active"
  fi
  t_drained=$(now_ms)
  local rows
  rows=$(sqlite_rows "$db" 'select count(*), count(distinct n), min(n), max(n) from t')
  stop_worker "$drainer"
  expect_eq "$WORKER_RC" 0 "second jq-worker exit status after SIGTERM"
  measured "AOF everysec, host crash: jq-submit exit status $RC after" \
    "$((t_done - t0)) ms, added $re_added job(s) again; jq-worker $worker_done;" \
    "queue empty $((t_drained - t_up)) ms after the restart (second jq-worker" \
    "$(grep -o 'stopped: [0-9]* completed' "$drainer_log")); rows" \
    "$rows_at_exit at jq-submit's exit, ${rows%%|*} at the end" \
    "(count|distinct|min|max $rows)"
  # Every write exactly once (no unique constraint: a second run would show).
  expect_eq "$rows" "2000|2000|1|2000" \
    "count, distinct, min, max of t.n after 2,000 inserts across the crash"
  expect_eq "$(rcli zcard bull:jq:failed)" 0 "ZCARD failed"
}
TEST "AOF (everysec) Redis back with the AOF of 1 s before a crash, mid-batch of 2,000 inserts: exactly 2,000 rows" \
  with_private_redis test_aof_everysec_writes_once

# ------------------------------------------------------------ Sentinel

# The field FIELD of `SENTINEL MASTER mymaster` on the sentinel at PORT.
sentinel_field() {
  redis-cli -h 127.0.0.1 -p "$1" sentinel master mymaster 2>/dev/null \
    | tr -d '\r' | awk -v f="$2" 'prev == f { print; exit } { prev = $0 }'
}

# The port of the primary the sentinel at PORT names.
sentinel_primary_port() {
  redis-cli -h 127.0.0.1 -p "$1" sentinel get-master-addr-by-name mymaster \
    2>/dev/null | tr -d '\r' | sed -n 2p
}

# Do the three sentinels know each other, the primary and its replica?
sentinels_ready() {
  local s
  for s in "$@"; do
    [[ $(sentinel_field "$s" num-other-sentinels) == 2 ]] || return 1
    [[ $(sentinel_field "$s" num-slaves) == 1 ]] || return 1
    [[ $(sentinel_field "$s" flags) == master ]] || return 1
  done
}

primary_is() {
  [[ $(sentinel_primary_port "$1") == "$2" ]]
}

test_sentinel_failover() {
  local db=$TEST_DIR/app.sqlite input=$TEST_DIR/2k.jsonl
  make_input "$input" 2000 'select ?' || return
  local ports=() port p_old p_new s1 s2 s3 s
  while ((${#ports[@]} < 5)); do
    port=$(jq_free_port)
    if [[ " ${ports[*]} " != *" $port "* ]]; then
      ports+=("$port")
    fi
  done
  p_old=${ports[0]} p_new=${ports[1]} s1=${ports[2]} s2=${ports[3]} s3=${ports[4]}
  local common=(--save '' --appendonly no --repl-diskless-sync-delay 0)
  start_redis_on "$p_old" "$TEST_DIR/primary" "${common[@]}" || return
  start_redis_on "$p_new" "$TEST_DIR/replica" "${common[@]}" \
    --replicaof 127.0.0.1 "$p_old" || return
  if ! wait_until 15 repl_is "$p_new" master_link_status up; then
    fail "the replica on $p_new did not sync with $p_old within 15 s"
    return
  fi
  for s in "$s1" "$s2" "$s3"; do
    mkdir -p "$TEST_DIR/sentinel-$s"
    cat >"$TEST_DIR/sentinel-$s.conf" <<EOF
port $s
bind 127.0.0.1
dir $TEST_DIR/sentinel-$s
logfile $TEST_DIR/sentinel-$s/sentinel.log
sentinel monitor mymaster 127.0.0.1 $p_old 2
sentinel down-after-milliseconds mymaster 1000
sentinel failover-timeout mymaster 5000
EOF
    start_sentinel_on "$s" "$TEST_DIR/sentinel-$s.conf" || return
  done
  local t_setup
  t_setup=$(now_ms)
  if ! wait_until 30 sentinels_ready "$s1" "$s2" "$s3"; then
    fail "the sentinels did not see each other and the replica within 30 s" \
      "$(_jq_excerpt "sentinel $s1" "$(redis-cli -p "$s1" sentinel master mymaster 2>&1 | paste -sd' ')")"
    return
  fi
  measured "sentinels ready $(($(now_ms) - t_setup)) ms after they started"

  local REDIS_PORT=$p_old
  local REDIS_URL="redis-sentinel://127.0.0.1:$s1,127.0.0.1:$s2,127.0.0.1:$s3/mymaster"
  start_worker --db app="$db" -c 4 --lock-duration 5s --stalled-interval 2s \
    || return
  local worker=$WORKER_PID out=$TEST_DIR/batch.out
  if [[ $(redis-cli -p "$p_old" client list | grep -c 'name=bull:anE= ') == 0 ]]; then
    fail "the worker is not connected to the primary on $p_old" \
      "$(_jq_excerpt "client list" "$(redis-cli -p "$p_old" client list)")"
  fi
  local t0 t_kill t_promoted t_first at_kill at_promoted
  start_killer "$out" 300 "$p_old"
  t0=$(now_ms)
  run_bg_input batch "$input" submit --stdin -j 64 --timeout 90s
  local batch=$BG_PID
  wait_killer || return
  t_kill=$KILL_MS at_kill=$KILL_LINES
  if ((at_kill >= 2000)); then
    fail "the batch was done before the primary went down: nothing to test"
    return
  fi
  if ! wait_until 30 primary_is "$s1" "$p_new"; then
    fail "the sentinels did not promote the replica on $p_new within 30 s" \
      "$(_jq_excerpt "sentinel log" "$(tail -n 20 "$TEST_DIR/sentinel-$s1/sentinel.log")")"
    return
  fi
  t_promoted=$(now_ms)
  at_promoted=$(lines_of "$out")
  if ((at_promoted >= 2000)); then
    fail "all the replies were out before the promotion: nothing to test"
    return
  fi
  wait_lines_over "$out" "$at_promoted" "$batch" 60
  t_first=$(now_ms)
  measured "Sentinel failover: primary SIGKILLed after $at_kill of 2,000 replies," \
    "replica promoted $((t_promoted - t_kill)) ms after, first reply" \
    "$((t_first - t_kill)) ms after the kill ($((t_first - t_promoted)) ms after the promotion)"
  wait_bg batch 120
  local lost re_added
  lost=$(lost_jobs "$OUT_FILE" 2000)
  re_added=$(grep -c "lost with Redis" "$ERR_FILE")
  measured "Sentinel failover: 2,000 done in $(($(now_ms) - t0)) ms, exit status $RC," \
    "jobs lost $lost, jq-submit said it added $re_added job(s) again"
  expect_eq "$RC" 0 "exit status of jq-submit --stdin across the failover" \
    || fail "stderr: $(head -c 3000 "$ERR_FILE")"
  expect_file_lines "$OUT_FILE" 2000
  expect_replies "$OUT_FILE" 2000 select
  expect_eq "$lost" 0 "jobs lost in the failover"
  # The worker followed the failover.
  REDIS_PORT=$p_new
  expect_eq "$(rcli role | head -n 1)" master "ROLE of the promoted replica"
  if ! _jq_alive "$worker"; then
    fail "jq-worker exited during the failover"
    return
  fi
  expect_exit 0 submit --db app --format value --timeout 20s --sql 'select 99'
  expect_eq "$OUT" 99 "a job after the failover"
  if [[ $(rcli client list | grep -c 'name=bull:anE= ') == 0 ]]; then
    fail "the worker is not connected to the new primary on $p_new" \
      "$(_jq_excerpt "client list" "$(rcli client list)")"
  fi
  expect_eq "$(rcli llen bull:jq:active)" 0 "LLEN active on the new primary"
  expect_eq "$(rcli llen bull:jq:wait)" 0 "LLEN wait on the new primary"

  # The old primary comes back as a replica of the new one: --replicas 1.
  start_redis_on "$p_old" "$TEST_DIR/primary" "${common[@]}" || return
  redis-cli -h 127.0.0.1 -p "$p_old" replicaof 127.0.0.1 "$p_new" >/dev/null
  if ! wait_until 20 repl_is "$p_old" master_link_status up \
    || ! wait_until 10 repl_is "$p_new" connected_slaves 1; then
    fail "the old primary did not sync as a replica of $p_new within 30 s" \
      "$(_jq_excerpt "info replication" "$(redis-cli -p "$p_old" info replication)")"
    return
  fi
  local input2=$TEST_DIR/300.jsonl
  make_input "$input2" 300 'select ?' || return
  run_input "$input2" submit --stdin -j 64 --timeout 60s --replicas 1
  measured "--replicas 1: 300 jobs in $ELAPSED_MS ms, exit status $RC"
  expect_eq "$RC" 0 "exit status of --stdin --replicas 1 (one replica)" \
    || fail "stderr: $(head -c 3000 "$ERR_FILE")"
  expect_file_lines "$OUT_FILE" 300
  expect_replies "$OUT_FILE" 300 select
  expect_exit 0 submit --db app --format value --timeout 20s --replicas 1 \
    --sql 'select 7'
  expect_eq "$OUT" 7 "a job with --replicas 1"

  # Two replicas asked for, one there: treated like a lost connection,
  # retried until the deadline, then exit 69 saying so.
  run submit --db app --format json --timeout 10s --replicas 2 --sql 'select 8'
  measured "--replicas 2 with one replica: exit status $RC after $ELAPSED_MS ms"
  expect_eq "$RC" 69 "exit status of --replicas 2 with one replica" \
    || fail "stdout: $OUT" "stderr: $(head -c 3000 "$ERR_FILE")"
  expect_match "$ERR" "replica" "stderr of --replicas 2 with one replica"
  expect_lt "$ELAPSED_MS" 20000 "ms until --replicas 2 --timeout 10s with one replica gives up"
  expect_eq "$OUT" "" "stdout of --replicas 2 with one replica"

  stop_worker "$worker"
  expect_eq "$WORKER_RC" 0 "jq-worker exit status after SIGTERM"
}
TEST "Sentinel: primary SIGKILLed mid-batch, failover followed; --replicas 1 and 2" \
  with_private_redis test_sentinel_failover

# ------------------------------------------------------------ unreachable

test_unreachable() {
  local REDIS_PORT REDIS_URL
  REDIS_PORT=$(jq_free_port)
  REDIS_URL=redis://127.0.0.1:$REDIS_PORT
  local JQ_E2E_CMD_TIMEOUT=40

  run worker --db app="$TEST_DIR/app.sqlite"
  expect_eq "$RC" 69 "exit status of jq-worker with Redis unreachable" \
    || fail "stderr: $ERR"
  expect_match "$ERR" "^jq-worker: error: .*127\.0\.0\.1:$REDIS_PORT" "stderr of jq-worker"
  expect_lt "$ELAPSED_MS" 30000 "ms until jq-worker gives up"

  run submit --db app --sql 'select 1' --timeout 5s
  expect_eq "$RC" 69 "exit status of jq-submit with Redis unreachable" \
    || fail "stderr: $ERR"
  expect_match "$ERR" "^jq-submit: error: .*127\.0\.0\.1:$REDIS_PORT" "stderr of jq-submit"
  expect_eq "$OUT" "" "stdout of jq-submit"
  expect_lt "$ELAPSED_MS" 10000 "ms until jq-submit gives up (--timeout 5s)"

  local input=$TEST_DIR/3.jsonl
  make_input "$input" 3 'select ?' || return
  run_input "$input" submit --stdin --timeout 5s
  expect_eq "$RC" 69 "exit status of jq-submit --stdin with Redis unreachable" \
    || fail "stderr: $ERR"
  expect_match "$ERR" "^jq-submit: error: .*127\.0\.0\.1:$REDIS_PORT" "stderr of jq-submit --stdin"
  expect_lt "$ELAPSED_MS" 10000 "ms until jq-submit --stdin gives up (--timeout 5s)"

  # No sentinel answers.
  local s1 s2
  s1=$(jq_free_port)
  s2=$(jq_free_port)
  REDIS_URL="redis-sentinel://127.0.0.1:$s1,127.0.0.1:$s2/mymaster"
  run submit --db app --sql 'select 1' --timeout 5s
  expect_eq "$RC" 69 "exit status of jq-submit with no sentinel answering" \
    || fail "stderr: $ERR"
  expect_match "$ERR" "^jq-submit: error: .*sentinel" "stderr of jq-submit (sentinels)"
  run worker --db app="$TEST_DIR/app.sqlite"
  expect_eq "$RC" 69 "exit status of jq-worker with no sentinel answering" \
    || fail "stderr: $ERR"
  expect_match "$ERR" "^jq-worker: error: .*sentinel" "stderr of jq-worker (sentinels)"

  # Redis comes up 1 s after jq-submit --timeout 3s started. Today jq-submit
  # gives up at its first connect (69, saying why); if it waits for Redis
  # instead, it must get the reply (0).
  REDIS_URL=redis://127.0.0.1:$REDIS_PORT
  run_bg late submit --db app --format value --sql 'select 42' --timeout 3s
  sleep 1
  start_redis_on "$REDIS_PORT" "$TEST_DIR/redis" --save '' --appendonly no || return
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  wait_bg late 15
  measured "jq-submit --timeout 3s started 1 s before Redis: exit status $RC"
  case $RC in
    69) expect_match "$ERR" "^jq-submit: error: .*127\.0\.0\.1:$REDIS_PORT" \
      "stderr of jq-submit started before Redis" ;;
    0) expect_eq "$OUT" 42 "reply of jq-submit started before Redis" ;;
    *) fail "jq-submit --timeout 3s started 1 s before Redis: exit status $RC," \
      "expected 69 (gave up at the first connect) or 0 (waited for Redis)" \
      "$(_jq_excerpt stdout "$OUT")" "$(_jq_excerpt stderr "$ERR")" ;;
  esac
}
TEST "Redis unreachable from the start: jq-worker and jq-submit exit 69" \
  with_private_redis test_unreachable

# A Redis that takes connections but never answers (frozen with SIGSTOP):
# jq-submit waits at most its 5 s connect timeout (not the 30 s one of
# commands) for the PONG of its first connection, and sends nothing else
# before it: it adds nothing, not even once Redis thaws and reads what was
# sent (the add script is loaded, so an add sent early would run).
test_frozen_redis() {
  local REDIS_PORT REDIS_URL
  REDIS_PORT=$(jq_free_port)
  REDIS_URL=redis://127.0.0.1:$REDIS_PORT
  local JQ_E2E_CMD_TIMEOUT=40
  local input=$TEST_DIR/3.jsonl
  make_input "$input" 3 'select ?' || return
  start_redis_on "$REDIS_PORT" "$TEST_DIR/redis" --save '' --appendonly no || return
  expect_exit 0 submit --db app --sql 'select 0' --no-wait
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" flushall >/dev/null
  # No return until SIGCONT: the cleanup's SIGTERM would wait on it forever.
  kill -STOP "${rf_pid[$REDIS_PORT]}" || return

  run submit --db app --sql 'select 1' --timeout 60s
  expect_eq "$RC" 69 "exit status of jq-submit with Redis frozen" \
    || fail "stderr: $ERR"
  expect_match "$ERR" "^jq-submit: error: .*127\.0\.0\.1:$REDIS_PORT" "stderr of jq-submit"
  expect_lt "$ELAPSED_MS" 15000 "ms until jq-submit gives up on a frozen Redis"

  run_input "$input" submit --stdin --timeout 60s
  expect_eq "$RC" 69 "exit status of jq-submit --stdin with Redis frozen" \
    || fail "stderr: $ERR"
  expect_lt "$ELAPSED_MS" 15000 "ms until jq-submit --stdin gives up on a frozen Redis"

  kill -CONT "${rf_pid[$REDIS_PORT]}"
  wait_ping "$REDIS_PORT" 10 || return
  expect_eq "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" dbsize)" 0 \
    "keys in Redis after it thawed"
}
TEST "Redis frozen (SIGSTOP) from the start: jq-submit exits 69 within its connect timeout, adds nothing" \
  with_private_redis test_frozen_redis
