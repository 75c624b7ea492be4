# shellcheck shell=bash
# shellcheck disable=SC2034 # RC, OUT, WORKER_RC ... are for the suites
# The end-to-end harness, sourced by tests/e2e/run (after
# tests/support/redis.sh), in the style of ccache's test/run.
#
# A suite is a bash file of tests. A test is either a block that runs until
# the next TEST or the end of the suite:
#
#   TEST "select returns the rows"
#   start_worker --db app="$TEST_DIR/app.sqlite"
#   expect_exit 0 submit --db app --sql 'select 1' --format value
#   expect_eq "$OUT" 1
#
# or a function, which may `return` early once a step it needs has failed:
#
#   test_select() { start_worker --db app="$TEST_DIR/app.sqlite" || return; ...; }
#   TEST "select returns the rows" test_select
#
# Per suite: one redis-server on a free loopback port ($REDIS_URL,
# $REDIS_PORT), a temporary directory $tmp (kept and printed if anything
# failed). Per test: Redis is flushed, the workers of the previous test are
# stopped, and $TEST_DIR is a fresh directory under $tmp.
#
# Commands:
#   submit ARGS...          jq-submit --redis "$REDIS_URL" ARGS...
#   inspect ARGS...         jq-inspect --redis "$REDIS_URL" ARGS...
#   rcli ARGS...            redis-cli against the suite's server
#   run CMD...              run CMD (a program or submit/inspect), set RC, OUT,
#                           ERR, OUT_FILE, ERR_FILE and ELAPSED_MS
#   run_bg NAME CMD...      start CMD in the background (stdout/stderr in
#                           $TEST_DIR/NAME.out/.err)
#   run_input FILE CMD...   like run, with stdin read from FILE (run's is
#                           /dev/null)
#   run_bg_input NAME FILE CMD...
#                           like run_bg, with stdin read from FILE; sets BG_PID
#   wait_bg NAME [SECS]     wait for it; set RC, OUT, ERR like run
#   start_worker ARGS...    start jq-worker --redis "$REDIS_URL" ARGS... in the
#                           background, wait until its log says "ready";
#                           sets WORKER_PID and WORKER_LOG
#   stop_worker [PID] [SIG] send SIGTERM (or SIG), wait; sets WORKER_RC
#   wait_until SECS CMD...  poll CMD every 0.1 s until it succeeds
#   json_query JSON EXPR    print the Python expression EXPR over `d` (the
#                           parsed JSON) as compact JSON, keys sorted
#   json_get JSON EXPR      the same, but a string is printed without quotes
#   sql_file FILE SCRIPT    run an SQL script on SQLite file FILE (Python's
#                           sqlite3, as another process would)
#   sql_value FILE QUERY    print the first value of QUERY on FILE
#   "$JQ_PYTHON" ARGS...    python3, resolved once (a version manager's shim
#                           is slow to start; -S skips site for speed too)
# Assertions (each failure names the suite, test, line and reason):
#   expect_exit CODE CMD... expect_eq ACTUAL EXPECTED [WHAT]
#   expect_contains TEXT NEEDLE [WHAT]   expect_not_contains TEXT NEEDLE [WHAT]
#   expect_match TEXT REGEX [WHAT]       expect_lt A B [WHAT] (integers)
#   expect_json JSON EXPR EXPECTED_JSON  expect_file_lines FILE N
#   expect_file_contains FILE NEEDLE     fail REASON...
#   refuse ID DB NEEDLE SQL the job fails (exit 1) with NEEDLE in its reason,
#                           then the worker answers the next job
#   expect_worker_serves [DB]  the worker is alive and answers `select 1`

