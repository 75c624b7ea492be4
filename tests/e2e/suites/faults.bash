# shellcheck shell=bash
# shellcheck disable=SC2154 # $tmp, $OUT, ... come from tests/e2e/lib.sh
# The fault test: a worker is SIGKILLed in the middle of 2,000 write jobs.
# Its jobs come back through the stalled check of a second worker; every
# caller gets its reply, and every write lands exactly once (the table has no
# unique constraint, so a double write would show).

now_ms() {
  date +%s%3N
}

# Print the result rows of SQL on the SQLite file DB, one line per row,
# cells joined by |. Read directly, not through jq.
sqlite_rows() {
  "$JQ_PYTHON" -S -c '
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
for row in con.execute(sys.argv[2]):
    print("|".join(str(c) for c in row))
' "$1" "$2"
}

callers=20
jobs_per_caller=100
kill_after=300

# Caller K: $jobs_per_caller sequential waiting submits of
# `insert into t(n) values (N)`, N = (K-1)*jobs_per_caller + 1 ...; each
# envelope line goes to stdout. Exit 1 if any submit did not exit 0.
caller() {
  local k=$1 i n status bad=0
  for ((i = 1; i <= jobs_per_caller; i++)); do
    n=$(((k - 1) * jobs_per_caller + i))
    submit --db app --format json --timeout 120s \
      --sql 'insert into t(n) values (?)' --param "$n"
    status=$?
    if ((status != 0)); then
      echo "caller $k: job n=$n: exit status $status" >&2
      bad=1
    fi
  done
  return "$bad"
}

completed_at_least() {
  (($(rcli zcard bull:jq:completed) >= $1))
}

# Are all the job ids given in the completed set?
all_completed() {
  local id
  for id in "$@"; do
    [[ -n $(rcli zscore bull:jq:completed "$id") ]] || return 1
  done
  return 0
}

test_redelivered_write_applies_once() {
  local db=$TEST_DIR/app.sqlite
  start_worker --db app="$db" || return
  expect_exit 0 submit --db app --format json \
    --sql 'create table t(n INTEGER)' || return
  expect_exit 0 submit --db app --format json --job-id w1 \
    --sql 'insert into t(n) values (?)' --param 7 || return
  local first
  first=$(json_query "$OUT" 'd["result"]')
  expect_json "$first" '[d["changes"], d["last_insert_rowid"]]' '[1,1]'
  expect_eq "$(sqlite_rows "$db" "select count(*) from _jq_ledger where job_key like 'bull:jq:w1:%'")" \
    1 "ledger rows of job w1"

  expect_eq "$(redeliver w1)" 1 "the redelivery script" || return
  if ! wait_until 10 in_completed w1; then
    fail "the redelivered job did not complete within 10 s" \
      "    job: $(rcli hgetall bull:jq:w1 | tr '\n' ' ')"
    return
  fi
  # The recorded reply, not a second insert.
  expect_eq "$(json_query "$(rcli hget bull:jq:w1 returnvalue)" 'd')" "$first" \
    "the redelivered job's reply vs the first one"
  expect_eq "$(sqlite_rows "$db" 'select count(*), sum(n) from t')" "1|7" \
    "count(*)|sum(n) of t"
  expect_eq "$(sqlite_rows "$db" "select count(*) from _jq_ledger where job_key like 'bull:jq:w1:%'")" \
    1 "ledger rows of job w1"
  expect_eq "$(grep -c 'job w1 completed' "$WORKER_LOG")" 2 \
    "log lines of job w1 completing"

  # A new job with the same SQL is a new write.
  expect_exit 0 submit --db app --format json \
    --sql 'insert into t(n) values (?)' --param 7 || return
  expect_json "$OUT" 'd["result"]["last_insert_rowid"]' 2
  expect_eq "$(sqlite_rows "$db" 'select count(*) from t')" 2 "rows in t"
}
TEST "ledger: a write job delivered twice is applied once, same reply" \
  test_redelivered_write_applies_once

# A finished write that ended up failed (its completion lost, then failed by
# a stalled check past --max-stalled), retried by an operator: the retry
# finds the ledger's record and writes nothing.
fail_by_hand_lua="redis.call('zrem', KEYS[1], ARGV[1]) redis.call('hdel', KEYS[2], 'returnvalue') redis.call('hset', KEYS[2], 'failedReason', 'job stalled more than allowable limit') redis.call('zadd', KEYS[3], 1, ARGV[1]) return 1"

