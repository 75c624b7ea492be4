# shellcheck shell=bash
# shellcheck disable=SC2154 # $tmp, $OUT, ... come from tests/e2e/lib.sh
# Failures reach the caller as exit codes and clear messages: failed jobs (1),
# usage errors (2), timeouts (124) and an unreachable Redis (69).

test_sql_error() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  expect_exit 1 submit --db app --format json --job-id bad-sql \
    --sql 'select * from nope'
  expect_contains "$ERR" "jq-submit: error: job bad-sql failed" stderr
  expect_contains "$ERR" "no such table: nope" stderr
  # stdout still has the envelope.
  expect_file_lines "$OUT_FILE" 1
  expect_json "$OUT" 'd["id"]' '"bad-sql"'
  expect_json "$OUT" 'd["status"]' '"failed"'
  expect_json "$OUT" 'd["result"]' 'null'
  expect_json "$OUT" '"no such table: nope" in d["error"]["message"]' 'true'
  expect_json "$OUT" 'type(d["error"]["stack"]).__name__' '"str"'
  expect_json "$OUT" 'd["attempts"]' '1'
  # Bull's view: in the failed set, failedReason is SQLite's message.
  expect_eq "$(rcli zscore bull:jq:failed bad-sql | grep -c .)" 1 \
    "bad-sql in bull:jq:failed"
  expect_contains "$(rcli hget bull:jq:bad-sql failedReason)" "no such table: nope" \
    failedReason

  expect_exit 1 submit --db app --format json --sql 'selec 1'
  expect_contains "$ERR" 'syntax error' stderr
  expect_json "$OUT" 'd["status"]' '"failed"'
  expect_json "$OUT" '"syntax error" in d["error"]["message"]' 'true'

  # Other formats: nothing on stdout, the reason on stderr.
  expect_exit 1 submit --db app --format value --sql 'select * from nope'
  expect_contains "$ERR" "no such table: nope" stderr
  expect_eq "$OUT" "" stdout

  # The worker carries on after failed jobs.
  expect_exit 0 submit --db app --format value --sql 'select 42'
  expect_eq "$OUT" 42 "reply after the failures"
}
TEST "a failing SQL statement exits 1 with SQLite's message" test_sql_error

test_value_shape() {
  # --format value on a job that ran and returned more than one cell: the rows
  # are committed, the reply is printed (as JSON, so nothing is lost) and the
  # exit code (5) says the job completed; not 2, which would say nothing ran.
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  expect_exit 0 submit --db app --format json \
    --sql 'create table t (id integer primary key, name text)'
  expect_exit 5 submit --db app --format value \
    --sql "insert into t (name) values ('a'), ('b') returning id, name"
  expect_contains "$ERR" "jq-submit: error: job " stderr
  expect_contains "$ERR" "completed, but --format value needs exactly one row" stderr
  expect_contains "$ERR" "the result has 2 rows and 2 columns" stderr
  expect_file_lines "$OUT_FILE" 1
  expect_json "$OUT" 'd["rows"]' '[[1, "a"], [2, "b"]]'
  expect_json "$OUT" 'd["changes"]' '2'
  expect_eq "$(sqlite3 "$TEST_DIR/app.sqlite" 'select count(*) from t')" 2 \
    "rows committed once"
  # No rows, two rows, two columns: the same case; one cell still prints bare.
  expect_exit 5 submit --db app --format value --sql 'select * from t where id > 9'
  expect_json "$OUT" 'd["rows"]' '[]'
  expect_exit 5 submit --db app --format value --sql 'select 1 union all select 2'
  expect_json "$OUT" 'd["rows"]' '[[1], [2]]'
  expect_exit 5 submit --db app --format value --sql 'select 1, 2'
  expect_json "$OUT" 'd["columns"]' '["1", "2"]'
  expect_exit 0 submit --db app --format value --sql 'select count(*) from t'
  expect_eq "$OUT" 2 "one cell"
}
TEST "--format value on a completed job of another shape prints it and exits 5" test_value_shape

test_unknown_db() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  expect_exit 1 submit --db warehouse --format json --sql 'select 1'
  expect_contains "$ERR" warehouse stderr
  expect_json "$OUT" 'd["status"]' '"failed"'
  expect_json "$OUT" '"warehouse" in d["error"]["message"]' 'true'
  expect_contains "$(rcli hget "bull:jq:$(json_get "$OUT" 'd["id"]')" failedReason)" \
    warehouse failedReason
}
TEST "a job for an unknown database fails with the name" test_unknown_db

