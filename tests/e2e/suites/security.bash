# shellcheck shell=bash
# shellcheck disable=SC2154 # $tmp, $OUT, ... come from tests/e2e/lib.sh
# Hostile and careless input (issue 7): SQL that reaches outside its
# database, results that never end, oversized and garbage job payloads
# pushed by hand, and garbage replies from a foreign worker. Each fails its
# own job with a reason; the worker lives on and jq-submit never crashes.

# ---------------------------------------------------------------- helpers

# Print N opening brackets then N closing ones (deeply nested JSON).
nested_json() {
  "$JQ_PYTHON" -S -c '
import sys
n = int(sys.argv[1])
sys.stdout.write("[" * n + "]" * n)
' "$1"
}

# push_job ID FIELD VALUE...: write a job hash by hand, as a careless
# producer would, and put its id in line.
push_job() {
  local id=$1
  shift
  rcli hset "bull:jq:$id" "$@" >/dev/null
  rcli lpush bull:jq:wait "$id" >/dev/null
}

# push_job_stdin ID FIELD < VALUE: the same, with the value read from stdin
# (for bytes and sizes the command line cannot carry).
# Fields already written to the hash stay, unless the one from stdin is one
# of them.
push_job_stdin() {
  local id=$1 field=$2
  rcli hsetnx "bull:jq:$id" name __default__ >/dev/null
  rcli hsetnx "bull:jq:$id" timestamp 1700000000000 >/dev/null
  rcli -x hset "bull:jq:$id" "$field" >/dev/null
  rcli lpush bull:jq:wait "$id" >/dev/null
}

# Is job ID in neither the wait nor the active list?
not_in_line() {
  ! rcli lrange bull:jq:wait 0 -1 | grep -qx "$1" &&
    ! rcli lrange bull:jq:active 0 -1 | grep -qx "$1"
}

is_failed() {
  [[ -n $(rcli zscore bull:jq:failed "$1") ]]
}

is_completed() {
  [[ -n $(rcli zscore bull:jq:completed "$1") ]]
}

# expect_failed_job ID NEEDLE: job ID ends in the failed set within 10 s with
# NEEDLE in its failedReason (or, with NEEDLE ~REGEX, a match of REGEX).
expect_failed_job() {
  local id=$1 needle=$2
  if ! wait_until 10 is_failed "$id"; then
    fail "job $id did not fail within 10 s" \
      "$(_jq_excerpt "job hash" "$(rcli hgetall "bull:jq:$id" | cut -c1-200)")" \
      "$(_jq_excerpt "wait, active" "$(rcli lrange bull:jq:wait 0 -1; rcli lrange bull:jq:active 0 -1)")"
    return 1
  fi
  if [[ $needle == "~"* ]]; then
    expect_match "$(rcli hget "bull:jq:$id" failedReason)" "${needle#"~"}" \
      "failedReason of $id"
  else
    expect_contains "$(rcli hget "bull:jq:$id" failedReason)" "$needle" \
      "failedReason of $id"
  fi
}

worker_done_with() {
  is_failed "$1" || ! _jq_alive "$WORKER_PID"
}

# expect_survives ID NEEDLE: job ID (already pushed) fails with NEEDLE in
# its reason and the worker lives on; if it died, say so and start another
# for the next case.
expect_survives() {
  local id=$1 needle=$2
  wait_until 10 worker_done_with "$id"
  if ! _jq_alive "$WORKER_PID"; then
    wait "$WORKER_PID"
    fail "jq-worker died (status $?) on job $id" \
      "$(_jq_excerpt log "$(tail -n 5 "$WORKER_LOG")")"
    start_worker --db app="$TEST_DIR/app.sqlite"
    return 1
  fi
  expect_failed_job "$id" "$needle"
}

# ---------------------------------------------------------------- SQL