# How many times slower the binaries are than a release build: a sanitizer
# build sets 4 (tests/CMakeLists.txt). Every time limit below, and those of
# wait_bg and wait_until, is stretched by it; what a test measures is not.
JQ_E2E_SLOWDOWN=${JQ_E2E_SLOWDOWN:-1}
# Set in a sanitizer build, whose memory figures say nothing of the tools'.
JQ_E2E_SANITIZED=${JQ_E2E_SANITIZED:-}
# Seconds a foreground `run` may take before the harness kills it.
JQ_E2E_CMD_TIMEOUT=$((${JQ_E2E_CMD_TIMEOUT:-120} * JQ_E2E_SLOWDOWN))
# Seconds a worker may take to say "ready" and to exit after SIGTERM.
JQ_E2E_READY_TIMEOUT=$((${JQ_E2E_READY_TIMEOUT:-10} * JQ_E2E_SLOWDOWN))
JQ_E2E_STOP_TIMEOUT=$((${JQ_E2E_STOP_TIMEOUT:-20} * JQ_E2E_SLOWDOWN))

_jq_suite=
_jq_suite_file=
_jq_passed=0
_jq_failed=0
_jq_test=
_jq_test_failed=false
_jq_test_start=0
_jq_test_index=0
_jq_setup_failed=false
_jq_finished=false
_jq_cleaned=false
_jq_suite_start=0
_jq_pids=()
_jq_test_workers=()
_jq_worker_count=0
declare -A _jq_bg_pid=()
tmp=
TEST_DIR=
RC=
OUT=
ERR=
OUT_FILE=
ERR_FILE=
ELAPSED_MS=
WORKER_PID=
WORKER_LOG=
WORKER_RC=
BG_PID=
JQ_PYTHON=python3

# ---------------------------------------------------------------- plumbing

_jq_now_ms() {
  # EPOCHREALTIME is seconds.microseconds (the separator follows the locale).
  local us=${EPOCHREALTIME/[.,]/}
  echo $((us / 1000))
}

# The suite file and line that led to the current helper call.
_jq_where() {
  local i
  for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
    if [[ ${BASH_SOURCE[i]} == "$_jq_suite_file" ]]; then
      echo "${_jq_suite_file##*/}:${BASH_LINENO[i - 1]}"
      return
    fi
  done
  # Not from the suite (setup): the caller of fail().
  local file=${BASH_SOURCE[2]:-?}
  echo "${file##*/}:${BASH_LINENO[1]:-?}"
}

# Print at most 30 lines of a text, indented, for a failure report.
_jq_excerpt() {
  local label=$1 text=$2
  if [[ -z $text ]]; then
    printf '    %s: (empty)\n' "$label"
    return
  fi
  printf '    %s:\n' "$label"
  printf '%s\n' "$text" | head -n 30 | sed 's/^/      | /'
  local n
  n=$(printf '%s\n' "$text" | wc -l)
  if ((n > 30)); then
    printf '      | ... (%d lines in all)\n' "$n"
  fi
}

# Is PID one of our children that has not exited yet? (A child that exited
# but was not waited for is a zombie, which `kill -0` still finds.)
_jq_alive() {
  local stat
  { read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# Wait at most SECS for PID to exit; 0 if it did.
_jq_wait_exit() {
  local pid=$1 secs=$2 deadline
  deadline=$(($(_jq_now_ms) + secs * 1000))
  while _jq_alive "$pid"; do
    if (($(_jq_now_ms) >= deadline)); then
      return 1
    fi
    sleep 0.05
  done
  return 0
}

# Send SIG to PID, wait at most SECS, then SIGKILL. Sets _jq_rc to its exit
# status; returns 1 if it had to be killed.
_jq_signal_and_reap() {
  local pid=$1 sig=$2 secs=$3 forced=0
  kill "-$sig" "$pid" 2>/dev/null
  if ! _jq_wait_exit "$pid" "$secs"; then
    kill -KILL "$pid" 2>/dev/null
    forced=1
  fi
  wait "$pid" 2>/dev/null
  _jq_rc=$?
  return "$forced"
}

# Map the harness's command names to the real binaries; sets _jq_cmd.
_jq_resolve() {
  case $1 in
    submit)
      shift
      _jq_cmd=("$JQ_SUBMIT" --redis "$REDIS_URL" "$@")
      ;;
    inspect)
      shift
      # The common options belong to jq-inspect itself, before the
      # subcommand: jq-inspect --redis URL [-q Q] counts --json.
      _jq_cmd=("$JQ_INSPECT" --redis "$REDIS_URL" "$@")
      ;;
    worker)
      shift
      _jq_cmd=("$JQ_WORKER" --redis "$REDIS_URL" "$@")
      ;;
    *) _jq_cmd=("$@") ;;
  esac
}

