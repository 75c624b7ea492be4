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