test_escape_attempts() {
  sql_file "$TEST_DIR/app.sqlite" 'create table t(x); insert into t values (1);'
  sql_file "$TEST_DIR/other.sqlite" \
    'create table secret(x); insert into secret values (42);'
  start_worker --db app="$TEST_DIR/app.sqlite" || return

  refuse attach-1 app ATTACH \
    "attach database '$TEST_DIR/other.sqlite' as other"
  refuse attach-2 app ATTACH "attach ':memory:' as scratch"
  # Nothing got attached, and a second statement does not sneak one in.
  refuse attach-3 app 'no such table' 'select * from other.secret'
  refuse attach-4 app 'more than one statement' \
    "select 1; attach database '$TEST_DIR/other.sqlite' as other"

  refuse ext-1 app load_extension \
    "select load_extension('/usr/lib/x86_64-linux-gnu/libsqlite3.so.0')"
  refuse ext-2 app load_extension \
    "select load_extension('$TEST_DIR/nope.so', 'sqlite3_nope_init')"

  refuse vacuum-1 app VACUUM "vacuum into '$TEST_DIR/copy.sqlite'"
  if [[ -e $TEST_DIR/copy.sqlite ]]; then
    fail "VACUUM INTO created $TEST_DIR/copy.sqlite"
  fi
  refuse vacuum-2 app VACUUM 'vacuum'

  # Transactions and schema tricks are not the job's to make.
  refuse begin-1 app 'not allowed' 'begin immediate'
  refuse begin-2 app 'not allowed' 'commit'
  refuse begin-3 app 'not allowed' 'savepoint s1'
  refuse pragma-1 app 'not allowed' 'pragma writable_schema = 1'
  refuse pragma-2 app 'not allowed' 'pragma journal_mode = off'
  # Reading pragmas are fine.
  expect_exit 0 submit --db app --format json --sql 'pragma table_info(t)'
  expect_json "$OUT" 'd["result"]["rows"][0][1]' '"x"'
  expect_exit 0 submit --db app --format value --sql 'pragma user_version'
  expect_eq "$OUT" 0 "pragma user_version"

  # The database itself is untouched and still there.
  expect_eq "$(sql_value "$TEST_DIR/app.sqlite" 'select count(*) from t')" 1 \
    "rows of t"
  expect_exit 0 submit --db app --format value --sql 'select count(*) from t'
  expect_eq "$OUT" 1 "rows of t through the worker"
}
TEST "ATTACH, load_extension, VACUUM INTO and unsafe pragmas fail; the worker carries on" \
  test_escape_attempts

test_read_only() {
  sql_file "$TEST_DIR/ref.sqlite" 'create table t(x); insert into t values (1);'
  local before
  before=$(cksum <"$TEST_DIR/ref.sqlite")
  start_worker --db ref="$TEST_DIR/ref.sqlite:ro" || return

  refuse ro-1 ref readonly 'insert into t values (2)'
  refuse ro-2 ref readonly 'update t set x = 3'
  refuse ro-3 ref readonly 'delete from t'
  refuse ro-4 ref readonly 'create table u(y)'
  refuse ro-5 ref readonly 'pragma user_version = 7'
  expect_exit 0 submit --db ref --format value --sql 'select x from t'
  expect_eq "$OUT" 1 "the row of the read-only database"
  expect_eq "$(cksum <"$TEST_DIR/ref.sqlite")" "$before" \
    "checksum of the read-only database file"
}
TEST "a :ro database refuses every write" test_read_only

test_result_limits() {
  start_worker --db app="$TEST_DIR/app.sqlite" --max-rows 1000 \
    --max-result-bytes 100000 || return
  local cte='WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c)'

  refuse cte-1 app --max-rows "$cte SELECT x FROM c"
  expect_lt "$ELAPSED_MS" 10000 "elapsed ms of the unbounded CTE"
  # Never truncated: the failed job has no returnvalue.
  expect_eq "$(rcli hexists bull:jq:cte-1 returnvalue)" 0 "returnvalue of cte-1"

  # Exactly at the limit is fine, one over is not.
  expect_exit 0 submit --db app --format csv --sql "$cte SELECT x FROM c LIMIT 1000"
  expect_file_lines "$OUT_FILE" 1001
  refuse cte-2 app --max-rows "$cte SELECT x FROM c LIMIT 1001"

  # Few rows, many bytes.
  refuse bytes-1 app --max-result-bytes "select printf('%.*c', 200000, 'x')"
  refuse bytes-2 app --max-result-bytes \
    "$cte SELECT x, zeroblob(1000) FROM c"
  refuse bytes-3 app --max-result-bytes \
    "$cte SELECT group_concat(x) FROM (SELECT x FROM c LIMIT 100000)"
}
TEST "an unbounded recursive CTE fails by --max-rows, a wide result by --max-result-bytes" \
  test_result_limits