_jq_end_test() {
  if [[ -z $_jq_test ]]; then
    return
  fi
  local pid
  for pid in "${_jq_test_workers[@]}"; do
    if _jq_alive "$pid"; then
      _jq_signal_and_reap "$pid" TERM "$JQ_E2E_STOP_TIMEOUT"
    fi
  done
  for pid in "${_jq_bg_pid[@]}"; do
    if _jq_alive "$pid"; then
      _jq_signal_and_reap "$pid" TERM 5
    fi
  done
  _jq_bg_pid=()
  local secs
  secs=$(awk -v ms=$(($(_jq_now_ms) - _jq_test_start)) \
    'BEGIN { printf "%.1f", ms / 1000 }')
  if [[ $_jq_test_failed == true ]]; then
    _jq_failed=$((_jq_failed + 1))
    printf 'FAILED  %s: "%s" (%s s, files in %s)\n' \
      "$_jq_suite" "$_jq_test" "$secs" "$TEST_DIR"
    local log
    for log in "$TEST_DIR"/worker-*.log; do
      if [[ -f $log ]]; then
        printf '    last lines of %s:\n' "${log##*/}"
        tail -n 15 "$log" | sed 's/^/      | /'
      fi
    done
  else
    _jq_passed=$((_jq_passed + 1))
    printf 'ok      %s: "%s" (%s s)\n' "$_jq_suite" "$_jq_test" "$secs"
  fi
  _jq_test=
  _jq_test_workers=()
}

_jq_finish() {
  _jq_end_test
  if ((_jq_passed + _jq_failed == 0)); then
    echo "FAIL $_jq_suite: the suite ran no test"
    _jq_failed=1
  fi
  _jq_finished=true
  local secs
  secs=$(awk -v ms=$(($(_jq_now_ms) - _jq_suite_start)) \
    'BEGIN { printf "%.1f", ms / 1000 }')
  echo "suite $_jq_suite: $secs s"
  echo "$_jq_passed passed, $_jq_failed failed"
  if ((_jq_failed > 0)); then
    exit 1
  fi
  exit 0
}

_jq_cleanup() {
  if [[ $_jq_cleaned == true ]]; then
    return
  fi
  _jq_cleaned=true
  local pid
  for pid in "${_jq_pids[@]}"; do
    if _jq_alive "$pid"; then
      kill -TERM "$pid" 2>/dev/null
    fi
  done
  for pid in "${_jq_pids[@]}"; do
    if _jq_alive "$pid"; then
      _jq_signal_and_reap "$pid" TERM 5
    fi
  done
  jq_stop_redis
  if [[ -n $tmp && -d $tmp ]]; then
    if ((_jq_failed > 0)) || [[ $_jq_finished != true \
      || $_jq_setup_failed == true || ${JQ_E2E_KEEP:-} == 1 ]]; then
      echo "kept the files of suite $_jq_suite in $tmp"
    else
      rm -rf "$tmp"
    fi
  fi
}

_jq_on_exit() {
  local status=$?
  if [[ $_jq_finished != true ]]; then
    # The suite exited (or bash gave up on it) before its end.
    echo "FAIL $_jq_suite: the suite stopped early (status $status)" \
      "in test \"${_jq_test:-<none>}\""
    _jq_failed=$((_jq_failed + 1))
    _jq_cleanup
    echo "$_jq_passed passed, $_jq_failed failed"
    exit 1
  fi
  _jq_cleanup
  exit "$status"
}

_jq_on_signal() {
  trap - INT TERM
  echo "interrupted"
  _jq_failed=$((_jq_failed + 1))
  _jq_finished=true
  _jq_cleanup
  echo "$_jq_passed passed, $_jq_failed failed"
  exit "$1"
}

# ---------------------------------------------------------------- tests

