# shellcheck shell=bash
# shellcheck disable=SC2154 # $tmp, $OUT, ... come from tests/e2e/lib.sh
# Under systemd, with stderr going to the journal, each log line starts with
# its syslog priority (<3> error, <4> warning, <6> info, <7> debug), which
# journald strips and files the line under, so `journalctl -p warning` keeps
# warnings and errors; a JSON line also has "PRIORITY":"N". Elsewhere the
# lines are as they were. No journald here: the "journal" is a file whose
# device and inode JOURNAL_STREAM names, as systemd names the stream it
# hands a service (the tools check that stderr is that very file).

# About 3 s of work for SQLite: still running when the grace runs out.
slow_sql='WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 20000000) SELECT count(*) FROM c'

# DEVICE:INODE of FILE, as systemd writes JOURNAL_STREAM.
stream_of() {
  stat -L -c '%d:%i' "$1"
}

worker_is_ready() {
  grep -q 'ready' "$TEST_DIR/$1.err"
}

# Start jq-worker ARGS... in the background as NAME (stderr in
# $TEST_DIR/NAME.err) with JOURNAL_STREAM=STREAM, or unset if STREAM is "";
# "self" names its own stderr file. Waits until it is ready; BG_PID.
start_logged_worker() {
  local name=$1 stream=$2
  shift 2
  # The redirection of run_bg_input truncates this file: same inode.
  : >"$TEST_DIR/$name.err"
  if [[ $stream == self ]]; then
    stream=$(stream_of "$TEST_DIR/$name.err")
  fi
  local environment=(env -u JOURNAL_STREAM)
  if [[ -n $stream ]]; then
    environment=(env JOURNAL_STREAM="$stream")
  fi
  run_bg_input "$name" /dev/null "${environment[@]}" "$JQ_WORKER" \
    --redis "$REDIS_URL" "$@"
  if ! wait_until 10 worker_is_ready "$name"; then
    fail "jq-worker $* did not say ready" \
      "$(_jq_excerpt stderr "$(<"$TEST_DIR/$name.err")")"
    return 1
  fi
}

# Run a worker as NAME: a job that outlives --grace, then SIGTERM, so that
# it logs info, warnings and (with -v) debug lines. Sets RC, ERR.
run_interrupted_worker() {
  local name=$1 stream=$2
  shift 2
  start_logged_worker "$name" "$stream" --db app="$TEST_DIR/app.sqlite" \
    --grace 300ms "$@" || return
  local pid=$BG_PID
  expect_exit 0 submit --db app --no-wait --job-id long --sql "$slow_sql" ||
    return
  if ! wait_until 10 llen_is bull:jq:active 1; then
    fail "the long job did not become active within 10 s"
    return 1
  fi
  kill -TERM "$pid"
  wait_bg "$name" 30
}

# Each line of TEXT starts with <N>, N one of PRIORITIES (e.g. 3467).
expect_prefixed_lines() {
  local text=$1 priorities=$2 what=$3 line
  while IFS= read -r line; do
    if ! [[ $line =~ ^\<[$priorities]\> ]]; then
      fail "$what: a line without its priority: $line" \
        "$(_jq_excerpt "$what" "$text")"
      return 1
    fi
  done <<<"$text"
}

test_text_lines() {
  run_interrupted_worker worker self -v || return
  expect_eq "$RC" 0 "jq-worker exit status after SIGTERM"
  expect_prefixed_lines "$ERR" 467 "jq-worker's stderr"
  local pid='[0-9]+'
  local stamp='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{3}Z'
  expect_match "$ERR" $'(^|\n)<6>\\['"$stamp $pid"'\] jq-worker info: ready: ' \
    "the ready line"
  expect_match "$ERR" $'(^|\n)<7>\\['"$stamp $pid"'\] jq-worker debug: ' \
    "a debug line"
  expect_match "$ERR" $'(^|\n)<4>\\['"$stamp $pid"'\] jq-worker warn: grace ran out' \
    "the grace warning"
  expect_match "$ERR" $'(^|\n)<4>\\['"$stamp $pid"'\] jq-worker warn: job long interrupted by shutdown' \
    "the job's warning"
  expect_match "$ERR" $'(^|\n)<6>\\['"$stamp $pid"'\] jq-worker info: stopped: ' \
    "the stopped line"
}
TEST "text: each line starts with <N> when stderr is the journal" test_text_lines