test_endless_query() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  # One row, endless work: no row limit helps; the caller's deadline does.
  # The caller gives up as the worker fails the job "expired": whichever it
  # hears first, for the caller it is a timeout (124).
  expect_exit 124 submit --db app --format json --job-id endless-1 --timeout 2s \
    --sql 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c'
  expect_lt "$ELAPSED_MS" 6000 "elapsed ms of the endless query"
  expect_failed_job endless-1 expired
  expect_worker_serves
  # And by the job's own --job-timeout, with a caller who would wait longer.
  expect_exit 1 submit --db app --format json --job-id endless-2 --timeout 20s \
    --job-timeout 1s \
    --sql 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c'
  expect_lt "$ELAPSED_MS" 6000 "elapsed ms with --job-timeout 1s"
  expect_contains "$(rcli hget bull:jq:endless-2 failedReason)" "timed out" \
    "failedReason of endless-2"
  expect_worker_serves
}
TEST "a query that never ends is stopped at the deadline; the worker carries on" \
  test_endless_query

test_payload_limit() {
  start_worker --db app="$TEST_DIR/app.sqlite" --max-payload-bytes 1000 || return
  local big
  big=$(printf '%*s' 2000 '' | tr ' ' x)
  refuse payload-1 app --max-payload-bytes "select length('$big')"
  expect_exit 1 submit --db app --format json --job-id payload-2 \
    --sql 'select length(?)' --param "$big"
  expect_contains "$ERR" --max-payload-bytes stderr
  expect_contains "$(rcli hget bull:jq:payload-2 failedReason)" \
    --max-payload-bytes "failedReason of payload-2"
  # Just under the limit still runs.
  expect_exit 0 submit --db app --format value --sql 'select length(?)' \
    --param "${big:0:500}"
  expect_eq "$OUT" 500 "length of a payload under the limit"
}
TEST "a payload over --max-payload-bytes fails with a reason" test_payload_limit

# ---------------------------------------------------------------- garbage jobs

test_garbage_jobs() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  local base=(name __default__ opts '{"attempts":1}' timestamp 1700000000000)

  # An id with no hash at all: dropped with a log line naming it.
  rcli lpush bull:jq:wait ghost-1 >/dev/null
  push_job bad-json "${base[@]}" data 'this is not JSON'
  push_job bad-empty "${base[@]}" data ''
  push_job bad-nodata "${base[@]}"
  push_job bad-array "${base[@]}" data '[1, 2, 3]'
  push_job bad-string "${base[@]}" data '"select 1"'
  push_job bad-nosql "${base[@]}" data '{"db": "app"}'
  push_job bad-sqltype "${base[@]}" data '{"db": "app", "sql": 42}'
  push_job bad-nodb "${base[@]}" data '{"sql": "select 1"}'
  push_job bad-params "${base[@]}" data '{"db": "app", "sql": "select ?", "params": "x"}'
  push_job bad-param-value "${base[@]}" \
    data '{"db": "app", "sql": "select ?", "params": [[1]]}'
  push_job bad-named-value "${base[@]}" \
    data '{"db": "app", "sql": "select :a", "params": {":a": {"b": 1}}}'
  push_job bad-rows "${base[@]}" data '{"db": "app", "sql": "select ?", "rows": 5}'
  push_job bad-row "${base[@]}" data '{"db": "app", "sql": "select ?", "rows": [1]}'
  push_job bad-int "${base[@]}" \
    data '{"db": "app", "sql": "select ?", "params": [18446744073709551615]}'
  # shellcheck disable=SC2016 # $base64 is JSON, not a shell variable
  push_job bad-base64 "${base[@]}" \
    data '{"db": "app", "sql": "select ?", "params": [{"$base64": "!!"}]}'
  push_job bad-utf8 "${base[@]}" data $'{"db": "app", "sql": "select \'\xff\xfe\xc3\'"}'
  nested_json 100000 | push_job_stdin bad-deep data

  wait_until 10 grep -q ghost-1 "$WORKER_LOG" ||
    fail "no log line about ghost-1" "$(_jq_excerpt log "$(<"$WORKER_LOG")")"
  expect_failed_job bad-json 'not valid JSON'
  expect_failed_job bad-empty 'not valid JSON'
  expect_failed_job bad-nodata 'not valid JSON'
  expect_failed_job bad-array 'not a JSON object'
  expect_failed_job bad-string 'not a JSON object'
  expect_failed_job bad-nosql "'sql'"
  expect_failed_job bad-sqltype "'sql'"
  expect_failed_job bad-nodb "'db'"
  expect_failed_job bad-params "'params'"
  expect_failed_job bad-param-value "'params'[0]"
  expect_failed_job bad-named-value "'params'[':a']"
  expect_failed_job bad-rows "'rows'"
  expect_failed_job bad-row "'rows'[0]"
  expect_failed_job bad-int 'range'
  expect_failed_job bad-base64 'base64'
  expect_failed_job bad-utf8 'not valid JSON'
  # Either refused for its shape or for its depth.
  expect_failed_job bad-deep '~not a JSON object|deeper|nest'
  # Nothing is left in line or in hand.
  expect_eq "$(rcli llen bull:jq:wait)" 0 "jobs waiting"
  expect_eq "$(rcli llen bull:jq:active)" 0 "jobs active"
  expect_worker_serves
}
TEST "garbage job payloads pushed by hand fail with a reason; the worker carries on" \
  test_garbage_jobs