# Start a test named NAME; with FUNCTION [ARGS...], run it as the test's body.
TEST() {
  _jq_end_test
  _jq_test=$1
  _jq_test_failed=false
  _jq_test_index=$((_jq_test_index + 1))
  TEST_DIR=$(printf '%s/%02d' "$tmp" "$_jq_test_index")
  mkdir -p "$TEST_DIR"
  printf '%s\n' "$_jq_test" >"$TEST_DIR/NAME"
  _jq_test_start=$(_jq_now_ms)
  if ! _jq_alive "$REDIS_PID"; then
    fail "redis-server (pid $REDIS_PID) is gone"
  elif [[ $(rcli flushall 2>&1) != OK ]]; then
    fail "redis FLUSHALL failed"
  fi
  if (($# > 1)); then
    shift
    "$@"
    _jq_end_test
  fi
}

fail() {
  local where
  where=$(_jq_where)
  if [[ -z $_jq_test ]]; then
    _jq_failed=$((_jq_failed + 1))
    _jq_setup_failed=true
  fi
  _jq_test_failed=true
  printf 'FAIL    %s: "%s" at %s: %s\n' \
    "$_jq_suite" "${_jq_test:-<suite setup>}" "$where" "$1"
  shift
  local line
  for line in "$@"; do
    printf '%s\n' "$line"
  done
  return 1
}

# ---------------------------------------------------------------- commands

submit() {
  _jq_resolve submit "$@"
  "${_jq_cmd[@]}"
}

inspect() {
  _jq_resolve inspect "$@"
  "${_jq_cmd[@]}"
}

rcli() {
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"
}

# Does the list KEY hold exactly N entries?
llen_is() {
  [[ $(rcli llen "$1") == "$2" ]]
}

# Is job ID in the completed set?
in_completed() {
  [[ -n $(rcli zscore bull:jq:completed "$1") ]]
}

# Is job ID in the failed set?
in_failed() {
  [[ -n $(rcli zscore bull:jq:failed "$1") ]]
}

# redeliver ID: deliver finished job ID again, as a stalled check does for a
# job whose worker died after its SQL committed: back in line with the same
# id and timestamp, so the same ledger key. Prints the script's 1.
redeliver() {
  rcli eval "redis.call('zrem', KEYS[1], ARGV[1]) redis.call('hdel', KEYS[2], 'finishedOn', 'returnvalue', 'processedOn') redis.call('rpush', KEYS[3], ARGV[1]) return 1" \
    3 bull:jq:completed "bull:jq:$1" bull:jq:wait "$1"
}

run() {
  _jq_resolve "$@"
  OUT_FILE=$TEST_DIR/run.out
  ERR_FILE=$TEST_DIR/run.err
  local start
  start=$(_jq_now_ms)
  timeout --preserve-status -k 5 "$JQ_E2E_CMD_TIMEOUT" "${_jq_cmd[@]}" \
    >"$OUT_FILE" 2>"$ERR_FILE" </dev/null
  RC=$?
  ELAPSED_MS=$(($(_jq_now_ms) - start))
  OUT=$(<"$OUT_FILE")
  ERR=$(<"$ERR_FILE")
  _jq_last_cmd=$*
  if ((ELAPSED_MS >= JQ_E2E_CMD_TIMEOUT * 1000)); then
    fail "the harness killed a command after ${JQ_E2E_CMD_TIMEOUT} s: $*"
  fi
  return 0
}

# Like run, but the command reads FILE on stdin.
run_input() {
  local input=$1
  shift
  _jq_resolve "$@"
  OUT_FILE=$TEST_DIR/run.out
  ERR_FILE=$TEST_DIR/run.err
  local start
  start=$(_jq_now_ms)
  timeout --preserve-status -k 5 "$JQ_E2E_CMD_TIMEOUT" "${_jq_cmd[@]}" \
    >"$OUT_FILE" 2>"$ERR_FILE" <"$input"
  RC=$?
  ELAPSED_MS=$(($(_jq_now_ms) - start))
  OUT=$(<"$OUT_FILE")
  ERR=$(<"$ERR_FILE")
  _jq_last_cmd=$*
  if ((ELAPSED_MS >= JQ_E2E_CMD_TIMEOUT * 1000)); then
    fail "the harness killed a command after ${JQ_E2E_CMD_TIMEOUT} s: $*"
  fi
  return 0
}

# Like run_bg, but the command reads FILE on stdin; BG_PID is its pid.
run_bg_input() {
  local name=$1 input=$2
  shift 2
  _jq_resolve "$@"
  "${_jq_cmd[@]}" >"$TEST_DIR/$name.out" 2>"$TEST_DIR/$name.err" <"$input" &
  BG_PID=$!
  _jq_bg_pid[$name]=$BG_PID
  _jq_pids+=("$BG_PID")
}

run_bg() {
  local name=$1
  shift
  _jq_resolve "$@"
  "${_jq_cmd[@]}" >"$TEST_DIR/$name.out" 2>"$TEST_DIR/$name.err" </dev/null &
  _jq_bg_pid[$name]=$!
  _jq_pids+=("$!")
}

wait_bg() {
  local name=$1 secs=$((${2:-60} * JQ_E2E_SLOWDOWN))
  local pid=${_jq_bg_pid[$name]:-}
  OUT_FILE=$TEST_DIR/$name.out
  ERR_FILE=$TEST_DIR/$name.err
  if [[ -z $pid ]]; then
    fail "no background command named '$name'"
    RC=-1
    return 1
  fi
  if ! _jq_wait_exit "$pid" "$secs"; then
    fail "background command '$name' still running after $secs s"
    _jq_signal_and_reap "$pid" KILL 5
    RC=-1
  else
    wait "$pid"
    RC=$?
  fi
  unset "_jq_bg_pid[$name]"
  OUT=$(<"$OUT_FILE")
  ERR=$(<"$ERR_FILE")
  return 0
}

start_worker() {
  _jq_worker_count=$((_jq_worker_count + 1))
  WORKER_LOG=$TEST_DIR/worker-$_jq_worker_count.log
  "$JQ_WORKER" --redis "$REDIS_URL" "$@" \
    >"$TEST_DIR/worker-$_jq_worker_count.out" 2>"$WORKER_LOG" </dev/null &
  WORKER_PID=$!
  _jq_pids+=("$WORKER_PID")
  _jq_test_workers+=("$WORKER_PID")
  local deadline
  deadline=$(($(_jq_now_ms) + JQ_E2E_READY_TIMEOUT * 1000))
  while ! grep -q ready "$WORKER_LOG"; do
    if ! _jq_alive "$WORKER_PID"; then
      wait "$WORKER_PID"
      local status=$?
      fail "jq-worker $* exited with status $status before saying ready" \
        "$(_jq_excerpt log "$(<"$WORKER_LOG")")"
      return 1
    fi
    if (($(_jq_now_ms) >= deadline)); then
      fail "jq-worker $* did not say ready within $JQ_E2E_READY_TIMEOUT s" \
        "$(_jq_excerpt log "$(<"$WORKER_LOG")")"
      return 1
    fi
    sleep 0.05
  done
  return 0
}

stop_worker() {
  local pid=${1:-$WORKER_PID} sig=${2:-TERM}
  if ! _jq_signal_and_reap "$pid" "$sig" "$JQ_E2E_STOP_TIMEOUT"; then
    WORKER_RC=$_jq_rc
    fail "jq-worker (pid $pid) still running $JQ_E2E_STOP_TIMEOUT s after" \
      "SIG$sig; killed it"
    return 1
  fi
  WORKER_RC=$_jq_rc
  return 0
}

# A figure worth keeping from a test run (timings, counts): on stderr,
# prefixed with the suite's name, so the ctest log shows it.
measured() {
  echo "$_jq_suite: $*" >&2
}

wait_until() {
  local secs=$1 deadline
  shift
  deadline=$(($(_jq_now_ms) + secs * JQ_E2E_SLOWDOWN * 1000))
  until "$@"; do
    if (($(_jq_now_ms) >= deadline)); then
      return 1
    fi
    sleep 0.1
  done
  return 0
}

json_query() {
  "$JQ_PYTHON" -S -c '
import json, sys
d = json.loads(sys.stdin.read())
r = eval(sys.argv[1], {"json": json}, {"d": d})
print(json.dumps(r, separators=(",", ":"), sort_keys=True))
' "$2" <<<"$1"
}

# Like json_query, but a string result is printed as is (no quotes).
json_get() {
  "$JQ_PYTHON" -S -c '
import json, sys
d = json.loads(sys.stdin.read())
r = eval(sys.argv[1], {"json": json}, {"d": d})
print(r if isinstance(r, str) else json.dumps(r, separators=(",", ":")))
' "$2" <<<"$1"
}

# ---------------------------------------------------------------- assertions

expect_exit() {
  local code=$1
  shift
  run "$@"
  if [[ $RC != "$code" ]]; then
    fail "exit status: expected $code, got $RC" \
      "    command: $*" \
      "$(_jq_excerpt stdout "$OUT")" \
      "$(_jq_excerpt stderr "$ERR")"
    return 1
  fi
  return 0
}

expect_eq() {
  local actual=$1 expected=$2 what=${3:-value}
  if [[ $actual != "$expected" ]]; then
    fail "$what differs" \
      "$(_jq_excerpt expected "$expected")" \
      "$(_jq_excerpt got "$actual")"
    return 1
  fi
  return 0
}

expect_contains() {
  local text=$1 needle=$2 what=${3:-text}
  if [[ $text != *"$needle"* ]]; then
    fail "$what does not contain '$needle'" "$(_jq_excerpt "$what" "$text")"
    return 1
  fi
  return 0
}

expect_not_contains() {
  local text=$1 needle=$2 what=${3:-text}
  if [[ $text == *"$needle"* ]]; then
    fail "$what contains '$needle'" "$(_jq_excerpt "$what" "$text")"
    return 1
  fi
  return 0
}

expect_match() {
  local text=$1 regex=$2 what=${3:-text}
  if ! [[ $text =~ $regex ]]; then
    fail "$what does not match /$regex/" "$(_jq_excerpt "$what" "$text")"
    return 1
  fi
  return 0
}

expect_lt() {
  local a=$1 b=$2 what=${3:-value}
  if ! [[ $a =~ ^-?[0-9]+$ && $b =~ ^-?[0-9]+$ ]] || ((a >= b)); then
    fail "$what: expected $a < $b"
    return 1
  fi
  return 0
}

expect_json() {
  local json=$1 expr=$2 expected=$3 report
  # One python run: prints nothing when equal, else what differs.
  if ! report=$("$JQ_PYTHON" -S -c '
import json, sys
expr, expected = sys.argv[1], sys.argv[2]
try:
    want = json.loads(expected)
except ValueError as e:
    print(f"bad expected JSON in the test: {e}")
    sys.exit(0)
d = json.loads(sys.stdin.read())
got = eval(expr, {"json": json}, {"d": d})
# Compared as canonical text, so 1, 1.0 and true stay different.
dump = lambda v: json.dumps(v, separators=(",", ":"), sort_keys=True)
if dump(got) != dump(want):
    print("    expected: " + dump(want))
    print("    got:      " + dump(got))
' "$expr" "$expected" 2>&1 <<<"$json"); then
    fail "cannot evaluate $expr on the JSON" "$(_jq_excerpt json "$json")" \
      "$(_jq_excerpt python "$report")"
    return 1
  fi
  if [[ -n $report ]]; then
    fail "$expr differs" "$report" "$(_jq_excerpt json "$json")"
    return 1
  fi
  return 0
}

expect_file_lines() {
  local file=$1 n=$2 count
  if [[ ! -f $file ]]; then
    fail "no file $file"
    return 1
  fi
  count=$(wc -l <"$file")
  if ((count != n)); then
    fail "$file: expected $n lines, got $count" \
      "$(_jq_excerpt "${file##*/}" "$(<"$file")")"
    return 1
  fi
  return 0
}

expect_file_contains() {
  local file=$1 needle=$2
  if [[ ! -f $file ]]; then
    fail "no file $file"
    return 1
  fi
  if ! grep -qF -- "$needle" "$file"; then
    fail "$file does not contain '$needle'" \
      "$(_jq_excerpt "${file##*/}" "$(<"$file")")"
    return 1
  fi
  return 0
}

# ---------------------------------------------------------------- SQL

# Run Python over SQLite file FILE: sql_file FILE SQL (a script).
sql_file() {
  "$JQ_PYTHON" -S -c '
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript(sys.argv[2])
db.commit()
' "$1" "$2"
}

# Print the single value of a query on SQLite file FILE.
sql_value() {
  "$JQ_PYTHON" -S -c '
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])
' "$1" "$2"
}

# The worker still answers: a `select 1` right after comes back.
expect_worker_serves() {
  if ! _jq_alive "$WORKER_PID"; then
    fail "jq-worker (pid $WORKER_PID) is gone"
    return 1
  fi
  expect_exit 0 submit --db "${1:-app}" --sql 'select 1' --format value \
    --timeout 10s || return 1
  expect_eq "$OUT" 1 "select 1 after the bad job"
}

# refuse ID DB NEEDLE SQL: the job fails (exit 1) with NEEDLE in its reason
# (on stderr, in the envelope and as Bull's failedReason), then the worker
# answers the next job.
refuse() {
  local id=$1 db=$2 needle=$3 sql=$4
  expect_exit 1 submit --db "$db" --format json --job-id "$id" --sql "$sql" \
    --timeout 20s || return 1
  expect_contains "$ERR" "jq-submit: error: job $id failed" "stderr of $id"
  expect_contains "$ERR" "$needle" "stderr of $id"
  expect_json "$OUT" 'd["status"]' '"failed"'
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" "$needle" \
    "error message of $id"
  expect_contains "$(rcli hget "bull:jq:$id" failedReason)" "$needle" \
    "failedReason of $id"
  expect_worker_serves "$db"
}

# ---------------------------------------------------------------- main

jq_e2e_main() {
  _jq_suite_start=$(_jq_now_ms)
  if ! _jq_suite_file=$(realpath -e "$1"); then
    echo "no suite $1" >&2
    exit 2
  fi
  _jq_suite=${_jq_suite_file##*/}
  _jq_suite=${_jq_suite%.bash}

  # Only what the tests pass explicitly reaches the tools.
  unset JQ_REDIS_URL JQ_PREFIX JQ_QUEUE

  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  JQ_SUBMIT=${JQ_SUBMIT:-$root/build/bin/jq-submit}
  JQ_WORKER=${JQ_WORKER:-$root/build/bin/jq-worker}
  JQ_INSPECT=${JQ_INSPECT:-$root/build/bin/jq-inspect}
  export JQ_SUBMIT JQ_WORKER JQ_INSPECT

  if ! tmp=$(mktemp -d "${TMPDIR:-/tmp}/jq-e2e-$_jq_suite.XXXXXX"); then
    echo "cannot create a temporary directory" >&2
    exit 1
  fi
  trap _jq_on_exit EXIT
  trap '_jq_on_signal 130' INT
  trap '_jq_on_signal 143' TERM

  echo "suite $_jq_suite: files in $tmp"
  local bin
  for bin in "$JQ_SUBMIT" "$JQ_WORKER" "$JQ_INSPECT"; do
    if [[ ! -x $bin ]]; then
      fail "no executable $bin (build first, or set JQ_SUBMIT/JQ_WORKER/JQ_INSPECT)"
    fi
  done
  local tool
  for tool in redis-server redis-cli python3 timeout; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      fail "$tool not found (run scripts/install-deps)"
    fi
  done
  # A syntax error would make `source` stop quietly part way through.
  local syntax
  if ! syntax=$(bash -n "$_jq_suite_file" 2>&1); then
    fail "the suite does not parse" "$syntax"
  fi
  if [[ $_jq_setup_failed == true ]]; then
    _jq_finish
  fi
  # The interpreter itself, not a version manager's shim (slow to start).
  JQ_PYTHON=$(python3 -c 'import sys; print(sys.executable)')
  JQ_PYTHON=${JQ_PYTHON:-python3}
  mkdir -p "$tmp/redis"
  if ! jq_start_redis "$tmp/redis"; then
    fail "cannot start redis-server"
    _jq_finish
  fi
  echo "suite $_jq_suite: redis-server pid $REDIS_PID at $REDIS_URL"

  # shellcheck source=/dev/null
  source "$_jq_suite_file"
  _jq_finish
}
