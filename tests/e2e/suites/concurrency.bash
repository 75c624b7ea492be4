# shellcheck shell=bash
# shellcheck disable=SC2154 # $tmp, $OUT, ... come from tests/e2e/lib.sh
# Many callers and several workers at once: every caller gets its own reply,
# every job runs exactly once.

# A scalar subquery that keeps SQLite busy for about N/6 microseconds here.
spin_sql() {
  echo "(with recursive c(x) as (select 1 union all select x + 1 from c where x < $1) select count(*) from c)"
}

test_concurrent_callers() {
  start_worker --db app="$TEST_DIR/app.sqlite" -c 2 || return
  start_worker --db app="$TEST_DIR/app.sqlite" -c 2 || return
  local i n=20
  # Early callers get the longest jobs, so replies come back out of order.
  for ((i = 1; i <= n; i++)); do
    run_bg "caller-$i" submit --db app --format json --timeout 60s \
      --sql "select ? as n, ? as who, $(spin_sql $(((n + 1 - i) * 40000))) as spin" \
      --param "$i" --param "caller-$i"
  done
  local ids=() id
  for ((i = 1; i <= n; i++)); do
    wait_bg "caller-$i" 90
    if [[ $RC != 0 ]]; then
      fail "caller $i exited with status $RC" "$(cat "$ERR_FILE")"
      continue
    fi
    expect_json "$OUT" 'd["result"]["columns"]' '["n", "who", "spin"]'
    expect_json "$OUT" 'd["result"]["rows"]' \
      "[[$i, \"caller-$i\", $(((n + 1 - i) * 40000))]]"
    id=$(json_get "$OUT" 'd["id"]')
    ids+=("$id")
    # The id in the reply is the job this caller submitted.
    expect_json "$(rcli hget "bull:jq:$id" data)" 'd["params"][:2]' \
      "[$i, \"caller-$i\"]"
  done
  expect_eq "$(printf '%s\n' "${ids[@]}" | sort -u | grep -c .)" "$n" \
    "number of distinct job ids"
  expect_eq "$(rcli zcard bull:jq:completed)" "$n" "ZCARD completed"
  expect_eq "$(rcli llen bull:jq:active)" 0 "LLEN active"
}
TEST "20 concurrent callers each get their own reply" test_concurrent_callers

zcard_at_least() {
  local n
  n=$(rcli zcard "$1")
  ((n >= $2))
}