test_garbage_opts() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  # Options are read leniently: garbage ones are Bull's defaults, and the
  # job runs.
  push_job opts-text name __default__ timestamp 1 opts 'garbage{' \
    data '{"db": "app", "sql": "select 8"}'
  push_job opts-array name __default__ timestamp 1 opts '[1]' \
    data '{"db": "app", "sql": "select 9"}'
  push_job opts-types name __default__ timestamp x attemptsMade y \
    opts '{"attempts": "many", "backoff": [], "timeout": "soon", "removeOnComplete": 1e300, "removeOnFail": {"count": "all"}}' \
    stacktrace 'not a list' data '{"db": "app", "sql": "select 10"}'
  push_job opts-huge name __default__ timestamp 1 attemptsMade 2147483647 \
    opts '{"attempts": 1e300, "timeout": 1e300, "deadline": -1e300}' \
    data '{"db": "app", "sql": "select 11"}'
  local id
  for id in opts-text opts-array opts-types opts-huge; do
    if ! wait_until 10 is_completed "$id"; then
      fail "job $id did not complete within 10 s" \
        "$(_jq_excerpt "job hash" "$(rcli hgetall "bull:jq:$id")")"
    fi
  done
  # A backoff whose type is not a string (found by tests/fuzz): the failed
  # attempt is retried at once, as for an unknown type.
  push_job backoff-type name __default__ timestamp 1 \
    opts '{"attempts": 2, "backoff": {"type": true, "delay": 10}}' \
    data '{"db": "app", "sql": "select nope"}'
  expect_survives backoff-type 'no such column'
  expect_eq "$(rcli hget bull:jq:backoff-type attemptsMade)" 2 \
    "attemptsMade of backoff-type"
  expect_json "$(rcli hget bull:jq:opts-text returnvalue)" 'd["rows"]' '[[8]]'
  expect_json "$(rcli hget bull:jq:opts-huge returnvalue)" 'd["rows"]' '[[11]]'
  expect_worker_serves
}
TEST "garbage job options are read as defaults; the job runs" test_garbage_opts

