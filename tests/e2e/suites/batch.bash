# shellcheck shell=bash
# shellcheck disable=SC2154 # $tmp, $OUT, ... come from tests/e2e/lib.sh
# Batch mode and re-attaching: jq-submit --stdin (JSON Lines in, one reply
# line per job line out, bad lines reported, bounded memory, progress on a
# terminal only), --no-wait and --wait ID (reply, unknown id, reply no longer
# kept, job still running), existing job ids, and a batch that outlives a
# Redis restart.
#
# Figures the lead quotes go to stderr as "batch: ...": peak RSS of
# jq-submit for 10,000 and 20,000 lines, jobs/s with one worker (-c 4), and
# the Redis outage and recovery times.

# The select of the volume tests: `select ?` with the line number as its
# parameter, so each reply can be checked against its line.
rss_limit_kib=$((64 * 1024))
# Counts to 8 million: a few seconds of work, so a --wait catches it running.
slow_sql='WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 8000000) SELECT count(*) FROM c'

now_ms() {
  date +%s%3N
}

# Is job $2 in the zset P:Q:$1 (completed, failed, ...)?
in_zset() {
  [[ -n $(rcli zscore "bull:jq:$1" "$2") ]]
}

key_exists() {
  [[ $(rcli exists "$1") == 1 ]]
}

lines_of() {
  if [[ -f $1 ]]; then
    wc -l <"$1"
  else
    echo 0
  fi
}

# Write N job lines to FILE: line K is {"db":"app","sql":"select ?",
# "params":[K]}, except the lines listed in BAD (comma-separated), which
# are malformed, each in its own way (cycling through the kinds below).
make_input() {
  local file=$1 n=$2 bad=${3:-}
  "$JQ_PYTHON" -S -c '
import json, sys
path, n, bad = sys.argv[1], int(sys.argv[2]), sys.argv[3]
bad = [int(x) for x in bad.split(",") if x]
kinds = [
    lambda k: "{\"db\": \"app\", \"sql\": \"select ?\", \"params\": [%d" % k,  # cut short
    lambda k: "not json at all %d" % k,
    lambda k: json.dumps({"db": "app", "params": [k]}),                   # no sql
    lambda k: json.dumps({"db": "app", "sql": "select ?", "params": [k], "bogus": 1}),
    lambda k: json.dumps({"db": "app", "sql": "select ?", "params": str(k)}),
    lambda k: json.dumps({"db": "app", "sql": "select ?", "rows": k}),
    lambda k: json.dumps([k]),                                            # not an object
    lambda k: json.dumps({"db": "app", "sql": "select ?", "params": [k], "attempts": 0}),
    lambda k: json.dumps({"db": "app", "sql": "select ?", "params": [k], "timeout": "soon"}),
    lambda k: json.dumps({"sql": "select ?", "params": [k]}),             # no db
]
kind_of = {line: kinds[i % len(kinds)] for i, line in enumerate(bad)}
with open(path, "w") as f:
    for k in range(1, n + 1):
        if k in kind_of:
            f.write(kind_of[k](k) + "\n")
        else:
            f.write(json.dumps({"db": "app", "sql": "select ?", "params": [k]}) + "\n")
' "$file" "$n" "$bad"
}

