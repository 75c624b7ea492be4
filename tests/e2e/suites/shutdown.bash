# shellcheck shell=bash
# shellcheck disable=SC2154 # $tmp, $OUT, ... come from tests/e2e/lib.sh
# jq-worker stops cleanly on SIGTERM: it takes no new job, finishes the ones in
# hand, exits 0 and leaves nothing in the active list.

# About 1.5 s of work for SQLite here.
slow_sql='WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 9000000) SELECT count(*) FROM c'

test_sigterm_finishes_jobs_in_hand() {
  # A long grace, so a slow (loaded) machine still finishes the jobs in it.
  start_worker --db app="$TEST_DIR/app.sqlite" -c 2 --grace 120s || return
  local worker=$WORKER_PID
  run_bg slow-1 submit --db app --format value --timeout 60s --sql "$slow_sql"
  run_bg slow-2 submit --db app --format value --timeout 60s --sql "$slow_sql"
  if ! wait_until 10 llen_is bull:jq:active 2; then
    fail "the two slow jobs did not both become active within 10 s" \
      "    active: $(rcli lrange bull:jq:active 0 -1); wait: $(rcli lrange bull:jq:wait 0 -1)"
    return
  fi
  # A third job waits behind them; a stopping worker must not take it.
  expect_exit 0 submit --db app --no-wait --job-id third --sql 'select 3'
  sleep 0.2
  # The premise: both slow jobs are still running when the signal comes.
  expect_eq "$(rcli llen bull:jq:active)" 2 "LLEN active just before SIGTERM"
  stop_worker "$worker" TERM
  expect_eq "$WORKER_RC" 0 "jq-worker exit status after SIGTERM"

  local i
  for i in 1 2; do
    wait_bg "slow-$i" 90
    expect_eq "$RC" 0 "exit status of caller $i"
    expect_eq "$OUT" 9000000 "reply of caller $i"
  done
  expect_eq "$(rcli llen bull:jq:active)" 0 "LLEN active"
  expect_eq "$(rcli zcard bull:jq:completed)" 2 "ZCARD completed"
  expect_eq "$(rcli zcard bull:jq:failed)" 0 "ZCARD failed"
  expect_eq "$(rcli lrange bull:jq:wait 0 -1)" third "the wait list"
  expect_eq "$(rcli exists bull:jq:third:lock)" 0 "lock of the third job"

  # A new worker picks up what was left.
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  expect_exit 0 submit --db app --format json --sql 'select 4'
  expect_json "$OUT" 'd["result"]["rows"]' '[[4]]'
  expect_eq "$(rcli zscore bull:jq:completed third | grep -c .)" 1 \
    "the third job in the completed set"
}
TEST "SIGTERM: the jobs in hand complete, the worker exits 0" test_sigterm_finishes_jobs_in_hand

test_sigterm_idle() {
  start_worker --db app="$TEST_DIR/app.sqlite" -c 2 || return
  expect_exit 0 submit --db app --format value --sql 'select 1'
  local start
  start=$(date +%s%3N)
  stop_worker "$WORKER_PID" TERM
  expect_eq "$WORKER_RC" 0 "jq-worker exit status after SIGTERM"
  expect_lt $(($(date +%s%3N) - start)) 10000 "ms from SIGTERM to exit of an idle worker"
  expect_eq "$(rcli llen bull:jq:active)" 0 "LLEN active"
}
TEST "SIGTERM: an idle worker exits 0 promptly" test_sigterm_idle

# What operators stop it by: `pkill jq-worker`, `killall jq-worker`, `top`
# and `ps -e` go by the process name, which jq-worker keeps (and so do its
# threads) even though it starts itself again to set its allocator up.
test_process_name() {
  start_worker --db app="$TEST_DIR/app.sqlite" -c 2 || return
  expect_exit 0 submit --db app --format value --sql 'select 1'
  expect_eq "$(</proc/"$WORKER_PID"/comm)" jq-worker "the process name"
  local names
  names=$(cat /proc/"$WORKER_PID"/task/*/comm | sort -u)
  expect_eq "$names" jq-worker "its threads' names"
  if ! pgrep -x jq-worker | grep -qx "$WORKER_PID"; then
    fail "pgrep -x jq-worker does not list the worker ($WORKER_PID)" \
      "    pgrep -x jq-worker: $(pgrep -x jq-worker | tr '\n' ' ')"
  fi
  stop_worker "$WORKER_PID" TERM
  expect_eq "$WORKER_RC" 0 "jq-worker exit status after SIGTERM"
}
TEST "the worker and its threads are named jq-worker (pkill, top)" test_process_name

test_sigterm_grace_runs_out() {
  local long_sql=${slow_sql/9000000/20000000}
  start_worker --db app="$TEST_DIR/app.sqlite" --grace 500ms || return
  run_bg long submit --db app --format value --timeout 90s --job-id long \
    --sql "$long_sql"
  if ! wait_until 10 llen_is bull:jq:active 1; then
    fail "the long job did not become active within 10 s"
    return
  fi
  sleep 0.3
  local start
  start=$(date +%s%3N)
  stop_worker "$WORKER_PID" TERM
  local stop_ms=$(($(date +%s%3N) - start))
  expect_eq "$WORKER_RC" 0 "jq-worker exit status after SIGTERM"
  # The job needs several seconds; with --grace 500ms the worker must not
  # wait for it.
  expect_lt "$stop_ms" 2500 "ms from SIGTERM to exit with --grace 500ms"
  expect_eq "$(rcli llen bull:jq:active)" 0 "LLEN active"
  expect_eq "$(rcli lrange bull:jq:wait 0 -1)" long "the wait list (job put back)"
  expect_eq "$(rcli exists bull:jq:long:lock)" 0 "lock of the put-back job"
  expect_eq "$(rcli zcard bull:jq:completed):$(rcli zcard bull:jq:failed)" 0:0 \
    "ZCARD completed:failed"

  # The caller is still waiting; the next worker runs the job and it gets
  # the reply.
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  wait_bg long 90
  expect_eq "$RC" 0 "exit status of the caller"
  expect_eq "$OUT" 20000000 "reply of the caller"
}
TEST "SIGTERM: jobs still running when --grace runs out are put back" test_sigterm_grace_runs_out