test_attempts_counter() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  # A failing job whose attempts counter is at the edge of int, or far below
  # zero: it fails within its attempts, not after billions of retries.
  push_job attempts-max name __default__ timestamp 1 attemptsMade 2147483647 \
    opts '{"attempts": 3}' data '{"db": "app", "sql": "select nope"}'
  push_job attempts-negative name __default__ timestamp 1 \
    attemptsMade -1000000 opts '{"attempts": 3}' \
    data '{"db": "app", "sql": "select nope"}'
  expect_failed_job attempts-max 'no such column'
  expect_failed_job attempts-negative 'no such column'
  expect_worker_serves
}
TEST "a job's attempts counter at the edge of int does not retry forever" \
  test_attempts_counter

test_garbage_keys() {
  start_worker --db app="$TEST_DIR/app.sqlite" --stalled-interval 1s \
    --lock-duration 2s || return
  # The job's key is not a hash: Redis refuses HMGET on it.
  rcli set bull:jq:not-a-hash 'just a string' >/dev/null
  rcli lpush bull:jq:wait not-a-hash >/dev/null
  push_job after-it name __default__ timestamp 1 \
    data '{"db": "app", "sql": "select 12"}'
  if ! wait_until 15 not_in_line not-a-hash; then
    fail "not-a-hash is still in line after 15 s" \
      "$(_jq_excerpt log "$(<"$WORKER_LOG")")"
  fi
  wait_until 10 is_completed after-it || fail "after-it did not complete"
  expect_worker_serves
}
TEST "a job key that is not a hash does not wedge the worker" test_garbage_keys

test_deep_data() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  # Valid JSON, an object with the right fields, nested 100000 deep where
  # the parameters go: the decoder must not recurse that deep.
  printf '{"db": "app", "sql": "select 1", "params": {"a": %s}}' \
    "$(nested_json 100000)" | push_job_stdin deep-params data
  expect_survives deep-params 'nests deeper than 256'
  {
    printf '{"db": "app", "sql": "select 1", "rows": '
    nested_json 100000
    printf '}'
  } | push_job_stdin deep-rows data
  expect_survives deep-rows 'nests deeper than 256'
  {
    printf '{"db": "app", "sql": "select 1", "value": '
    nested_json 100000
    printf '}'
  } | push_job_stdin deep-value data
  expect_survives deep-value 'nests deeper than 256'
  expect_worker_serves
}
TEST "deeply nested params, rows and value fail with a reason" test_deep_data

test_deep_opts() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  # Options and the stack trace come from the producer too; the job fails
  # (and is retried once) as usual.
  rcli hset bull:jq:deep-opts data '{"db": "app", "sql": "select nope"}' >/dev/null
  {
    printf '{"backoff": '
    nested_json 100000
    printf ', "attempts": 2}'
  } | push_job_stdin deep-opts opts
  expect_survives deep-opts 'no such column'
  rcli hset bull:jq:deep-stack data '{"db": "app", "sql": "select nope"}' >/dev/null
  nested_json 100000 | push_job_stdin deep-stack stacktrace
  expect_survives deep-stack 'no such column'
  expect_worker_serves
}
TEST "deeply nested opts and stacktrace do not crash the worker" test_deep_opts

# ---------------------------------------------------------------- jq-submit input

test_submit_deep_input() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  # The command line holds at most 128 KiB per argument: 60000 deep.
  local deep
  deep=$(nested_json 60000)
  run submit --db app --format json --sql 'select ?' --params "$deep" \
    --timeout 10s
  if ((RC != 1 && RC != 2)); then
    fail "jq-submit --params <60000 deep>: expected exit 1 or 2, got $RC" \
      "$(_jq_excerpt stderr "$ERR")"
  fi
  run submit --db app --format json --sql 'select ?' --rows "$deep" \
    --timeout 10s
  if ((RC != 1 && RC != 2)); then
    fail "jq-submit --rows <60000 deep>: expected exit 1 or 2, got $RC" \
      "$(_jq_excerpt stderr "$ERR")"
  fi
  # A batch line nested 100000 deep is one invalid line; the rest go on.
  {
    echo '{"db": "app", "sql": "select 1"}'
    printf '{"db": "app", "sql": "select ?", "params": %s}\n' "$(nested_json 100000)"
    echo '{"db": "app", "sql": "select 3"}'
  } >"$TEST_DIR/batch.jsonl"
  run bash -c '"$1" --redis "$2" --stdin --ordered --timeout 10s <"$3"' _ \
    "$JQ_SUBMIT" "$REDIS_URL" "$TEST_DIR/batch.jsonl"
  expect_eq "$RC" 1 "exit status of the batch with a deep line"
  expect_file_lines "$OUT_FILE" 3
  expect_json "$(sed -n 1p "$OUT_FILE")" 'd["status"]' '"completed"'
  expect_json "$(sed -n 2p "$OUT_FILE")" 'd["status"] in ("invalid", "failed")' 'true'
  expect_json "$(sed -n 3p "$OUT_FILE")" 'd["result"]["rows"]' '[[3]]'
  expect_worker_serves
}
TEST "jq-submit refuses deeply nested --params, --rows and batch lines" \
  test_submit_deep_input