# Check the reply lines in FILE for an input made by make_input FILE N BAD:
# exactly one line per input line, each with the envelope's fields; the BAD
# lines "invalid" with a reason, every other line "completed" with its own
# line number as result; with ORDERED=ordered the lines in input order.
# Prints what is wrong (at most 10 problems), nothing if all is right.
check_replies() {
  local file=$1 n=$2 bad=${3:-} ordered=${4:-}
  "$JQ_PYTHON" -S -c '
import json, sys
path, n, bad, ordered = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
bad = {int(x) for x in bad.split(",") if x}
problems = []
def problem(text):
    if len(problems) < 10:
        problems.append(text)
keys = {"line", "id", "status", "result", "error", "attempts", "elapsed_ms"}
lines, ids = [], set()
with open(path) as f:
    for number, text in enumerate(f, 1):
        try:
            d = json.loads(text)
        except ValueError:
            problem(f"output line {number} is not JSON: {text[:200]!r}")
            continue
        if not isinstance(d, dict) or set(d) != keys:
            problem(f"output line {number} has keys {sorted(d) if isinstance(d, dict) else d!r}")
            continue
        line = d["line"]
        lines.append(line)
        if line in bad:
            msg = (d["error"] or {}).get("message") if isinstance(d["error"], dict) else None
            if d["status"] != "invalid" or not isinstance(msg, str) or not msg.strip():
                problem(f"line {line} (malformed): expected status invalid with a message, got {text.strip()[:300]}")
            if d["result"] is not None:
                problem(f"line {line} (malformed): result is not null")
        else:
            rows = (d["result"] or {}).get("rows") if isinstance(d["result"], dict) else None
            if d["status"] != "completed" or rows != [[line]] or d["error"] is not None:
                problem(f"line {line}: expected completed with rows [[{line}]], got {text.strip()[:300]}")
            if not isinstance(d["id"], str) or not d["id"]:
                problem(f"line {line}: no job id")
            else:
                ids.add(d["id"])
            attempts = d["attempts"]
            if attempts != 1:
                problem(f"line {line}: attempts {attempts!r}, expected 1")
if len(lines) != n:
    problem(f"{len(lines)} reply lines, expected {n}")
if sorted(lines) != list(range(1, n + 1)):
    seen = set(lines)
    missing = [k for k in range(1, n + 1) if k not in seen]
    extra = sorted(k for k in seen if not 1 <= k <= n)
    dups = len(lines) - len(seen)
    problem(f"the line numbers are not 1..{n} once each: missing {missing[:10]} "
            f"({len(missing)} in all), out of range {extra[:10]}, {dups} repeated")
elif ordered == "ordered" and lines != list(range(1, n + 1)):
    first = next(i for i, k in enumerate(lines) if k != i + 1)
    problem(f"--ordered: output line {first + 1} is for input line {lines[first]}")
if len(ids) != n - len(bad):
    problem(f"{len(ids)} distinct job ids for {n - len(bad)} valid lines")
print("\n".join(problems))
' "$file" "$n" "$bad" "$ordered"
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

# The peak RSS (KiB) that /usr/bin/time -f %M wrote to FILE.
rss_kib() {
  local value
  value=$(tail -n 1 "$1" 2>/dev/null)
  if [[ $value =~ ^[0-9]+$ ]]; then
    echo "$value"
  else
    echo "no figure in $1: $(tr '\n' ' ' <"$1" 2>/dev/null)"
  fi
}

# ------------------------------------------------------------ volume

# Malformed lines: the first and last lines, and eight in between.
bad_10k=1,1000,2222,3333,4444,5555,6666,7777,8888,10000

test_batch_10k() {
  if [[ ! -x /usr/bin/time ]]; then
    fail "/usr/bin/time not found (Debian package time; run scripts/install-deps)"
    return
  fi
  start_worker --db app="$TEST_DIR/app.sqlite" -c 4 || return
  local input=$TEST_DIR/10k.jsonl
  make_input "$input" 10000 "$bad_10k" || return
  expect_eq "$(wc -l <"$input")" 10000 "lines of the input" || return

  # As they finish (the default).
  run_input "$input" /usr/bin/time -f %M -o "$TEST_DIR/rss-unordered" \
    "$JQ_SUBMIT" --redis "$REDIS_URL" --stdin
  expect_eq "$RC" 1 "exit status of --stdin with 10 malformed lines" \
    || fail "stderr: $(head -c 2000 "$ERR_FILE")"
  expect_file_lines "$OUT_FILE" 10000
  expect_replies "$OUT_FILE" 10000 "$bad_10k"
  # Nothing was submitted for the malformed lines, nothing twice.
  expect_eq "$(rcli zcard bull:jq:completed)" 9990 "ZCARD completed"
  expect_eq "$(rcli zcard bull:jq:failed)" 0 "ZCARD failed"
  expect_eq "$(rcli llen bull:jq:wait)" 0 "LLEN wait"
  # The reasons say what is wrong.
  local reasons
  reasons=$("$JQ_PYTHON" -S -c '
import json, sys
for text in open(sys.argv[1]):
    d = json.loads(text)
    if d["status"] == "invalid":
        print(d["line"], d["error"]["message"])
' "$OUT_FILE" | sort -n)
  expect_match "$reasons" $'(^|\n)1 [^\n]*JSON' "reason of line 1 (cut short)"
  expect_match "$reasons" $'\n1000 [^\n]*JSON' "reason of line 1000 (not JSON)"
  expect_match "$reasons" $'\n2222 [^\n]*sql' "reason of line 2222 (no sql)"
  expect_match "$reasons" $'\n3333 [^\n]*bogus' "reason of line 3333 (unknown field)"
  expect_match "$reasons" $'\n4444 [^\n]*params' "reason of line 4444 (params a string)"
  expect_match "$reasons" $'\n5555 [^\n]*rows' "reason of line 5555 (rows a number)"
  expect_match "$reasons" $'\n7777 [^\n]*attempts' "reason of line 7777 (attempts 0)"
  expect_match "$reasons" $'\n8888 [^\n]*(duration|timeout)' "reason of line 8888 (timeout \"soon\")"
  expect_match "$reasons" $'\n10000 [^\n]*db' "reason of line 10000 (no db)"
  local rss_unordered
  rss_unordered=$(rss_kib "$TEST_DIR/rss-unordered")

  # In input order: the same, and lines 1..10000 in order.
  run_input "$input" /usr/bin/time -f %M -o "$TEST_DIR/rss-10k" \
    "$JQ_SUBMIT" --redis "$REDIS_URL" --stdin --ordered
  local ms_10k=$ELAPSED_MS
  expect_eq "$RC" 1 "exit status of --stdin --ordered with 10 malformed lines"
  expect_file_lines "$OUT_FILE" 10000
  expect_replies "$OUT_FILE" 10000 "$bad_10k" ordered
  expect_eq "$(rcli zcard bull:jq:completed)" $((2 * 9990)) "ZCARD completed"
  local rss_10k
  rss_10k=$(rss_kib "$TEST_DIR/rss-10k")

  # 20,000 good lines, in order: exit 0, and about the same memory.
  local input20=$TEST_DIR/20k.jsonl
  make_input "$input20" 20000 || return
  run_input "$input20" /usr/bin/time -f %M -o "$TEST_DIR/rss-20k" \
    "$JQ_SUBMIT" --redis "$REDIS_URL" --stdin --ordered
  local ms_20k=$ELAPSED_MS
  expect_eq "$RC" 0 "exit status of --stdin --ordered, 20,000 good lines" \
    || fail "stderr: $(head -c 2000 "$ERR_FILE")"
  expect_file_lines "$OUT_FILE" 20000
  expect_replies "$OUT_FILE" 20000 "" ordered
  local rss_20k
  rss_20k=$(rss_kib "$TEST_DIR/rss-20k")

  local rate=$((20000 * 1000 / (ms_20k > 0 ? ms_20k : 1)))
  measured "peak RSS of jq-submit --stdin: 10,000 lines ${rss_10k} KiB" \
    "(--ordered; ${rss_unordered} KiB unordered), 20,000 lines ${rss_20k} KiB (--ordered)"
  measured "throughput, one worker (-c 4), select ?: 20,000 jobs in ${ms_20k} ms" \
    "= ${rate} jobs/s (10,000 lines in ${ms_10k} ms)"
  if [[ -n $JQ_E2E_SANITIZED ]]; then
    echo "batch: memory bounds not checked in a sanitizer build (ASan's" \
      "shadow and quarantine); the plain build checks them" >&2
    return
  fi
  expect_lt "$rss_unordered" "$rss_limit_kib" "peak RSS (KiB), 10,000 lines unordered"
  expect_lt "$rss_10k" "$rss_limit_kib" "peak RSS (KiB), 10,000 lines --ordered"
  expect_lt "$rss_20k" "$rss_limit_kib" "peak RSS (KiB), 20,000 lines --ordered"
  # Bounded memory: twice the input, not much more memory (< 1.5x).
  if [[ $rss_10k =~ ^[0-9]+$ ]]; then
    expect_lt $((2 * rss_20k)) $((3 * rss_10k)) \
      "2 x RSS(20,000 lines) vs 3 x RSS(10,000 lines)"
  fi
}
TEST "--stdin: 10,000 lines, 10 malformed: every line answered, bounded memory" \
  test_batch_10k

# The status and error message of line N of FILE's replies, tab-separated.
reply_of() {
  "$JQ_PYTHON" -S -c '
import json, sys
for text in open(sys.argv[1]):
    d = json.loads(text)
    if d["line"] == int(sys.argv[2]):
        print(d["status"], (d["error"] or {}).get("message", ""), sep="\t")
' "$1" "$2"
}

test_oversized_lines() {
  start_worker --db app="$TEST_DIR/app.sqlite" -c 2 || return
  # Line 1's data is just over the default --max-payload-bytes (16 MiB),
  # its line short of what is read whole; line 3 is far longer still.
  local input=$TEST_DIR/oversized.jsonl
  "$JQ_PYTHON" -S -c '
import json, sys
big = "x" * (16 * 1024 * 1024 + 1000)
with open(sys.argv[1], "w") as out:
    out.write(json.dumps({"db": "app", "sql": "select length(?)", "params": [big]}) + "\n")
    out.write(json.dumps({"db": "app", "sql": "select 2"}) + "\n")
    out.write("[" + "1," * (50 * 1024 * 1024) + "1]\n")
    out.write(json.dumps({"db": "app", "sql": "select 4"}) + "\n")
' "$input" || return
  run_input "$input" "$JQ_SUBMIT" --redis "$REDIS_URL" --stdin
  expect_eq "$RC" 1 "exit status with two oversized lines" \
    || fail "stderr: $(head -c 2000 "$ERR_FILE")"
  expect_file_lines "$OUT_FILE" 4
  expect_match "$(reply_of "$OUT_FILE" 1)" $'^invalid\tjob data is [0-9]+ bytes, over --max-payload-bytes 16777216' \
    "reply to line 1 (data over the limit)"
  expect_eq "$(reply_of "$OUT_FILE" 2)" $'completed\t' "reply to line 2"
  expect_match "$(reply_of "$OUT_FILE" 3)" $'^invalid\tthe line is over [0-9]+ bytes.*read past, not kept' \
    "reply to line 3 (a line of 100 MiB)"
  expect_eq "$(reply_of "$OUT_FILE" 4)" $'completed\t' "reply to line 4"
  # Neither was sent: a worker would fail the first unrun, and a batch of
  # such jobs could pass what Redis takes in one command.
  expect_eq "$(rcli zcard bull:jq:completed)" 2 "ZCARD completed"
  expect_eq "$(rcli zcard bull:jq:failed)" 0 "ZCARD failed"

  # A long line is read past, never held whole: jq-submit stays small (it
  # holds at most the line limit of it, here 1 MiB and 64 KiB).
  "$JQ_PYTHON" -S -c '
import sys
with open(sys.argv[1], "w") as out:
    out.write("x" * (100 * 1024 * 1024) + "\n")
    out.write("{\"db\": \"app\", \"sql\": \"select 2\"}\n")
' "$input" || return
  run_input "$input" /usr/bin/time -f %M -o "$TEST_DIR/rss-long-line" \
    "$JQ_SUBMIT" --redis "$REDIS_URL" --stdin --max-payload-bytes 1048576
  expect_eq "$RC" 1 "exit status with a line of 100 MiB"
  expect_match "$(reply_of "$OUT_FILE" 1)" '^invalid' "reply to the line of 100 MiB"
  expect_eq "$(reply_of "$OUT_FILE" 2)" $'completed\t' "reply to the line after it"
  local rss
  rss=$(rss_kib "$TEST_DIR/rss-long-line")
  measured "peak RSS of jq-submit --stdin past a line of 100 MiB: ${rss} KiB"
  if [[ -z $JQ_E2E_SANITIZED ]]; then
    expect_lt "$rss" $((32 * 1024)) "peak RSS (KiB) past a line of 100 MiB"
  fi

  # Above the limit a user sets, and for one job from flags (a usage error).
  expect_exit 2 submit --db app --max-payload-bytes 10 --sql 'select 12345'
  expect_match "$ERR" 'over --max-payload-bytes 10' "error of an oversized job from flags"
  expect_exit 0 submit --db app --max-payload-bytes 100 --format value --sql 'select 6'
  expect_eq "$OUT" 6 "reply under a raised limit"
}
TEST "--stdin: lines over --max-payload-bytes are answered invalid, unsent, unheld" \
  test_oversized_lines

# ------------------------------------------------------------ --wait

test_no_wait_then_wait() {
  start_worker --db app="$TEST_DIR/app.sqlite" -c 4 || return
  expect_exit 0 submit --db app --no-wait --sql 'select ? as n' --param 42 \
    || return
  local id=$OUT
  expect_exit 0 submit --wait "$id" --timeout 20s --format json || return
  expect_file_lines "$OUT_FILE" 1
  expect_json "$OUT" '[d["id"], d["status"], d["result"]["columns"], d["result"]["rows"], d["error"]]' \
    "[\"$id\", \"completed\", [\"n\"], [[42]], null]"
  # Again: a kept reply can be fetched more than once.
  expect_exit 0 submit --wait "$id" --timeout 20s --format value
  expect_eq "$OUT" 42 "--wait --format value"

  # A failed job: --wait gives its envelope and exit 1.
  expect_exit 0 submit --db app --no-wait --job-id bad --sql 'select * from nope' \
    || return
  expect_exit 1 submit --wait bad --timeout 20s --format json
  expect_json "$OUT" '[d["id"], d["status"]]' '["bad", "failed"]'
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" "no such table: nope" \
    "error message of the failed job"

  # Several ids: one line each, exit 0 when all completed.
  expect_exit 0 submit --db app --no-wait --job-id second --sql 'select 2' \
    || return
  expect_exit 0 submit --wait "$id" second --timeout 20s
  expect_file_lines "$OUT_FILE" 2
  expect_eq "$("$JQ_PYTHON" -S -c '
import json, sys
print(sorted((d["id"], d["status"]) for d in map(json.loads, open(sys.argv[1]))))' \
    "$OUT_FILE")" "[('$id', 'completed'), ('second', 'completed')]" \
    "ids and statuses of --wait ID second"
}
TEST "--no-wait, then --wait ID gets the reply" test_no_wait_then_wait

test_coprocess_caller() {
  # A caller that writes one line, reads its reply, then writes the next
  # (a co-process), with the default window: every reply comes as soon as
  # its job ends, not when the window fills or the input ends.
  start_worker --db app="$TEST_DIR/app.sqlite" -c 4 || return
  _jq_resolve submit --stdin
  expect_exit 0 timeout 20 "$JQ_PYTHON" -S -c '
import json, subprocess, sys, time
caller = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True, bufsize=1)
slowest = 0
for n in range(20):
    started = time.monotonic()
    caller.stdin.write(json.dumps({"db": "app", "sql": "select ?",
                                   "params": [n]}) + "\n")
    caller.stdin.flush()
    reply = json.loads(caller.stdout.readline())
    slowest = max(slowest, time.monotonic() - started)
    assert reply["status"] == "completed" and reply["result"]["rows"] == [[n]], reply
caller.stdin.close()
assert caller.wait() == 0
print("slowest reply %.0f ms" % (slowest * 1000))
assert slowest < 5, slowest
' "${_jq_cmd[@]}"
  expect_contains "$OUT" "slowest reply" "the co-process caller got all 20 replies"
}
TEST "--stdin with the default window answers a caller that waits for each reply" \
  test_coprocess_caller

test_replies_written_per_round() {
  # A caller that has written all its lines and waits for the replies, with
  # a window as large as its batch (so jq-submit reads the lines as they
  # come, and most replies come once the input is read): each reply must come
  # without waiting for the others, but replies that arrive together go out
  # in one write, not in one write(2) per line.
  # Counted by the kernel: write calls of jq-submit (to stdout and to Redis)
  # in /proc/PID/io, read while it still runs.
  start_worker --db app="$TEST_DIR/app.sqlite" -c 16 || return
  _jq_resolve submit --stdin -j 2000
  expect_exit 0 timeout 60 "$JQ_PYTHON" -S -c '
import json, subprocess, sys, threading
n = 2000
caller = subprocess.Popen(sys.argv[1:], stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE, text=True)
def feed():  # more than a pipe holds: written while the replies are read
    caller.stdin.write("".join(json.dumps({"db": "app", "sql": "select ?",
                                           "params": [k]}) + "\n"
                               for k in range(n)))
    caller.stdin.flush()
feeder = threading.Thread(target=feed)
feeder.start()
seen = set()
for _ in range(n):
    reply = json.loads(caller.stdout.readline())
    assert reply["status"] == "completed", reply
    seen.add(reply["result"]["rows"][0][0])
feeder.join()
with open("/proc/%d/io" % caller.pid) as io:
    writes = int(dict(line.split(": ") for line in io.read().splitlines())["syscw"])
caller.stdin.close()
assert caller.wait() == 0
assert seen == set(range(n)), len(seen)
print("write calls for %d replies: %d" % (n, writes))
assert writes < n // 2, writes
' "${_jq_cmd[@]}"
  expect_contains "$OUT" "write calls for 2000 replies" "the caller got all 2,000 replies"
  echo "batch: $(grep -o 'write calls.*' <<<"$OUT")" >&2
}
TEST "--stdin writes the replies that arrive together in one write" \
  test_replies_written_per_round

test_wait_unknown() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  expect_exit 3 submit --wait no-such-job --timeout 10s --format json
  expect_contains "$ERR" "no-such-job" "stderr of --wait of an unknown id"
  expect_eq "$OUT" "" "stdout of --wait of an unknown id"
  expect_lt "$ELAPSED_MS" 5000 "ms until --wait of an unknown id answers (--timeout 10s)"
  # Nothing was created by asking.
  expect_eq "$(rcli exists bull:jq:no-such-job)" 0 "EXISTS bull:jq:no-such-job"
}
TEST "--wait of an unknown id exits 3" test_wait_unknown

