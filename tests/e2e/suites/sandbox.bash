# shellcheck shell=bash
# shellcheck disable=SC2154 # $tmp, $OUT, ... come from tests/e2e/lib.sh
# What a job may not do to the worker (issue 14), tried from outside with
# default settings: crash it through fts3_tokenizer(), take its memory with
# value and heap bombs, switch the exactly-once ledger off, or hold a slot
# past its time while another process holds the database lock.

# ---------------------------------------------------------------- helpers

now_ms() {
  local us=${EPOCHREALTIME/[.,]/}
  echo $((us / 1000))
}

# hold_lock NAME FILE MODE SECONDS: another process (Python's sqlite3) takes
# `BEGIN MODE` on FILE and holds it for SECONDS; returns once it holds it.
hold_lock() {
  local name=$1 file=$2 mode=$3 seconds=$4
  run_bg "$name" "$JQ_PYTHON" -S -c '
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("begin " + sys.argv[2])
print("locked", flush=True)
time.sleep(float(sys.argv[3]))
con.execute("commit")
' "$file" "$mode" "$seconds"
  if ! wait_until 10 grep -q locked "$TEST_DIR/$name.out"; then
    fail "the lock holder $name did not take its lock" \
      "$(_jq_excerpt stderr "$(cat "$TEST_DIR/$name.err")")"
    return 1
  fi
}

# The field EXPR (Python, over `d`) of the job_finished event of job ID in
# the worker's JSON log.
finished_field() {
  local id=$1 expr=$2
  "$JQ_PYTHON" -S -c '
import json, sys
for line in open(sys.argv[1]):
    try:
        d = json.loads(line)
    except ValueError:
        continue
    if d.get("event") == "job_finished" and d.get("job_id") == sys.argv[2]:
        print(eval(sys.argv[3]))
        break
' "$WORKER_LOG" "$id" "$expr"
}

# ---------------------------------------------------------------- functions

test_fts3_tokenizer() {
  sql_file "$TEST_DIR/app.sqlite" 'create table t(x); insert into t values (1);'
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  # The known route to code execution: point the 'simple' tokenizer at an
  # address from a bound blob, then make an FTS3 table that calls it.
  # shellcheck disable=SC2016 # $base64 is JSON, not a shell variable
  expect_exit 1 submit --db app --format json --job-id tok-1 \
    --sql "select fts3_tokenizer('simple', ?)" \
    --params '[{"$base64":"QUFBQUFBQUE="}]'
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" \
    "fts3_tokenizer() is not allowed in a job" "reason of tok-1"
  expect_exit 0 submit --db app --format json \
    --sql 'create virtual table f using fts3(x, tokenize=simple)'
  expect_worker_serves || return
  # The one-argument form hands out a code address.
  refuse tok-2 app 'hands out or takes pointers' \
    "select hex(fts3_tokenizer('simple'))"
  refuse tok-3 app 'fts5() is not allowed' 'select fts5(null)'
  refuse ext-1 app 'it loads code' "select load_extension('libm.so.6')"
  refuse raw-1 app 'reads raw bytes' "select rtreenode(2, x'0000')"
  refuse other-1 app "not on jq-worker's list" "select sqlite_log(1, 'x')"
  # A search that would compare for minutes, deaf to the job's time limit.
  refuse work-1 app 'more work than one call may do' \
    "select printf('%.*c', 2000000, 'a') like '%' || printf('%.*c', 1000, 'a') || 'b%'"
  # The FTS3 table works with SQLite's own tokenizer.
  expect_exit 0 submit --db app --format json \
    --sql "insert into f values ('safe and sound')"
  expect_exit 0 submit --db app --format value \
    --sql "select count(*) from f where f match 'sound'"
  expect_eq "$OUT" 1 "FTS3 match after the attempt"
  expect_eq "$(grep -c 'Segmentation\|signal' "$WORKER_LOG")" 0 \
    "signals in the worker's log"
}
TEST "fts3_tokenizer(), load_extension(), rtreenode(), unlisted functions and runaway searches are refused; the worker lives" \
  test_fts3_tokenizer

# ---------------------------------------------------------------- memory