test_operator_retry_applies_once() {
  local db=$TEST_DIR/app.sqlite
  start_worker --db app="$db" || return
  expect_exit 0 submit --db app --format json \
    --sql 'create table t(n INTEGER)' || return
  expect_exit 0 submit --db app --format json --job-id r1 \
    --sql 'insert into t(n) values (?)' --param 5 || return
  local first
  first=$(json_query "$OUT" 'd["result"]')
  expect_eq "$(rcli eval "$fail_by_hand_lua" 3 bull:jq:completed bull:jq:r1 \
    bull:jq:failed r1)" 1 "moving r1 to failed" || return
  expect_exit 0 inspect retry r1
  if ! wait_until 10 in_completed r1; then
    fail "the retried job did not complete within 10 s" \
      "    job: $(rcli hgetall bull:jq:r1 | tr '\n' ' ')"
    return
  fi
  expect_eq "$(json_query "$(rcli hget bull:jq:r1 returnvalue)" 'd')" "$first" \
    "the retried job's reply vs the first one"
  expect_eq "$(sqlite_rows "$db" 'select count(*), sum(n) from t')" "1|5" \
    "count(*)|sum(n) of t"
}
TEST "ledger: an operator's retry of a write that had committed writes nothing" \
  test_operator_retry_applies_once

has_active_jobs() {
  (($(rcli llen bull:jq:active) > 0))
}

# Freeze worker PID with SIGSTOP at a moment when it has jobs in `active`
# (thaw and try again when it has none), within SECS seconds. A frozen worker
# cannot finish the job between the look and the kill, however slow the
# machine is.
freeze_with_jobs_in_hand() {
  local pid=$1 secs=$2 deadline
  deadline=$(($(now_ms) + secs * JQ_E2E_SLOWDOWN * 1000))
  while (($(now_ms) < deadline)); do
    kill -STOP "$pid" || return 1
    # Commands it sent before it froze may still be in Redis's buffers.
    sleep 0.1
    has_active_jobs && return 0
    kill -CONT "$pid" || return 1
    sleep 0.$((RANDOM % 9 + 1))
  done
  return 1
}

