# shellcheck shell=bash
# shellcheck disable=SC2154 # $tmp, $OUT, ... come from tests/e2e/lib.sh
# The stalled check keeps its interval: a job left in `active` without a
# lock (its worker died between taking and locking it) is back in line
# within one lock duration plus one stalled interval, with the default
# settings and short ones, with one worker or several.

now_ms() {
  date +%s%3N
}

# Put job ID in `active` with no lock, as a worker that died between
# taking and locking it leaves it (the queue is paused meanwhile, so no
# worker takes it first).
place_lockless_job() {
  local id=$1
  expect_exit 0 inspect pause || return
  expect_exit 0 submit --db app --no-wait --job-id "$id" --sql "select '$id'" \
    || return
  expect_eq "$(rcli lrem bull:jq:paused 0 "$id")" 1 "job $id off paused" \
    || return
  rcli lpush bull:jq:active "$id" >/dev/null
  expect_exit 0 inspect resume
}

# recovered_within ID PLACED_MS BOUND_MS: job ID completed, and its
# finishedOn is at most BOUND_MS after PLACED_MS.
recovered_within() {
  local id=$1 placed=$2 bound=$3 finished took
  if ! wait_until $((bound / 1000 + 10)) in_completed "$id"; then
    fail "job $id was not back and completed within $((bound / 1000 + 10)) s"
    return 1
  fi
  finished=$(rcli hget "bull:jq:$id" finishedOn)
  took=$((finished - placed))
  echo "  measured: job $id back and completed $took ms after it was left" \
    "in active without a lock (bound $bound ms)" >&2
  if ((took > bound)); then
    fail "job $id took $took ms, more than $bound ms"
    return 1
  fi
}

# run_case ID WORKERS BOUND_MS [WORKER FLAGS...]
run_case() {
  local id=$1 workers=$2 bound=$3 k
  shift 3
  for ((k = 0; k < workers; k++)); do
    start_worker --db app="$TEST_DIR/app.sqlite" "$@" || return
  done
  # After the workers' first checks, as a job is left at any time.
  sleep 1
  place_lockless_job "$id" || return
  local placed
  placed=$(now_ms)
  recovered_within "$id" "$placed" "$bound"
}

test_short_settings_one_worker() {
  # 2 s lock, 2 s interval: within 2 + 2 + 1 s.
  run_case short-1 1 5000 --lock-duration 2s --stalled-interval 2s
}
TEST "2 s settings, one worker: back within lock + interval + 1 s" \
  test_short_settings_one_worker

test_short_settings_three_workers() {
  run_case short-3 3 5000 --lock-duration 2s --stalled-interval 2s || return
  # Still one check per interval among them (one worker runs each).
  local checks
  checks=$(grep -h "stalled; put it back in line" "$TEST_DIR"/worker-*.log \
    | wc -l)
  expect_eq "$checks" 1 "workers that put the job back"
}
TEST "2 s settings, three workers: back within lock + interval + 1 s" \
  test_short_settings_three_workers

test_default_settings() {
  # Defaults: 30 s lock, 30 s interval: within 61 s.
  run_case default-1 1 61000
}
TEST "default settings: back within lock + interval + 1 s" \
  test_default_settings