test_wait_expired() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  # The recipe of the issue: --keep 1s --no-wait.
  expect_exit 0 submit --db app --no-wait --keep 1s --job-id short \
    --sql 'select 1' || return
  # Seen completed before the next job: that job's end trims it once it
  # is 1 s old (a busy machine can take that long to start jq-submit).
  if ! wait_until 10 in_zset completed short; then
    fail "the first --keep 1s job did not complete within 10 s"
    return
  fi
  # Nobody waits for a --no-wait job: nothing should stretch its 1 s.
  expect_json "$(rcli hget bull:jq:short opts)" \
    '[d["removeOnComplete"], d["removeOnFail"]]' '[{"age": 1}, {"age": 1}]'
  # Also with --timeout 1s, in case the reply is kept max(--keep, --timeout).
  expect_exit 0 submit --db app --no-wait --keep 1s --timeout 1s \
    --job-id short2 --sql 'select 1' || return
  if ! wait_until 10 in_zset completed short2; then
    fail "the second --keep 1s job did not complete within 10 s"
    return
  fi
  sleep 1.5
  # Retention trims on later finishes: one more job with {age: 1}.
  expect_exit 0 submit --db app --no-wait --keep 1s --timeout 1s \
    --job-id trimmer --sql 'select 3' || return
  if ! wait_until 10 in_zset completed trimmer; then
    fail "the trimming job did not complete within 10 s"
    return
  fi
  expect_exit 4 submit --wait short2 --timeout 10s --format json
  expect_contains "$ERR" "no longer kept" "stderr of --wait short2"
  expect_eq "$OUT" "" "stdout of --wait short2"
  expect_exit 4 submit --wait short --timeout 10s --format json
  expect_contains "$ERR" "no longer kept" "stderr of --wait short"
}
TEST "--wait of a reply no longer kept exits 4" test_wait_expired