test_memory_bombs() {
  if [[ ! -x /usr/bin/time ]]; then
    fail "/usr/bin/time not found (Debian package time; run scripts/install-deps)"
    return
  fi
  local db=$TEST_DIR/app.sqlite rss=$TEST_DIR/worker.rss
  sql_file "$db" 'create table t(x);'
  # Default limits: --max-value-bytes 64 MiB, --max-memory 256 MiB.
  WORKER_LOG=$TEST_DIR/worker.log
  /usr/bin/time -f %M -o "$rss" "$JQ_WORKER" --redis "$REDIS_URL" \
    --db app="$db" -c 16 >"$TEST_DIR/worker.out" 2>"$WORKER_LOG" </dev/null &
  local timer=$!
  _jq_pids+=("$timer")
  if ! wait_until 10 grep -q ready "$WORKER_LOG"; then
    fail "jq-worker did not say ready" "$(_jq_excerpt log "$(<"$WORKER_LOG")")"
    return
  fi
  WORKER_PID=$(pgrep -P "$timer" | head -n 1)
  _jq_pids+=("$WORKER_PID")

  local input=$TEST_DIR/bombs.jsonl big='randomblob(60000000)'
  local many="$big, $big, $big, $big, $big"
  {
    local sql
    for sql in \
      'select length(randomblob(900000000))' \
      'select length(zeroblob(900000000))' \
      "select length(printf('%.*c', 900000000, 'x'))" \
      "select length(format('%900000000d', 1))" \
      "select length(replace(hex(zeroblob(40000000)), '0', '00'))" \
      'with recursive c(i) as (select 1 union all select i + 1 from c where i < 200) select length(group_concat(randomblob(1000000))) from c' \
      'with recursive c(i) as (select 1 union all select i + 1 from c where i < 200) select length(json_group_array(hex(randomblob(1000000)))) from c' \
      "with recursive c(s, n) as (select 'x', 0 union all select s || s, n + 1 from c where n < 40) select max(length(s)) from c" \
      "select $many" "select $many" "select $many" "select $many" \
      "select $many" "select $many" "select $many" "select $many"; do
      printf '{"db":"app","sql":"%s"}\n' "$sql"
    done
  } >"$input"
  local t0
  t0=$(now_ms)
  # Each bomb allocates and fills hundreds of MB: under ThreadSanitizer (its
  # allocator and shadow memory) on a busy 2-core machine, some took 30-60 s.
  run_input "$input" submit --stdin -j 16 --timeout "$((60 * JQ_E2E_SLOWDOWN))s"
  local took=$(($(now_ms) - t0))
  expect_eq "$RC" 1 "exit status of the batch of 16 bombs"
  expect_file_lines "$OUT_FILE" 16
  local summary
  summary=$("$JQ_PYTHON" -S -c '
import json, sys
named = ("--max-value-bytes", "--max-memory", "--max-result-bytes")
bad = []
counts = {}
for line in open(sys.argv[1]):
    d = json.loads(line)
    message = (d.get("error") or {}).get("message", "")
    limit = next((n for n in named if n in message), None)
    if d.get("status") != "failed" or limit is None:
        bad.append("line %s: %s %s" % (d.get("line"), d.get("status"), message[:120]))
    else:
        counts[limit] = counts.get(limit, 0) + 1
print("; ".join(bad) if bad else "ok " + ", ".join("%s: %d" % kv for kv in sorted(counts.items())))
' "$OUT_FILE")
  expect_match "$summary" '^ok ' "every bomb failed with a reason naming a limit"
  # The worker lives on and serves.
  expect_worker_serves || return
  expect_exit 0 submit --db app --format json --sql 'insert into t values (1)'
  kill -TERM "$WORKER_PID"
  wait "$timer"
  local status=$? peak
  expect_eq "$status" 0 "jq-worker exit status after SIGTERM"
  peak=$(tail -n 1 "$rss")
  measured "16 memory bombs at once at -c 16: $summary; answered in $took ms;" \
    "worker peak RSS $((peak / 1024)) MiB (--max-memory 256 MiB)"
  if [[ -n $JQ_E2E_SANITIZED ]]; then
    return # a sanitizer's own memory says nothing of the worker's
  fi
  if ! [[ $peak =~ ^[0-9]+$ ]] || ((peak >= 256 * 1024)); then
    fail "the worker's peak RSS was $peak KiB, not under 256 MiB"
  fi
}
TEST "16 memory bombs at once: each fails naming its limit; peak RSS under --max-memory; the worker serves on" \
  test_memory_bombs

# ---------------------------------------------------------------- ledger

test_ledger_untouchable() {
  local db=$TEST_DIR/app.sqlite
  sql_file "$db" 'create table t(n integer); create table u(n integer);'
  start_worker --db app="$db" || return
  expect_exit 0 submit --db app --format json --job-id w1 \
    --sql 'insert into t values (?)' --param 7 || return
  local first
  first=$(json_query "$OUT" 'd["result"]')

  refuse led-1 app _jq_ledger 'delete from _jq_ledger'
  refuse led-2 app _jq_ledger "update _jq_ledger set job_key = 'x'"
  refuse led-3 app _jq_ledger "replace into _jq_ledger values ('k', '{}', 0)"
  refuse led-4 app _jq_ledger "insert into _jq_ledger values ('k', '{}', 0) on conflict do update set reply = '{}'"
  refuse led-5 app _jq_ledger \
    'create trigger forget after insert on u begin delete from _jq_ledger; end'
  refuse led-6 app _jq_ledger \
    'create trigger forget after insert on _jq_ledger begin delete from _jq_ledger; end'
  refuse led-7 app _jq_ledger 'create index i on _jq_ledger(reply)'
  refuse led-8 app _jq_ledger 'create view v as select * from _jq_ledger'
  refuse led-9 app TEMP \
    'create temp table _jq_ledger(job_key text primary key, reply, created_ms)'
  refuse led-10 app _jq_ledger 'drop table _jq_ledger'
  refuse led-11 app TEMP \
    'create temp trigger forget after insert on main.t begin delete from t; end'

  # The same job delivered again (as a stalled check would) still finds
  # its record: the reply, not a second row.
  expect_eq "$(redeliver w1)" 1 "the redelivery" || return
  wait_until 10 in_completed w1
  expect_eq "$(json_query "$(rcli hget bull:jq:w1 returnvalue)" 'd')" "$first" \
    "the redelivered job's reply"
  expect_eq "$(sql_value "$db" 'select count(*) from t')" 1 "rows in t"
}
TEST "no job reads, writes or hooks _jq_ledger; a redelivered write still applies once" \
  test_ledger_untouchable

# ---------------------------------------------------------------- lock waits

# The lock is held for 5 to 8 s (times the slowdown): a job that ends within a second of its
# limit was interrupted in its wait (the times measured, a few ms on a quiet
# machine, are printed; the bounds leave room for a loaded one).

test_lock_wait_interrupted() {
  local db=$TEST_DIR/app.sqlite ro=$TEST_DIR/ref.sqlite
  sql_file "$db" 'create table t(n integer, m integer);'
  sql_file "$ro" 'create table t(n integer); insert into t values (1);'
  start_worker --db app="$db" --db ref="$ro:ro" --log-format json || return

  # The job's own time limit, while another process holds BEGIN IMMEDIATE.
  hold_lock lock-1 "$db" immediate $((6 * JQ_E2E_SLOWDOWN)) || return
  run submit --db app --format json --job-id jt-1 --job-timeout 500ms \
    --sql 'insert into t values (1, 1)'
  expect_eq "$RC" 1 "exit status of a job timed out waiting for the lock"
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" "timed out after 500 ms"
  local took
  took=$(finished_field jt-1 'd["duration_ms"]')
  measured "--job-timeout 500ms waiting for BEGIN IMMEDIATE: the job ended after $took ms"
  expect_lt "$took" $((500 + 1000 * JQ_E2E_SLOWDOWN)) "ms the timed-out job ran"

  # The caller's deadline (--timeout), while the lock is still held.
  run submit --db app --format json --job-id dl-1 --timeout 1s \
    --sql 'insert into t values (2, 2)'
  expect_eq "$RC" 124 "exit status when the caller's deadline passes"
  if ! wait_until 5 in_failed dl-1; then
    fail "dl-1 never failed"
    return
  fi
  local deadline finished
  deadline=$(json_get "$(rcli hget bull:jq:dl-1 opts)" 'd["deadline"]')
  finished=$(rcli hget bull:jq:dl-1 finishedOn)
  measured "--timeout 1s waiting for the lock: the job ended $((finished - deadline)) ms after its caller's deadline"
  expect_lt "$((finished - deadline))" $((1000 * JQ_E2E_SLOWDOWN)) \
    "ms from the deadline to the job's end"
  wait_bg lock-1 30
  sleep 0.5
  expect_eq "$(sql_value "$db" 'select count(*) from t')" 0 \
    "rows written once the lock was free"

  # A read of a read-only database while another process holds EXCLUSIVE.
  hold_lock lock-2 "$ro" exclusive $((5 * JQ_E2E_SLOWDOWN)) || return
  run submit --db ref --format json --job-id ro-1 --job-timeout 300ms \
    --sql 'select count(*) from t'
  expect_eq "$RC" 1 "exit status of a read timed out waiting for the lock"
  took=$(finished_field ro-1 'd["duration_ms"]')
  measured "--job-timeout 300ms reading a :ro database under EXCLUSIVE: the job ended after $took ms"
  expect_lt "$took" $((300 + 1000 * JQ_E2E_SLOWDOWN)) "ms the read ran"
  wait_bg lock-2 30

  # The worker's grace on SIGTERM ends the wait too; the job goes back in
  # line, unwritten.
  stop_worker
  start_worker --db app="$db" --grace 1s --log-format json || return
  hold_lock lock-3 "$db" immediate $((8 * JQ_E2E_SLOWDOWN)) || return
  submit --db app --no-wait --job-id gr-1 --sql 'insert into t values (3, 3)' \
    >/dev/null
  if ! wait_until 5 llen_is bull:jq:active 1; then
    fail "gr-1 never became active"
    return
  fi
  sleep 0.2
  local t0
  t0=$(now_ms)
  stop_worker
  took=$(($(now_ms) - t0))
  measured "--grace 1s, SIGTERM while a job waits for the lock: the worker exited after $took ms"
  expect_eq "$WORKER_RC" 0 "jq-worker exit status"
  expect_lt "$took" $((1000 + 1500 * JQ_E2E_SLOWDOWN)) "ms from SIGTERM to exit"
  expect_eq "$(rcli lrange bull:jq:wait 0 -1)" gr-1 "the wait list after the grace"
  wait_bg lock-3 30
  expect_eq "$(sql_value "$db" 'select count(*) from t')" 0 "rows in t"
}
TEST "a wait for another process's lock ends at the job's time limit, the caller's deadline and the grace; nothing written" \
  test_lock_wait_interrupted
