# shellcheck shell=bash
# shellcheck disable=SC2154 # $tmp, $OUT, ... come from tests/e2e/lib.sh
# Redis reached and answered in the less common ways: over a unix socket,
# with error replies (not an outage), with job ids and queue names that
# must not reach another queue's keys.

SOCKET_PID=

# Start a redis-server that listens on a unix socket only (--port 0), in
# TEST_DIR; sets SOCKET_PATH.
start_socket_redis() {
  SOCKET_PATH=$TEST_DIR/redis.sock
  redis-server --port 0 --unixsocket "$SOCKET_PATH" --unixsocketperm 700 \
    --save '' --appendonly no --dir "$TEST_DIR" \
    --logfile "$TEST_DIR/socket-redis.log" &
  SOCKET_PID=$!
  _jq_pids+=("$SOCKET_PID")
  local i
  for i in $(seq 1 50); do
    if redis-cli -s "$SOCKET_PATH" ping >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  fail "redis-server did not listen on $SOCKET_PATH"
  return 1
}

stop_socket_redis() {
  if [[ -n $SOCKET_PID ]]; then
    kill -TERM "$SOCKET_PID" 2>/dev/null
    wait "$SOCKET_PID" 2>/dev/null
    SOCKET_PID=
  fi
}

test_unix_socket() {
  start_socket_redis || return
  local db=$TEST_DIR/app.sqlite query
  for query in "" "?db=3"; do
    # The helpers (submit, inspect, start_worker) use this URL.
    local REDIS_URL="unix://$SOCKET_PATH$query"
    start_worker --db app="$db" || break
    expect_exit 0 submit --db app --format value --sql 'select 40 + 2'
    expect_eq "$OUT" 42 "the reply over $REDIS_URL"
    expect_exit 0 inspect counts --json
    expect_json "$OUT" 'd["completed"]' 1
    stop_worker
  done
  # ?db=3 is its own database: one completed job there, one in 0.
  expect_eq "$(redis-cli -s "$SOCKET_PATH" -n 3 zcard bull:jq:completed)" 1 \
    "completed jobs in database 3"
  expect_eq "$(redis-cli -s "$SOCKET_PATH" -n 0 zcard bull:jq:completed)" 1 \
    "completed jobs in database 0"
  stop_socket_redis
}
TEST "unix:// URLs (with and without ?db=N) work for all three tools" \
  test_unix_socket

test_job_ids_stay_in_their_queue() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  local id
  for id in "b:wait" "7:lock" "wait" "lock"; do
    expect_exit 2 submit -q a --db app --sql 'select 1' --job-id "$id"
    expect_contains "$ERR" "invalid job id '$id': a job id cannot" "stderr"
  done
  # The same rule for a --stdin line: that line fails, the others run.
  expect_eq "$(rcli exists bull:a:b:wait)" 0 "key bull:a:b:wait"
  printf '%s\n' '{"db":"app","sql":"select 1","id":"x:wait"}' \
    '{"db":"app","sql":"select 2","id":"fine-id"}' >"$TEST_DIR/in.jsonl"
  run_input "$TEST_DIR/in.jsonl" "$JQ_SUBMIT" --redis "$REDIS_URL" --stdin
  expect_eq "$RC" 1 "exit status of --stdin with one bad id"
  expect_contains "$OUT" "cannot contain ':'" "stdout of --stdin"
  expect_contains "$OUT" '"id":"fine-id"' "stdout of --stdin"
  # Queue names may hold ':' (Bull's do): queue a:b works beside queue a.
  start_worker -q a:b --db app="$TEST_DIR/app.sqlite" || return
  expect_exit 0 submit -q a:b --db app --sql 'select 3' --format value
  expect_eq "$OUT" 3 "the reply on queue a:b"
}
TEST "job ids that would reach another queue's keys are refused (exit 2)" \
  test_job_ids_stay_in_their_queue