test_wait_running() {
  start_worker --db app="$TEST_DIR/app.sqlite" -c 4 || return
  expect_exit 0 submit --db app --no-wait --job-id slow --sql "$slow_sql" \
    || return
  if ! wait_until 10 key_exists bull:jq:slow:lock; then
    fail "the slow job did not start within 10 s"
    return
  fi
  local t0
  t0=$(now_ms)
  run_bg waiter submit --wait slow --timeout 120s --format json
  sleep 0.5
  if in_zset completed slow; then
    fail "the slow job ended within 0.5 s of the --wait: it cannot show the wait"
    return
  fi
  expect_eq "$(lines_of "$TEST_DIR/waiter.out")" 0 \
    "lines printed by --wait while the job runs"
  wait_bg waiter 120
  expect_eq "$RC" 0 "exit status of --wait on a running job"
  expect_json "$OUT" '[d["id"], d["status"], d["result"]["rows"]]' \
    '["slow", "completed", [[8000000]]]'
  local finished
  finished=$(rcli hget bull:jq:slow finishedOn)
  expect_lt "$t0" "$finished" "the job's finishedOn vs when --wait started"
  measured "--wait on a running job: answered $(($(now_ms) - t0)) ms after it started," \
    "the job finished $((finished - t0)) ms after"
}
TEST "--wait on a job still running waits for its reply" test_wait_running