test_sigkill_loses_and_doubles_nothing() {
  local db=$TEST_DIR/app.sqlite
  local -a flags=(-c 4 --lock-duration 2s --stalled-interval 1s)
  local total=$((callers * jobs_per_caller))
  start_worker --db app="$db" "${flags[@]}" || return
  local worker_a=$WORKER_PID
  # Created through jq: one more write job (and ledger row).
  expect_exit 0 submit --db app --format json \
    --sql 'create table t(n INTEGER)' || return

  local t_start k
  t_start=$(now_ms)
  for ((k = 1; k <= callers; k++)); do
    run_bg "caller-$k" caller "$k"
  done

  # +1: the create-table job is in the completed set too.
  if ! wait_until 120 completed_at_least $((kill_after + 1)); then
    fail "fewer than $kill_after jobs completed within 120 s" \
      "    completed: $(rcli zcard bull:jq:completed)"
    return
  fi
  # Kill while a job is in hand: a slow machine leaves the worker idle
  # between callers' jobs now and then.
  if ! freeze_with_jobs_in_hand "$worker_a" 30; then
    fail "worker A had no job in hand within 30 s (nothing to recover)"
    return
  fi
  local -a in_flight
  mapfile -t in_flight < <(rcli lrange bull:jq:active 0 -1 | sed '/^$/d')
  local t_kill
  t_kill=$(now_ms)
  stop_worker "$worker_a" KILL || return
  local done_at_kill
  done_at_kill=$(rcli zcard bull:jq:completed)
  measured "SIGKILL of worker A after $((t_kill - t_start)) ms," \
    "$((done_at_kill - 1)) jobs completed; active at the kill:" \
    "${#in_flight[@]} (${in_flight[*]})"
  # The premise: jobs were in flight when the worker died.
  if ((${#in_flight[@]} == 0)); then
    fail "no job was active when worker A was killed (nothing to recover)"
    return
  fi

  start_worker --db app="$db" "${flags[@]}" || return
  local recovery
  if ! wait_until 60 all_completed "${in_flight[@]}"; then
    local id states=()
    for id in "${in_flight[@]}"; do
      states+=("    $id: completed=$(rcli zscore bull:jq:completed "$id")\
 failed=$(rcli zscore bull:jq:failed "$id")\
 lock=$(rcli exists "bull:jq:$id:lock")\
 stalledCounter=$(rcli hget "bull:jq:$id" stalledCounter)\
 attemptsMade=$(rcli hget "bull:jq:$id" attemptsMade)\
 failedReason=$(rcli hget "bull:jq:$id" failedReason)")
    done
    fail "the jobs active at the kill were not all completed within 60 s" \
      "    killed at $t_kill ms" "${states[@]}"
    return
  fi
  local seen=$(($(now_ms) - t_kill)) id finished last=0
  # Measured with the jobs' finishedOn (the poll above may lag on a busy
  # machine).
  for id in "${in_flight[@]}"; do
    finished=$(rcli hget "bull:jq:$id" finishedOn)
    ((finished > last)) && last=$finished
  done
  recovery=$((last - t_kill))
  echo "recovery after SIGKILL: $recovery ms (by finishedOn; the poll saw" \
    "it after $seen ms; ${#in_flight[@]} jobs in flight; lock 2 s, stalled" \
    "check every 1 s)" >&2

  local bad=0
  for ((k = 1; k <= callers; k++)); do
    wait_bg "caller-$k" 180
    if [[ $RC != 0 ]]; then
      bad=$((bad + 1))
      fail "caller $k exited with status $RC" "$(_jq_excerpt stderr "$ERR")"
    fi
  done
  local t_end
  t_end=$(now_ms)
  echo "fault test: $total jobs from $callers callers in $((t_end - t_start)) ms" \
    "(recovery after SIGKILL: $recovery ms)" >&2
  expect_eq "$bad" 0 "callers that did not exit 0"

  # The envelopes: one per job, all completed, each with its own id and one
  # row written.
  local summary
  summary=$("$JQ_PYTHON" -S -c '
import glob, json, sys
lines = []
for name in sorted(glob.glob(sys.argv[1] + "/caller-*.out")):
    with open(name) as f:
        lines += [l for l in f.read().splitlines() if l.strip()]
envs = [json.loads(l) for l in lines]
print(len(lines),
      sum(e["status"] == "completed" for e in envs),
      len({e["id"] for e in envs}),
      sum((e.get("result") or {}).get("changes") == 1 for e in envs),
      sep="|")
' "$TEST_DIR")
  expect_eq "$summary" "$total|$total|$total|$total" \
    "envelopes: lines|completed|distinct ids|changes=1"

  expect_eq "$(sqlite_rows "$db" \
    'select count(*), count(distinct n), min(n), max(n) from t')" \
    "$total|$total|1|$total" "count(*)|count(distinct n)|min|max of t"
  expect_eq "$(sqlite_rows "$db" 'select count(*) from _jq_ledger')" \
    $((total + 1)) "rows in _jq_ledger ($total inserts + the create table)"

  expect_eq "$(rcli zcard bull:jq:completed)" $((total + 1)) "ZCARD completed"
  expect_eq "$(rcli zcard bull:jq:failed)" 0 "ZCARD failed"
  expect_eq "$(rcli llen bull:jq:active)" 0 "LLEN active"
  expect_eq "$(rcli llen bull:jq:wait)" 0 "LLEN wait"

  # For the record: which of the jobs in flight had already been written by
  # worker A (so worker B answered them from the ledger), and what the
  # stalled check said.
  local replayed
  replayed=$("$JQ_PYTHON" -S -c '
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
kill_ms = int(sys.argv[2])
n = 0
for job_id in sys.argv[3:]:
    for (created,) in con.execute(
            "select created_ms from _jq_ledger where job_key like ?",
            ("bull:jq:" + job_id + ":%",)):
        n += created < kill_ms
print(n)
' "$db" "$t_kill" "${in_flight[@]}")
  measured "jobs in flight already written before the kill (answered from" \
    "the ledger): $replayed of ${#in_flight[@]}; worker B requeued" \
    "$(grep -c 'stalled; put it back' "$WORKER_LOG") stalled job(s)"
}
TEST "SIGKILL mid-run: no job lost, no write doubled, every caller answered" \
  test_sigkill_loses_and_doubles_nothing

# Kill one of WORKER_PID's Redis connections at random, other than the
# blocking one (named) and the subscription: a round link or the chores'
# connection. Prints the address killed, nothing if none was found.
kill_a_worker_connection() {
  "$JQ_PYTHON" -S -c '
import os, random, subprocess, sys
pid, port = sys.argv[1], sys.argv[2]
inodes = set()
for fd in os.listdir(f"/proc/{pid}/fd"):
    try:
        target = os.readlink(f"/proc/{pid}/fd/{fd}")
    except OSError:
        continue
    if target.startswith("socket:["):
        inodes.add(target[8:-1])
ports = set()
with open("/proc/net/tcp") as f:
    for line in f.readlines()[1:]:
        cells = line.split()
        if cells[9] in inodes and int(cells[2].split(":")[1], 16) == int(port):
            ports.add(int(cells[1].split(":")[1], 16))
clients = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", port,
                          "client", "list"], capture_output=True, text=True)
candidates = []
for line in clients.stdout.splitlines():
    fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
    address = fields.get("addr", "")
    if (address.rpartition(":")[2].isdigit()
            and int(address.rpartition(":")[2]) in ports
            and not fields.get("name") and "P" not in fields.get("flags", "")):
        candidates.append(address)
if candidates:
    address = random.choice(candidates)
    subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", port,
                    "client", "kill", address], capture_output=True)
    print(address)
' "$WORKER_PID" "$REDIS_PORT"
}

# A worker sends its rounds on two connections, the second while a round
# is out on the first. After a lost reply, a round link puts back the jobs
# locked by the worker that it does not know of, which is only right while
# no call on the other link is out: that call's jobs are not known yet.
# A round that carries a retry goes out alone (another round could take
# the job again before the retry is recorded). Quick jobs at -c 16 keep both
# links busy, some failing with retries; one of the worker's connections is
# killed every 50 ms. No job may run twice.
test_round_connection_killed_runs_nothing_twice() {
  local db=$TEST_DIR/app.sqlite input=$TEST_DIR/mixed.jsonl n=24000
  local writes=6000 failing=600
  # Line k: an insert when k % 4 == 0, a select of a missing table with 3
  # attempts when k % 40 == 2, else a select.
  "$JQ_PYTHON" -S -c '
import json, sys
with open(sys.argv[1], "w") as f:
    for k in range(1, int(sys.argv[2]) + 1):
        job = {"db": "app", "sql": "select ?", "params": [k]}
        if k % 4 == 0:
            job["sql"] = "insert into t(n) values (?)"
        elif k % 40 == 2:
            job.update(sql="select ? from missing", attempts=3)
        f.write(json.dumps(job) + "\n")
' "$input" "$n"
  start_worker --db app="$db" -c 16 --synchronous normal || return
  submit --db app --sql 'create table t(n integer)' >/dev/null
  run_bg_input mixed "$input" submit --stdin -j 4096 --timeout 120s
  local killed=0 k address
  for ((k = 0; k < 600 && killed < 40; k++)); do
    sleep 0.05
    _jq_alive "${_jq_bg_pid[mixed]}" || break
    address=$(kill_a_worker_connection)
    [[ -n $address ]] && killed=$((killed + 1))
  done
  wait_bg mixed 180
  # 1: some jobs failed (those meant to).
  expect_eq "$RC" 1 "exit status of jq-submit --stdin"
  measured "killed $killed of the worker's connections during $n quick jobs"
  ((killed >= 3)) || fail "only $killed connection(s) killed: the batch ended too soon"
  local summary
  summary=$("$JQ_PYTHON" -S -c '
import json, sys
envs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
failing = [e for e in envs if e["line"] % 40 == 2]
print(len(envs), sum(e["status"] == "completed" for e in envs),
      sum(e["status"] == "failed" and e.get("attempts") == 3 for e in failing),
      len({e["id"] for e in envs}), len({e["line"] for e in envs}), sep="|")
' "$OUT_FILE")
  expect_eq "$summary" "$n|$((n - failing))|$failing|$n|$n" \
    "replies: lines|completed|failed after 3 attempts|distinct ids|distinct lines"
  expect_eq "$(sqlite_rows "$db" \
    'select count(*), count(distinct n), min(n), max(n) from t')" \
    "$writes|$writes|4|$n" "count(*)|count(distinct n)|min|max of t"
  stop_worker || return
  # A job put back while its run was under way runs twice: the worker logs
  # each run's end ("job ID completed in N ms", "job ID failed attempt
  # K/3") and counts it. (An end sent again after its reply was lost may be
  # refused as already recorded: that is one run.)
  expect_eq "$("$JQ_PYTHON" -S -c '
import collections, re, sys
log = open(sys.argv[1]).read()
runs = collections.Counter(re.findall(r"job (\S+) completed in", log))
tries = collections.Counter(re.findall(r"job (\S+) failed attempt (\d)/3", log))
print(len(runs), sum(1 for c in runs.values() if c > 1),
      len(tries), sum(1 for c in tries.values() if c > 1))
' "$WORKER_LOG")" "$((n - failing + 1)) 0 $((2 * failing)) 0" \
    "jobs completed, completed more than once, failed tries, tries run more than once"
  expect_eq "$(grep -o 'stopped: [0-9]* completed, [0-9]* failed' "$WORKER_LOG")" \
    "stopped: $((n - failing + 1)) completed, $failing failed" \
    "the worker's counts"
}
TEST "round connections killed mid-batch of quick jobs: no job runs twice" \
  test_round_connection_killed_runs_nothing_twice