test_json_lines() {
  run_interrupted_worker worker self --log-format json || return
  expect_eq "$RC" 0 "jq-worker exit status after SIGTERM"
  expect_prefixed_lines "$ERR" 46 "jq-worker's stderr"
  # Without its <N> (which journald strips) each line is a JSON object
  # whose PRIORITY is N, right after its level.
  local report
  report=$("$JQ_PYTHON" -S -c '
import json, re, sys
levels = {"error": "3", "warn": "4", "info": "6", "debug": "7"}
seen = set()
for line in sys.stdin.read().splitlines():
    m = re.match(r"<(\d)>(\{.*\})$", line)
    if not m:
        print("not <N>{...}: " + line)
        continue
    d = json.loads(m.group(2))
    keys = list(d)
    if keys[:3] != ["time", "level", "PRIORITY"]:
        print("members out of order: " + line)
    if d.get("PRIORITY") != m.group(1) or levels[d["level"]] != m.group(1):
        print("priority and level disagree: " + line)
    seen.add(d["PRIORITY"])
if seen != {"4", "6"}:
    print("priorities seen: " + ",".join(sorted(seen)))
' <<<"$ERR")
  expect_eq "$report" "" "the JSON lines"
  expect_contains "$ERR" '<4>{"time":' "stderr"
  expect_contains "$ERR" '"level":"warn","PRIORITY":"4","program":"jq-worker"' \
    "stderr"
}
TEST "json: <N> and a PRIORITY member when stderr is the journal" test_json_lines

test_json_error() {
  # Nothing listens on port 1: the last words are an error line.
  : >"$TEST_DIR/run.err"
  run env JOURNAL_STREAM="$(stream_of "$TEST_DIR/run.err")" "$JQ_WORKER" \
    --redis redis://127.0.0.1:1 --db app="$TEST_DIR/app.sqlite" \
    --log-format json
  expect_eq "$RC" 69 "jq-worker exit status without Redis"
  expect_match "$ERR" $'(^|\n)<3>\\{"time":"[^"]*","level":"error","PRIORITY":"3",' \
    "jq-worker's stderr"
}
TEST "json: an error line is <3> with PRIORITY 3" test_json_error

test_submit_debug() {
  : >"$TEST_DIR/run.err"
  run env JOURNAL_STREAM="$(stream_of "$TEST_DIR/run.err")" "$JQ_SUBMIT" \
    --redis "$REDIS_URL" -v --db app --no-wait --sql 'select 1'
  expect_eq "$RC" 0 "jq-submit exit status"
  expect_match "$ERR" $'^<7>\\[[^]]*\\] jq-submit debug: ' "jq-submit -v's stderr"
  expect_prefixed_lines "$ERR" 7 "jq-submit -v's stderr"
}
TEST "jq-submit -v: debug lines are <7> when stderr is the journal" test_submit_debug

test_not_the_journal() {
  # No JOURNAL_STREAM: lines as they always were.
  run_interrupted_worker plain "" || return
  expect_eq "$RC" 0 "jq-worker exit status after SIGTERM"
  expect_match "$ERR" $'^\\[[^]]*\\] jq-worker info: ready: ' "stderr"
  expect_not_contains $'\n'"$ERR" $'\n<' "stderr without JOURNAL_STREAM"
  expect_contains "$ERR" "jq-worker warn: grace ran out" "stderr"

  # JOURNAL_STREAM inherited from a service, stderr somewhere else: not
  # the journal either.
  rcli flushall >/dev/null
  : >"$TEST_DIR/elsewhere.err"
  run_interrupted_worker inherited "$(stream_of "$TEST_DIR/elsewhere.err")" \
    --log-format json || return
  expect_eq "$RC" 0 "jq-worker exit status after SIGTERM"
  expect_match "$ERR" '^\{"time":' "stderr"
  expect_not_contains $'\n'"$ERR" $'\n<' "stderr with another JOURNAL_STREAM"
  expect_not_contains "$ERR" PRIORITY "stderr with another JOURNAL_STREAM"
}
TEST "not the journal: no priorities, with or without JOURNAL_STREAM" test_not_the_journal