test_thousand_jobs() {
  local q=many n=1000 db=$TEST_DIR/app.sqlite
  sqlite3 "$db" 'create table t (id integer primary key, n integer not null)'
  start_worker -q "$q" --db app="$db" -c 2 || return
  local log1=$WORKER_LOG
  start_worker -q "$q" --db app="$db" -c 2 || return
  local log2=$WORKER_LOG

  local i failures=0 start
  start=$(date +%s)
  for ((i = 1; i <= n; i++)); do
    if ! "$JQ_SUBMIT" --redis "$REDIS_URL" -q "$q" --db app --no-wait \
      --sql 'insert into t (n) values (?)' --param "$i" \
      >>"$TEST_DIR/ids" 2>>"$TEST_DIR/submit.err" </dev/null; then
      failures=$((failures + 1))
    fi
  done
  echo "    submitted $n jobs in $(($(date +%s) - start)) s"
  if ((failures > 0)); then
    fail "$failures of $n jq-submit --no-wait calls failed" \
      "$(head -n 20 "$TEST_DIR/submit.err")"
    return
  fi
  expect_file_lines "$TEST_DIR/ids" "$n"
  expect_eq "$(sort -u "$TEST_DIR/ids" | grep -c .)" "$n" "number of distinct job ids"

  if ! wait_until 120 zcard_at_least "bull:$q:completed" "$n"; then
    fail "only $(rcli zcard "bull:$q:completed") of $n jobs completed within 120 s" \
      "    failed: $(rcli zcard "bull:$q:failed"), wait: $(rcli llen "bull:$q:wait"), active: $(rcli llen "bull:$q:active")"
  fi
  echo "    all done $(($(date +%s) - start)) s after the first submit"
  expect_eq "$(rcli zcard "bull:$q:completed")" "$n" "ZCARD completed"
  expect_eq "$(rcli zcard "bull:$q:failed")" 0 "ZCARD failed"
  expect_eq "$(rcli llen "bull:$q:active")" 0 "LLEN active"
  expect_eq "$(rcli llen "bull:$q:wait")" 0 "LLEN wait"
  expect_eq "$(sqlite3 "$db" 'select count(*), count(distinct n), min(n), max(n) from t')" \
    "$n|$n|1|$n" "rows in the table: count, distinct, min, max"

  # Each job was completed by exactly one worker. (A worker that held a job
  # ahead and gave it back names it in its log too, without running it.)
  local report
  report=$("$JQ_PYTHON" - "$TEST_DIR/ids" "$log1" "$log2" <<'PY'
import sys
ids = [line.strip() for line in open(sys.argv[1]) if line.strip()]
logs = [open(path, errors="replace").read() for path in sys.argv[2:]]
bad = []
per_worker = [0] * len(logs)
for job_id in ids:
    holders = [i for i, text in enumerate(logs)
               if f"job {job_id} completed" in text]
    if len(holders) != 1:
        bad.append(f"{job_id} completed in {len(holders)} worker logs")
    for i in holders:
        per_worker[i] += 1
print("jobs per worker:", per_worker, file=sys.stderr)
print("\n".join(bad[:20]))
PY
  )
  expect_eq "$report" "" "jobs not completed by exactly one worker"
  expect_exit 0 inspect -q "$q" counts --json
  expect_json "$OUT" 'd' \
    "{\"waiting\": 0, \"active\": 0, \"completed\": $n, \"failed\": 0, \"delayed\": 0, \"paused\": 0}"
}
TEST "two workers run 1,000 jobs, each exactly once" test_thousand_jobs

# A worker whose jobs run quickly takes jobs ahead of its slots. When a slow
# job then keeps its one slot busy, the job it holds ahead must go back to
# the line for the other worker, not wait for the slow one.
#
# Whether a job is held at all depends on timing (the last job must have run
# in under 5 ms), so the test makes it likely on a slow machine too: every
# job is in `wait` before the workers start, and commits do not wait for the
# disk (--synchronous normal). What it asserts holds either way: the slow
# job's reply comes last and every other job runs exactly once.
test_held_ahead_given_back() {
  local q=ahead n=400 slow=51 db=$TEST_DIR/app.sqlite
  sqlite3 "$db" 'create table t (id integer primary key, n integer not null)'
  # Line $slow spins SQLite for a few seconds; every other line inserts.
  "$JQ_PYTHON" -S - "$TEST_DIR/jobs.jsonl" "$n" "$slow" "$(spin_sql 18000000)" <<'PY'
import json, sys
path, n, slow, spin = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
with open(path, "w") as out:
    for k in range(1, n + 1):
        job = ({"db": "app", "sql": "select " + spin + " as spin"} if k == slow
               else {"db": "app", "sql": "insert into t (n) values (?)",
                     "params": [k]})
        out.write(json.dumps(job) + "\n")
PY
  run_bg_input submitter "$TEST_DIR/jobs.jsonl" submit -q "$q" --stdin -j "$n" --timeout 180s
  if ! wait_until 30 llen_is "bull:$q:wait" "$n"; then
    fail "only $(rcli llen "bull:$q:wait") of $n jobs waiting within 30 s"
    return
  fi
  start_worker -q "$q" --db app="$db" --synchronous normal -c 1 || return
  local log1=$WORKER_LOG
  start_worker -q "$q" --db app="$db" --synchronous normal -c 1 || return
  local log2=$WORKER_LOG
  wait_bg submitter 200
  expect_eq "$RC" 0 "exit status of jq-submit --stdin" || return
  expect_file_lines "$OUT_FILE" "$n"
  # Replies print as they come: the slow job's is the last.
  expect_json "$(tail -n 1 "$OUT_FILE")" 'd["line"]' "$slow"
  local given_back
  given_back=$(cat "$log1" "$log2" | grep -c "giving it back to the head of the line")
  measured "jobs held ahead and given back while the slow job ran: $given_back"
  expect_eq "$(sqlite3 "$db" 'select count(*), count(distinct n) from t')" \
    "$((n - 1))|$((n - 1))" "rows in the table: count, distinct"
  expect_exit 0 inspect -q "$q" counts --json
  expect_json "$OUT" 'd' \
    "{\"waiting\": 0, \"active\": 0, \"completed\": $n, \"failed\": 0, \"delayed\": 0, \"paused\": 0}"
}
TEST "a job held ahead goes back to the line while the slot is busy" test_held_ahead_given_back