# ---------------------------------------------------------------- garbage replies

# The job a "foreign worker" finishes by hand: KEYS job hash, wait, active,
# completed|failed (also the event channel); ARGV id, field, value.
k_fake_finish='
local id = ARGV[1]
redis.call("LREM", KEYS[2], 0, id)
redis.call("LREM", KEYS[3], 0, id)
redis.call("HSET", KEYS[1], ARGV[2], ARGV[3], "finishedOn", "1700000000000",
           "processedOn", "1700000000000", "attemptsMade", "1")
redis.call("ZADD", KEYS[4], 1700000000000, id)
redis.call("PUBLISH", KEYS[4], cjson.encode({jobId = id, val = ARGV[3]}))
return 1
'

job_exists() {
  [[ $(rcli exists "bull:jq:$1") == 1 ]]
}

# fake_reply ID FORMAT completed|failed FILE: run jq-submit for job ID in
# the background, finish the job by hand with the bytes of FILE as its
# returnvalue (or failedReason), and wait for jq-submit (RC, OUT, ERR,
# OUT_FILE). Not in a pipeline: it sets the caller's variables.
fake_reply() {
  local id=$1 format=$2 state=$3 file=$4 field=returnvalue
  if [[ $state == failed ]]; then
    field=failedReason
  fi
  run_bg "submit-$id" submit --db app --sql 'select 1' --job-id "$id" \
    --format "$format" --timeout 30s
  if ! wait_until 10 job_exists "$id"; then
    wait_bg "submit-$id" 1
    fail "jq-submit did not add job $id within 10 s (exit $RC)" \
      "$(_jq_excerpt stderr "$ERR")"
    RC=-1
    return 1
  fi
  rcli -x eval "$k_fake_finish" 4 "bull:jq:$id" bull:jq:wait bull:jq:active \
    "bull:jq:$state" "$id" "$field" <"$file" >/dev/null
  wait_bg "submit-$id" 40
}

# The reply was handled sanely: exit EXPECTED, no crash, no internal error,
# and with --format json one line of valid JSON naming the job.
expect_sane() {
  local id=$1 format=$2 expected=$3
  if [[ $RC != "$expected" ]]; then
    fail "jq-submit for $id (--format $format): expected exit $expected, got $RC" \
      "$(_jq_excerpt stdout "$(head -c 2000 "$OUT_FILE")")" \
      "$(_jq_excerpt stderr "$ERR")"
    return 1
  fi
  expect_not_contains "$ERR" "internal error" "stderr for $id"
  if [[ $format == json ]]; then
    expect_file_lines "$OUT_FILE" 1
    # Strict: valid UTF-8, valid JSON.
    "$JQ_PYTHON" -S -c '
import json, sys
with open(sys.argv[1], "rb") as f:
    d = json.loads(f.read().decode("utf-8"))
assert d["id"] == sys.argv[2], d["id"]
' "$OUT_FILE" "$id" || fail "stdout for $id is not one valid JSON envelope"
  fi
}