# ------------------------------------------------------------ job ids

test_duplicate_job_id() {
  start_worker --db app="$TEST_DIR/app.sqlite" -c 4 || return
  expect_exit 0 submit --db app --no-wait --job-id X --sql 'select 7' || return
  expect_eq "$OUT" X "stdout of --no-wait --job-id X"
  if ! wait_until 10 in_zset completed X; then
    fail "job X did not complete within 10 s"
    return
  fi
  # The same id, waiting, other SQL: attaches to the job that exists.
  expect_exit 0 submit --db app --job-id X --format json --timeout 20s \
    --sql 'select 8'
  expect_json "$OUT" '[d["id"], d["status"], d["result"]["rows"]]' \
    '["X", "completed", [[7]]]'
  expect_match "$ERR" "X already exist.*attach" "stderr of the second submit of X"
  expect_eq "$(rcli zcard bull:jq:completed)" 1 "ZCARD completed"
  expect_eq "$(rcli llen bull:jq:wait)" 0 "LLEN wait"
  expect_eq "$(grep -c 'completed in' "$WORKER_LOG")" 1 "jobs the worker ran"

  # --stdin, one job at a time: two lines with the same id (and a blank
  # line, which gets no reply) both report that one job.
  local input=$TEST_DIR/dup.jsonl
  printf '%s\n' \
    '{"db": "app", "sql": "select ?", "params": [1], "id": "dup"}' \
    '' \
    '{"db": "app", "sql": "select ?", "params": [3], "id": "dup"}' \
    '{"db": "app", "sql": "select ?", "params": [4]}' \
    '{"db": "app", "sql": "select ?", "params": [5], "id": "X"}' >"$input"
  run_input "$input" submit --stdin -j 1 --ordered --timeout 20s
  expect_eq "$RC" 0 "exit status of --stdin -j 1 with repeated ids"
  expect_file_lines "$OUT_FILE" 4
  expect_eq "$("$JQ_PYTHON" -S -c '
import json, sys
for d in map(json.loads, open(sys.argv[1])):
    print(d["line"], d["id"] if d["id"] in ("dup", "X") else "new", d["status"], d["result"]["rows"])
' "$OUT_FILE")" $'1 dup completed [[1]]\n3 dup completed [[1]]\n4 new completed [[4]]\n5 X completed [[7]]' \
    "line, id, status and rows of each reply"
  expect_match "$ERR" "dup already exist.*attach" "stderr of --stdin"
  expect_match "$ERR" "X already exist.*attach" "stderr of --stdin"
  expect_eq "$(rcli zcard bull:jq:completed)" 3 "ZCARD completed (X, dup, line 4)"
  expect_eq "$(grep -c 'completed in' "$WORKER_LOG")" 3 "jobs the worker ran"
}
TEST "an existing job id is attached to, not added again" test_duplicate_job_id