# Jobs added a few at a time to a worker with many idle slots: wait runs
# empty again and again, so slots keep starting jobs that BRPOPLPUSH moved,
# often two at once. Every job must be answered, none left in active.
test_windowed_stream() {
  local q=stream n=5000 db=$TEST_DIR/app.sqlite window
  sqlite3 "$db" 'create table t (id integer primary key)'
  start_worker -q "$q" --db app="$db" -c 16 || return
  "$JQ_PYTHON" -S -c '
import json, sys
with open(sys.argv[1], "w") as out:
    for k in range(int(sys.argv[2])):
        out.write(json.dumps({"db": "app", "sql": "select ?", "params": [k]}) + "\n")
' "$TEST_DIR/jobs.jsonl" "$n"
  for window in 8 64; do
    run_input "$TEST_DIR/jobs.jsonl" submit -q "$q" --stdin -j "$window" --timeout 20s
    expect_eq "$RC" 0 "exit status of jq-submit --stdin -j $window"
    expect_eq "$(grep -v '"status":"completed"' "$OUT_FILE" | head -n 3)" "" \
      "replies other than completed, -j $window"
    expect_eq "$(grep -c '"status":"completed"' "$OUT_FILE")" "$n" \
      "completed replies, -j $window"
    expect_eq "$(rcli llen "bull:$q:active")" 0 "LLEN active after -j $window"
  done
}
TEST "jobs streamed 8 and 64 at a time to -c 16: every one answered" test_windowed_stream