test_usage_errors() {
  # Usage is checked before Redis is used: no worker, and no server needed.
  expect_exit 2 submit --db app --sql 'select 1' --no-such-flag
  expect_contains "$ERR" no-such-flag stderr
  expect_exit 2 submit --db app
  expect_contains "$ERR" sql stderr
  expect_exit 2 submit --sql 'select 1'
  expect_exit 2 submit --db app --sql 'select 1' --timeout banana
  expect_exit 2 submit --db app --sql 'select 1' --timeout 10parsecs
  expect_exit 2 submit --db app --sql 'select 1' --timeout -5s
  expect_exit 2 submit --db app --sql 'select 1' --format yaml
  expect_exit 2 submit --db app --sql 'select 1' --params '[1,'
  expect_exit 2 submit --db app --sql 'select 1' --rows '{"not": "rows"}'
  expect_exit 2 "$JQ_WORKER" --redis "$REDIS_URL" --db app="$TEST_DIR/a.sqlite" --no-such-flag
  expect_exit 2 "$JQ_WORKER" --redis "$REDIS_URL" --db app="$TEST_DIR/a.sqlite" -c zero
  expect_exit 2 inspect no-such-command
  expect_exit 2 inspect counts --no-such-flag
  # None of these put a job on the queue.
  expect_eq "$(rcli keys '*')" "" "keys in Redis"
}
TEST "bad flags and values exit 2" test_usage_errors

test_no_worker() {
  expect_exit 124 submit --db app --sql 'select 1' --timeout 1s \
    --job-id lonely-1 --format json
  expect_lt "$ELAPSED_MS" 5000 "elapsed ms with --timeout 1s"
  expect_lt 900 "$ELAPSED_MS" "elapsed ms with --timeout 1s (must wait ~1 s)"
  expect_contains "$ERR" lonely-1 stderr
  # The job itself stays queued: it may still run.
  expect_eq "$(rcli lrange bull:jq:wait 0 -1)" lonely-1 "the wait list"

  # With a generated id, stderr names it and it is the queued job.
  expect_exit 124 submit --db app --sql 'select 1' --timeout 1
  expect_lt "$ELAPSED_MS" 5000 "elapsed ms with --timeout 1"
  local id
  id=$(grep -oE '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' \
    <<<"$ERR" | head -n1)
  expect_match "$id" . "job id on stderr"
  expect_eq "$(rcli exists "bull:jq:$id")" 1 "job hash of the id on stderr"

  expect_exit 124 submit --db app --sql 'select 1' --timeout 250ms
  expect_lt "$ELAPSED_MS" 4000 "elapsed ms with --timeout 250ms"
}
TEST "no worker: exit 124 within the timeout, the job id on stderr" test_no_worker

test_redis_unreachable() {
  # A tool that keeps retrying is a failure, found within 30 s.
  # shellcheck disable=SC2034 # read by run() in lib.sh
  local JQ_E2E_CMD_TIMEOUT=30
  local port url
  port=$(jq_free_port)
  url="redis://127.0.0.1:$port"
  expect_exit 69 "$JQ_SUBMIT" --redis "$url" --db app --sql 'select 1' --timeout 2s
  expect_eq "$OUT" "" "jq-submit stdout"
  expect_contains "$ERR" "jq-submit: error:" "jq-submit stderr"
  expect_lt "$ELAPSED_MS" 10000 "jq-submit elapsed ms"
  expect_exit 69 "$JQ_SUBMIT" --redis "$url" --db app --sql 'select 1' --no-wait
  expect_eq "$OUT" "" "jq-submit --no-wait stdout"
  expect_exit 69 "$JQ_WORKER" --redis "$url" --db app="$TEST_DIR/app.sqlite"
  expect_contains "$ERR" "jq-worker: error:" "jq-worker stderr"
  expect_exit 69 "$JQ_INSPECT" --redis "$url" counts --json
  expect_eq "$OUT" "" "jq-inspect stdout"
  expect_contains "$ERR" "jq-inspect: error:" "jq-inspect stderr"
  # The same through the environment.
  expect_exit 69 env JQ_REDIS_URL="$url" "$JQ_SUBMIT" --db app --sql 'select 1' \
    --timeout 2s
}
TEST "Redis unreachable: exit 69 from every tool" test_redis_unreachable