test_duplicate_in_flight() {
  # No worker yet: all the lines are in flight together.
  local input=$TEST_DIR/dup.jsonl
  printf '%s\n' \
    '{"db": "app", "sql": "select ?", "params": [1], "id": "same"}' \
    '{"db": "app", "sql": "select ?", "params": [2]}' \
    '{"db": "app", "sql": "select ?", "params": [3], "id": "same"}' \
    '{"db": "app", "sql": "select ?", "params": [4]}' \
    '{"db": "app", "sql": "select ?", "params": [5], "id": "same"}' >"$input"
  run_bg_input batch "$input" submit --stdin -j 64 --timeout 30s
  sleep 0.5
  start_worker --db app="$TEST_DIR/app.sqlite" -c 4 || return
  wait_bg batch 60
  expect_eq "$RC" 0 "exit status of --stdin -j 64 with an id three times" \
    || fail "stderr: $ERR"
  expect_file_lines "$OUT_FILE" 5
  expect_eq "$("$JQ_PYTHON" -S -c '
import json, sys
for d in sorted(map(json.loads, open(sys.argv[1])), key=lambda d: d["line"]):
    print(d["line"], d["id"] if d["id"] == "same" else "new", d["status"],
          (d["result"] or {}).get("rows"))
' "$OUT_FILE" 2>&1)" \
    $'1 same completed [[1]]\n2 new completed [[2]]\n3 same completed [[1]]\n4 new completed [[4]]\n5 same completed [[1]]' \
    "line, id, status and rows of each reply"
  expect_eq "$(rcli zcard bull:jq:completed)" 3 "ZCARD completed (same and two others)"
}
TEST "--stdin -j 64: the same id on lines in flight together" \
  test_duplicate_in_flight