# Writes from many slots commit in groups, one transaction for the writes
# that queued while the last one committed. Jobs that fail in the three ways
# a job can (its own statement's error; an error that rolls back the whole
# transaction: INSERT OR ROLLBACK, a trigger's RAISE(ROLLBACK)) go between
# hundreds of plain inserts, with the default --synchronous full, so that
# writes queue while one commits. Each failing job fails alone; every other
# write lands exactly once.
test_group_commit_failures() {
  local q=groups n=600 db=$TEST_DIR/app.sqlite
  sqlite3 "$db" "pragma journal_mode=wal;
    create table t (id integer primary key, n integer not null unique);
    create table u (id integer primary key);
    insert into u values (1);
    create trigger t_no_negative before insert on t when new.n < 0
      begin select raise(rollback, 'negative n'); end;" >/dev/null
  "$JQ_PYTHON" -S - "$TEST_DIR/jobs.jsonl" "$n" <<'PY'
import json, sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as out:
    for k in range(1, n + 1):
        if k % 7 == 0:
            job = {"sql": "insert or rollback into u values (1)"}
        elif k % 11 == 0:
            job = {"sql": "insert into u values (1)"}
        elif k % 13 == 0:
            job = {"sql": "insert into t (n) values (?)", "params": [-k]}
        else:
            job = {"sql": "insert into t (n) values (?)", "params": [k]}
        job.update(db="app", attempts=1)
        out.write(json.dumps(job) + "\n")
PY
  local failing
  failing=$("$JQ_PYTHON" -S -c '
import sys
n = int(sys.argv[1])
print(sum(1 for k in range(1, n + 1) if k % 7 == 0 or k % 11 == 0 or k % 13 == 0))
' "$n")
  start_worker -q "$q" --db app="$db" -c 16 || return
  run_input "$TEST_DIR/jobs.jsonl" submit -q "$q" --stdin -j "$n" --timeout 60s
  expect_file_lines "$OUT_FILE" "$n"
  expect_eq "$(grep -c '"status":"failed"' "$OUT_FILE")" "$failing" \
    "failed replies"
  expect_eq "$(grep -c '"status":"completed"' "$OUT_FILE")" "$((n - failing))" \
    "completed replies"
  # The failed ones are exactly the hostile lines, each with its own reason.
  expect_eq "$("$JQ_PYTHON" -S -c '
import json, sys
bad = []
for text in open(sys.argv[1]):
    reply = json.loads(text)
    k = reply["line"]
    hostile = k % 7 == 0 or k % 11 == 0 or k % 13 == 0
    status = reply["status"]
    if hostile != (status == "failed"):
        bad.append(f"line {k}: {status}")
print("\n".join(bad[:10]))
' "$OUT_FILE")" "" "lines whose status is not the expected one"
  expect_eq "$(sqlite3 "$db" 'select count(*), count(distinct n), min(n) > 0 from t')" \
    "$((n - failing))|$((n - failing))|1" "rows in t: count, distinct, all positive"
  expect_eq "$(sqlite3 "$db" 'select count(*) from u')" 1 "rows in u"
  expect_eq "$(sqlite3 "$db" 'select count(*) from _jq_ledger')" "$((n - failing))" \
    "ledger entries"
  expect_eq "$(rcli llen "bull:$q:active")" 0 "LLEN active"
}
TEST "writes committed in groups: a job that rolls back the transaction fails alone" \
  test_group_commit_failures

# Start a process that holds an exclusive lock on SQLite file $1 until it is
# killed (60 s at most); its pid goes in the caller's `holder`.
hold_exclusive_lock() {
  "$JQ_PYTHON" -S -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("begin exclusive")
open(sys.argv[2], "w").close()
time.sleep(60)
c.execute("commit")
' "$1" "$TEST_DIR/locked" &
  holder=$!
  wait_until 10 test -e "$TEST_DIR/locked" || { fail "the lock holder did not start"; return 1; }
}

# Whether queue $1 has at least $2 failed jobs (read at each call).
failed_at_least() {
  (($(rcli zcard "bull:$1:failed") >= $2))
}

# Write $TEST_DIR/jobs.jsonl: $1 jobs on database fast, $2 on app, $1 more
# on fast; SQL $3 on fast and $4 on app, each with its line number.
mixed_jobs() {
  "$JQ_PYTHON" -S -c '
import json, sys
quick, waiting = int(sys.argv[2]), int(sys.argv[3])
with open(sys.argv[1], "w") as out:
    for k in range(2 * quick + waiting):
        on_app = quick <= k < quick + waiting
        out.write(json.dumps({"db": "app" if on_app else "fast",
                              "sql": sys.argv[5] if on_app else sys.argv[4],
                              "params": [k]}) + "\n")
' "$TEST_DIR/jobs.jsonl" "$1" "$2" "$3" "$4"
}

# While quick jobs stream, the worker keeps about one slot per CPU running
# and holds the next jobs for them. When the running slots then take jobs
# that wait (here for another process's lock, on no CPU), the held jobs must
# start at once in the idle slots, not wait for the running ones or for the
# give-back of held jobs.
test_paced_slots_start_waiting_jobs() {
  local q=paced db=$TEST_DIR/app.sqlite waiting=8 quick=1500
  sqlite3 "$db" 'create table t (n integer); insert into t values (1)'
  sqlite3 "$TEST_DIR/fast.sqlite" 'create table u (n integer)'
  start_worker -q "$q" --db app="$db" --db fast="$TEST_DIR/fast.sqlite" -c 16 || return
  # Another process holds app (rollback journal: its readers wait) for
  # longer than the jobs' time limit.
  local holder
  hold_exclusive_lock "$db" || return
  mixed_jobs "$quick" "$waiting" "select ? as k" "select ? as k"
  run_input "$TEST_DIR/jobs.jsonl" submit -q "$q" --stdin -j 256 --timeout 6s
  expect_file_lines "$OUT_FILE" "$((2 * quick + waiting))"
  expect_eq "$(grep -c '"status":"completed"' "$OUT_FILE")" "$((2 * quick))" \
    "completed replies (the quick jobs)"
  # Every waiting job started before its time ran out; none was still held
  # when its caller gave up.
  expect_eq "$(grep -c "before it could start" "$WORKER_LOG")" 0 \
    "jobs that never started"
  # Nor did any held job wait for the give-back of jobs no slot took.
  expect_eq "$(grep -c "giving it back" "$WORKER_LOG")" 0 \
    "held jobs given back"
  # Each was stopped at its caller's deadline while it waited: the lock is
  # still held (until the holder is killed). The worker stops a job at its
  # deadline, not before, so its end may come a moment after the caller's
  # timeout: wait for it, then free the lock.
  if ! wait_until 3 failed_at_least "$q" "$waiting"; then
    fail "the waiting jobs were not stopped at their deadline" \
      "    failed: $(rcli zcard "bull:$q:failed")" \
      "    active: $(rcli lrange "bull:$q:active" 0 -1 | tr '\n' ' ')"
  fi
  local id
  for id in $(rcli zrange "bull:$q:failed" 0 -1); do
    expect_match "$(rcli hget "bull:$q:$id" failedReason)" '^expired' \
      "failedReason of $id"
  done
  expect_eq "$(rcli llen "bull:$q:active")" 0 "LLEN active"
  kill "$holder" 2>/dev/null
  wait "$holder" 2>/dev/null
}
TEST "jobs that wait, among quick ones, start at once in the idle slots" \
  test_paced_slots_start_waiting_jobs

# While quick inserts stream, slots take the held inserts to the same
# database with theirs and commit them together. Inserts into a database
# another process holds locked must hold up none of the quick ones: neither
# those already in a slot's batch nor those held behind them.
test_batched_writes_pass_waiting_ones() {
  local q=batched db=$TEST_DIR/app.sqlite fast=$TEST_DIR/fast.sqlite waiting=8 quick=1500
  sqlite3 "$db" 'create table t (n integer)'
  sqlite3 "$fast" 'pragma journal_mode=wal; create table u (n integer primary key)' >/dev/null
  start_worker -q "$q" --db app="$db" --db fast="$fast" -c 16 --synchronous normal || return
  local holder
  hold_exclusive_lock "$db" || return
  mixed_jobs "$quick" "$waiting" "insert into u values (?)" "insert into t values (?)"
  run_input "$TEST_DIR/jobs.jsonl" submit -q "$q" --stdin -j 256 --timeout 6s
  expect_file_lines "$OUT_FILE" "$((2 * quick + waiting))"
  expect_eq "$(grep -c '"status":"completed"' "$OUT_FILE")" "$((2 * quick))" \
    "completed replies (the quick inserts)"
  expect_eq "$(sqlite3 "$fast" 'select count(*), count(distinct n) from u')" \
    "$((2 * quick))|$((2 * quick))" "rows in fast: count, distinct"
  expect_eq "$(grep -c "before it could start" "$WORKER_LOG")" 0 \
    "jobs that never started"
  kill "$holder" 2>/dev/null
  wait "$holder" 2>/dev/null
  # The holder died inside its transaction: the file's next user rolls it
  # back, and may wait for the worker's connections meanwhile.
  expect_eq "$(sqlite3 -cmd '.timeout 10000' "$db" 'select count(*) from t')" 0 \
    "rows in app"
  expect_eq "$(rcli llen "bull:$q:active")" 0 "LLEN active"
}
TEST "inserts that wait for another process's lock hold up none of the quick ones" \
  test_batched_writes_pass_waiting_ones