test_error_reply_is_not_an_outage() {
  # A key of the queue holding something else: WRONGTYPE on every use.
  rcli hset bull:jq:wait field value >/dev/null
  expect_exit 76 submit --db app --sql 'select 1' --timeout 5s
  expect_contains "$ERR" "Redis refused a command: WRONGTYPE" "stderr"
  expect_exit 76 inspect counts
  expect_contains "$ERR" "Redis refused a command: WRONGTYPE" "stderr"
  expect_exit 76 inspect health --json
  expect_json "$OUT" 'd["status"]' '"redis_refused"'
  # The worker keeps running, backing off, and serves once it is fixed.
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  sleep 2
  local complaints
  complaints=$(grep -c "Redis refused a command" "$WORKER_LOG")
  if ((complaints > 8)); then
    fail "the worker logged the refusal $complaints times in 2 s"
  fi
  rcli del bull:jq:wait >/dev/null
  expect_exit 0 submit --db app --sql 'select 5' --format value --timeout 20s
  expect_eq "$OUT" 5 "the reply once the key is fixed"
}
TEST "an error reply from Redis exits 76 from every tool, not 69" \
  test_error_reply_is_not_an_outage

# Connections Redis accepted so far (this call's own included).
connections_received() {
  rcli info stats | tr -d '\r' | awk -F: '$1 == "total_connections_received" { print $2 }'
}

# Run "$@" (a submit) and check the connections Redis accepted meanwhile.
expect_connections() {
  local expected=$1 what=$2
  shift 2
  local before after
  before=$(connections_received)
  "$@"
  after=$(connections_received)
  # The second `info` is one of them.
  expect_eq "$((after - before - 1))" "$expected" "connections opened by $what"
}

test_one_shot_uses_one_connection() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  # The worker's own connections open as it starts and takes its first job.
  expect_exit 0 submit --db app --format value --sql 'select 1'
  sleep 1
  expect_connections 1 "a lone job" \
    expect_exit 0 submit --db app --format value --sql 'select 7'
  expect_eq "$OUT" 7 "the reply"
  # A large first add goes the same way.
  local big
  big=$(head -c 20000 /dev/zero | tr '\0' x)
  expect_connections 1 "a lone job of 20,000 bytes" \
    expect_exit 0 submit --db app --format value --sql 'select length(?)' \
    --param "$big"
  expect_eq "$OUT" 20000 "the reply to a 20,000-byte parameter"
  # Redis without the scripts (restarted, or SCRIPT FLUSH): the add sent
  # with the subscription comes back NOSCRIPT and is sent again in full,
  # on a second connection.
  rcli script flush >/dev/null
  expect_connections 2 "a lone job after SCRIPT FLUSH" \
    expect_exit 0 submit --db app --format value --sql 'select 8'
  expect_eq "$OUT" 8 "the reply after SCRIPT FLUSH"
  expect_eq "$(rcli zcard bull:jq:completed)" 4 "completed jobs"
}
TEST "a lone job goes out with the subscription: one connection; after SCRIPT FLUSH, still answered" \
  test_one_shot_uses_one_connection

test_first_line_after_idle_timeout() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  # Redis closes a client idle for 1 s; the first line comes after 2.
  rcli config set timeout 1 >/dev/null
  local input=$TEST_DIR/late.fifo
  mkfifo "$input"
  (
    sleep 2
    echo '{"db": "app", "sql": "select 9"}'
  ) >"$input" &
  run_input "$input" submit --stdin --timeout 20s
  rcli config set timeout 0 >/dev/null
  expect_eq "$RC" 0 "exit status of --stdin"
  expect_contains "$OUT" '"rows":[[9]]' "the reply to the late line"
}
TEST "jq-submit --stdin whose first line comes after Redis's idle timeout is answered" \
  test_first_line_after_idle_timeout

test_result_over_redis_value_limit() {
  # Redis takes no value longer than proto-max-bulk-len (1 MiB at the
  # least) and closes the connection of a command with one: a job whose
  # reply is longer fails, and the worker goes on serving.
  local before
  before=$(rcli config get proto-max-bulk-len | tail -n 1)
  rcli config set proto-max-bulk-len 1mb >/dev/null
  if start_worker --db app="$TEST_DIR/app.sqlite"; then
    expect_exit 1 submit --db app --sql 'select hex(zeroblob(600000)) as x' \
      --timeout 20s
    expect_contains "$OUT" "the result is too large to store" "the reply"
    expect_exit 0 submit --db app --sql 'select 7' --format value \
      --timeout 20s
    expect_eq "$OUT" 7 "the next job's reply"
    expect_not_contains "$(<"$WORKER_LOG")" "Connection reset" "worker log"
  fi
  rcli config set proto-max-bulk-len "$before" >/dev/null
}
TEST "a reply longer than Redis takes in one value fails its job, not the worker" \
  test_result_over_redis_value_limit