# ------------------------------------------------------------ Redis restart

aof_redis_pid=

# Start redis-server with AOF (fsync always) on port $1 with its files in $2.
start_aof_redis() {
  local port=$1 dir=$2 i
  redis-server --bind 127.0.0.1 --port "$port" --save '' \
    --appendonly yes --appendfsync always --dir "$dir" \
    --logfile "$dir/redis.log" &
  aof_redis_pid=$!
  _jq_pids+=("$aof_redis_pid")
  for ((i = 0; i < 100; i++)); do
    if redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.05
  done
  fail "redis-server with AOF did not start on port $port" \
    "$(_jq_excerpt log "$(tail -n 20 "$dir/redis.log" 2>/dev/null)")"
  return 1
}

# SIGTERM (what SHUTDOWN does) and wait for the AOF server to exit.
stop_aof_redis() {
  if [[ -n $aof_redis_pid ]]; then
    kill -TERM "$aof_redis_pid" 2>/dev/null
    wait "$aof_redis_pid" 2>/dev/null
    aof_redis_pid=
  fi
}

restart_body() {
  local input=$1 dir=$2
  start_worker --db app="$TEST_DIR/app.sqlite" -c 4 \
    --lock-duration 5s --stalled-interval 2s || return
  local worker=$WORKER_PID out=$TEST_DIR/batch.out
  local t0 t_down t_up t_resumed at_down at_up
  t0=$(now_ms)
  run_bg_input batch "$input" submit --stdin --timeout 60s
  local batch=$BG_PID
  while (($(lines_of "$out") < 1000)); do
    if ! _jq_alive "$batch" || (($(now_ms) - t0 > 60000)); then
      fail "the batch did not reach 1,000 replies ($(lines_of "$out") lines)" \
        "$(_jq_excerpt stderr "$(head -c 2000 "$TEST_DIR/batch.err")")"
      return 1
    fi
    sleep 0.02
  done
  t_down=$(now_ms)
  stop_aof_redis
  at_down=$(lines_of "$out")
  if ((at_down >= 5000)); then
    fail "the batch was done before Redis went down: nothing to test"
    return 1
  fi
  sleep 1
  start_aof_redis "$REDIS_PORT" "$dir" || return
  t_up=$(now_ms)
  at_up=$(lines_of "$out")
  while (($(lines_of "$out") <= at_up)) && _jq_alive "$batch"; do
    if (($(now_ms) - t_up > 90000)); then
      break
    fi
    sleep 0.02
  done
  t_resumed=$(now_ms)
  measured "Redis restart: down after $at_down replies, outage $((t_up - t_down)) ms," \
    "first reply $((t_resumed - t_up)) ms after Redis was back ($at_up replies then)"
  wait_bg batch 120
  measured "Redis restart: batch of 5,000 done $(($(now_ms) - t0)) ms after it started," \
    "exit status $RC"
  expect_eq "$RC" 0 "exit status of the batch across the restart" \
    || fail "stderr: $(head -c 2000 "$ERR_FILE")"
  expect_file_lines "$OUT_FILE" 5000
  expect_replies "$OUT_FILE" 5000
  expect_match "$ERR" "reconnect" "stderr of jq-submit across the restart"
  # The worker reconnected and goes on.
  if ! _jq_alive "$worker"; then
    fail "jq-worker exited during the Redis restart"
    return 1
  fi
  expect_exit 0 submit --db app --format value --timeout 20s --sql 'select 99'
  expect_eq "$OUT" 99 "a job after the restart"
  expect_eq "$(rcli llen bull:jq:active)" 0 "LLEN active after the batch"
  expect_eq "$(rcli zcard bull:jq:completed)" 5001 "ZCARD completed"
  stop_worker "$worker"
  expect_eq "$WORKER_RC" 0 "jq-worker exit status after SIGTERM"
}