test_garbage_replies() {
  local format
  printf 'this is not JSON' >"$TEST_DIR/text"
  for format in json table csv tsv value; do
    fake_reply "text-$format" "$format" completed "$TEST_DIR/text"
    expect_sane "text-$format" "$format" 0
  done
  expect_json "$(<"$TEST_DIR/submit-text-json.out")" 'd["result"]' \
    '"this is not JSON"'

  printf '{"columns": ["c\xff"], "rows": [["x\xfe\xc3(y"]]}' >"$TEST_DIR/utf8-reply"
  printf 'caf\xc3 \xff\xfe' >"$TEST_DIR/utf8-text"
  for format in json table csv; do
    fake_reply "utf8-$format" "$format" completed "$TEST_DIR/utf8-reply"
    expect_sane "utf8-$format" "$format" 0
    fake_reply "utf8-text-$format" "$format" completed "$TEST_DIR/utf8-text"
    expect_sane "utf8-text-$format" "$format" 0
  done

  printf 'broke \xff\xfe down' >"$TEST_DIR/utf8-reason"
  fake_reply failed-utf8 json failed "$TEST_DIR/utf8-reason"
  expect_sane failed-utf8 json 1
  expect_contains "$ERR" "job failed-utf8 failed: broke" "stderr for failed-utf8"

  # Odd shapes: columns that are not strings, rows of the wrong length or
  # kind.
  printf '{"columns": [1, null, {"a": []}], "rows": [[1], {"1": 2}, "s", [1, 2, 3, 4]]}' \
    >"$TEST_DIR/shapes"
  for format in table csv tsv; do
    fake_reply "shapes-$format" "$format" completed "$TEST_DIR/shapes"
    expect_sane "shapes-$format" "$format" 0
  done
  # Not one cell: the job completed, so the reply is printed as JSON, exit 5.
  fake_reply shapes-value value completed "$TEST_DIR/shapes"
  expect_sane shapes-value value 5
  expect_file_lines "$OUT_FILE" 1
  expect_json "$OUT" 'd["rows"][3]' '[1, 2, 3, 4]'
}
TEST "garbage replies from a foreign worker: jq-submit prints something sane" \
  test_garbage_replies

test_huge_reply() {
  "$JQ_PYTHON" -S -c '
import json, sys
rows = [[i, "value %d" % i] for i in range(500000)]
sys.stdout.write(json.dumps({"columns": ["n", "s"], "rows": rows,
                             "changes": 0, "last_insert_rowid": 0}))
' >"$TEST_DIR/huge.json"
  fake_reply huge-json json completed "$TEST_DIR/huge.json"
  expect_sane huge-json json 0
  expect_json "$(<"$OUT_FILE")" 'len(d["result"]["rows"])' 500000
  fake_reply huge-csv csv completed "$TEST_DIR/huge.json"
  expect_sane huge-csv csv 0
  expect_file_lines "$OUT_FILE" 500001
  # 20 MB in one string, which is not a {columns, rows} reply: printed as
  # JSON, quoted.
  "$JQ_PYTHON" -S -c 'import sys; sys.stdout.write("\"" + "x" * 20000000 + "\"")' \
    >"$TEST_DIR/huge-string"
  fake_reply huge-string value completed "$TEST_DIR/huge-string"
  expect_sane huge-string value 0
  expect_eq "$(wc -c <"$OUT_FILE")" 20000003 "bytes of the huge string"
}
TEST "a huge reply from a foreign worker is printed whole" test_huge_reply

test_deep_reply() {
  local format
  nested_json 100000 >"$TEST_DIR/deep"
  for format in json table; do
    fake_reply "deep-$format" "$format" completed "$TEST_DIR/deep"
    if [[ ! $RC =~ ^[0-4]$ ]]; then
      fail "jq-submit on a reply nested 100000 deep (--format $format): exit $RC" \
        "$(_jq_excerpt stderr "$ERR")"
    fi
    expect_not_contains "$ERR" "internal error" "stderr for deep-$format"
  done
  printf '{"columns": ["x"], "rows": [[%s]]}' "$(nested_json 100000)" \
    >"$TEST_DIR/deep-cell"
  fake_reply deep-cell csv completed "$TEST_DIR/deep-cell"
  if [[ ! $RC =~ ^[0-4]$ ]]; then
    fail "jq-submit on a cell nested 100000 deep (--format csv): exit $RC" \
      "$(_jq_excerpt stderr "$ERR")"
  fi
}
TEST "a deeply nested reply does not crash jq-submit" test_deep_reply