test_redis_restart_mid_batch() {
  local dir=$TEST_DIR/redis-aof input=$TEST_DIR/5k.jsonl
  mkdir -p "$dir"
  make_input "$input" 5000 || return
  # This test's own Redis (with AOF), in place of the suite's.
  local REDIS_PORT REDIS_URL
  REDIS_PORT=$(jq_free_port)
  REDIS_URL=redis://127.0.0.1:$REDIS_PORT
  start_aof_redis "$REDIS_PORT" "$dir" || return
  restart_body "$input" "$dir"
  # Stop what runs on this Redis before the Redis itself.
  local pid
  for pid in "${_jq_test_workers[@]}"; do
    if _jq_alive "$pid"; then
      _jq_signal_and_reap "$pid" TERM "$JQ_E2E_STOP_TIMEOUT"
    fi
  done
  stop_aof_redis
}
TEST "Redis restarted mid-batch: the batch completes, the worker goes on" \
  test_redis_restart_mid_batch

# ------------------------------------------------------------ progress

test_progress_on_terminal_only() {
  start_worker --db app="$TEST_DIR/app.sqlite" -c 4 || return
  local input=$TEST_DIR/3k.jsonl
  make_input "$input" 3000 || return
  # stderr on a pseudo-terminal (stdout to a file).
  local cmd
  cmd="$(printf '%q ' "$JQ_SUBMIT" --redis "$REDIS_URL" --stdin) <$(printf '%q' "$input") >$(printf '%q' "$TEST_DIR/tty.out")"
  expect_exit 0 script -qefc "$cmd" /dev/null
  expect_contains "$OUT" "done" "the terminal's text (jq-submit's stderr)"
  expect_contains "$OUT" "in flight" "the terminal's text (jq-submit's stderr)"
  expect_contains "$OUT" "jobs/s" "the terminal's text (jq-submit's stderr)"
  expect_contains "$OUT" "3000 done" "the terminal's text (jq-submit's stderr)"
  expect_replies "$TEST_DIR/tty.out" 3000

  # stderr to a file: no progress.
  run_input "$input" submit --stdin
  expect_eq "$RC" 0 "exit status of --stdin"
  expect_file_lines "$OUT_FILE" 3000
  expect_not_contains "$ERR" "jobs/s" "stderr in a file"
  expect_not_contains "$ERR" "in flight" "stderr in a file"
  expect_not_contains "$ERR" "done" "stderr in a file"
}
TEST "progress on stderr only when it is a terminal" test_progress_on_terminal_only
