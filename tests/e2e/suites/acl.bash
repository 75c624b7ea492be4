# shellcheck shell=bash
# shellcheck disable=SC2154 # $tmp, $OUT, ... come from tests/e2e/lib.sh
# A Redis with ACL users (issue 7): the tools log in as a named user from
# --redis, JQ_REDIS_URL, --redis-file or JQ_REDIS_URL_FILE; a wrong password
# exits 69 with a clear message, and the password shows nowhere (errors, -v
# logs), only `***` where the URL is shown.

k_password=s3cret-pw
# A password with every character a URL treats specially, percent-encoded
# in the URL.
k_odd_password='p@ss:w/rd%?#'
k_odd_password_url='p%40ss%3Aw%2Frd%25%3F%23'
k_wrong_password=wr0ng-pa55word

ACL_PORT=
ACL_PID=

# Start a second redis-server where `default` is off and only alice and
# carol may log in (ACL rules as redis.conf's `user` lines).
start_acl_redis() {
  # jq_start_redis sets these; keep the suite's own server's.
  local REDIS_PORT REDIS_PID REDIS_URL
  mkdir -p "$TEST_DIR/acl-redis"
  if ! jq_start_redis "$TEST_DIR/acl-redis" \
    --user alice on ">$k_password" '~*' '&*' '+@all' \
    --user carol on ">$k_odd_password" '~*' '&*' '+@all' \
    --user default off; then
    fail "cannot start redis-server with ACL users"
    return 1
  fi
  ACL_PORT=$REDIS_PORT
  ACL_PID=$REDIS_PID
  # If the suite dies, the harness's cleanup stops it too.
  _jq_pids+=("$ACL_PID")
  # The server really refuses anonymous clients.
  local reply
  reply=$(redis-cli -h 127.0.0.1 -p "$ACL_PORT" ping 2>&1)
  if [[ $reply != *NOAUTH* ]]; then
    fail "the ACL server answers without a login: $reply"
    return 1
  fi
}

stop_acl_redis() {
  if [[ -n $ACL_PID ]]; then
    kill -TERM "$ACL_PID" 2>/dev/null
    wait "$ACL_PID" 2>/dev/null
    ACL_PID=
  fi
}

acl_cli() {
  redis-cli -h 127.0.0.1 -p "$ACL_PORT" --user alice --pass "$k_password" \
    --no-auth-warning "$@"
}

# with_acl_redis FUNCTION: run a test body against its own ACL server.
with_acl_redis() {
  start_acl_redis || return
  "$@"
  stop_acl_redis
}

# expect_no_password TEXT WHAT: neither the password nor its encoded form.
expect_no_password() {
  local text=$1 what=$2 secret
  for secret in "$k_password" "$k_wrong_password" "$k_odd_password" \
    "$k_odd_password_url" "p@ss" "w/rd"; do
    expect_not_contains "$text" "$secret" "$what" || return 1
  done
}

test_acl_user_works() {
  local good="redis://alice:$k_password@127.0.0.1:$ACL_PORT"
  local odd="redis://carol:$k_odd_password_url@127.0.0.1:$ACL_PORT"
  # start_worker, submit and inspect use $REDIS_URL.
  # shellcheck disable=SC2034 # read by start_worker, submit, inspect
  local REDIS_URL=$good

  start_worker --db app="$TEST_DIR/app.sqlite" -v || return
  expect_file_contains "$WORKER_LOG" "redis://alice:***@127.0.0.1:$ACL_PORT"
  expect_no_password "$(<"$WORKER_LOG")" "worker log"

  expect_exit 0 submit --db app --format value --sql 'select 7' -v
  expect_eq "$OUT" 7 "reply through the ACL user"
  expect_contains "$ERR" "redis://alice:***@127.0.0.1:$ACL_PORT" "jq-submit -v"
  expect_no_password "$ERR" "jq-submit -v"

  expect_exit 0 inspect -v counts --json
  expect_json "$OUT" 'd["completed"]' 1
  expect_no_password "$ERR" "jq-inspect -v"

  # The job really went through the ACL server.
  expect_eq "$(acl_cli zcard bull:jq:completed)" 1 "completed on the ACL server"
  # The worker registered its name (CLIENT SETNAME is allowed to alice).
  expect_contains "$(acl_cli client list)" "name=bull:" "client list"

  # The URL from a file (first line; a trailing CR and blanks are fine),
  # also through the environment.
  printf '%s\r\nredis://ignored:line@127.0.0.1:1\n' "$good" >"$TEST_DIR/url"
  chmod 600 "$TEST_DIR/url"
  expect_exit 0 "$JQ_SUBMIT" --redis-file "$TEST_DIR/url" --db app \
    --format value --sql 'select 8' -v
  expect_eq "$OUT" 8 "reply with --redis-file"
  expect_no_password "$ERR" "jq-submit --redis-file -v"
  expect_exit 0 env JQ_REDIS_URL_FILE="$TEST_DIR/url" "$JQ_SUBMIT" --db app \
    --format value --sql 'select 9'
  expect_eq "$OUT" 9 "reply with JQ_REDIS_URL_FILE"
  expect_exit 0 env JQ_REDIS_URL="$good" "$JQ_SUBMIT" --db app \
    --format value --sql 'select 10'
  expect_eq "$OUT" 10 "reply with JQ_REDIS_URL"
  expect_exit 0 "$JQ_INSPECT" --redis-file "$TEST_DIR/url" counts --json
  expect_json "$OUT" 'd["completed"]' 4
  expect_exit 0 env JQ_REDIS_URL_FILE="$TEST_DIR/url" "$JQ_INSPECT" counts --json
  expect_json "$OUT" 'd["completed"]' 4

  # A worker that has only the file: --redis-file wins over --redis (here
  # an address where nothing listens).
  stop_worker
  # shellcheck disable=SC2034 # read by start_worker
  REDIS_URL="redis://127.0.0.1:$(jq_free_port)"
  start_worker --redis-file "$TEST_DIR/url" --db app="$TEST_DIR/app.sqlite" \
    -v || return
  expect_no_password "$(<"$WORKER_LOG")" "worker log with --redis-file"
  expect_exit 0 "$JQ_SUBMIT" --redis "$good" --db app --format value \
    --sql 'select 11'
  expect_eq "$OUT" 11 "reply from the worker with --redis-file"

  # A password with URL-special characters, percent-encoded.
  expect_exit 0 "$JQ_SUBMIT" --redis "$odd" --db app --format value \
    --sql 'select 12' -v
  expect_eq "$OUT" 12 "reply through carol"
  expect_contains "$ERR" "redis://carol:***@" "jq-submit -v as carol"
  expect_no_password "$ERR" "jq-submit -v as carol"
}
TEST "an ACL user's URL works for every tool, from flags, files and the environment" \
  with_acl_redis test_acl_user_works

# expect_auth_failure WHAT CMD...: exit 69 within 15 s, a clear message, no
# password on stdout or stderr.
expect_auth_failure() {
  local what=$1
  shift
  expect_exit 69 "$@" || return 1
  expect_lt "$ELAPSED_MS" 15000 "$what: elapsed ms"
  expect_eq "$OUT" "" "$what: stdout"
  expect_match "$ERR" 'jq-(submit|worker|inspect): error: ' "$what: stderr"
  expect_match "$ERR" '[Aa]uthenticat|NOAUTH|WRONGPASS' "$what: stderr"
  expect_no_password "$ERR" "$what: stderr"
}

test_wrong_password() {
  # A tool that keeps retrying is a failure, found within 20 s.
  # shellcheck disable=SC2034 # read by run() in lib.sh
  local JQ_E2E_CMD_TIMEOUT=20
  local bad="redis://alice:$k_wrong_password@127.0.0.1:$ACL_PORT"
  local tool bin args
  printf '%s\n' "$bad" >"$TEST_DIR/bad-url"
  for tool in submit worker inspect; do
    case $tool in
      submit)
        bin=$JQ_SUBMIT
        args=(--db app --sql 'select 1' --timeout 5s)
        ;;
      worker)
        bin=$JQ_WORKER
        args=(--db app="$TEST_DIR/app.sqlite")
        ;;
      inspect)
        bin=$JQ_INSPECT
        args=(counts --json)
        ;;
    esac
    # jq-inspect takes the common options before its subcommand.
    expect_auth_failure "jq-$tool --redis" "$bin" --redis "$bad" "${args[@]}"
    expect_contains "$ERR" "127.0.0.1:$ACL_PORT" "jq-$tool: stderr names the server"
    expect_auth_failure "jq-$tool -v" "$bin" --redis "$bad" -v "${args[@]}"
    if [[ $tool != inspect ]]; then
      expect_contains "$ERR" "redis://alice:***@127.0.0.1:$ACL_PORT" \
        "jq-$tool -v"
    fi
    expect_auth_failure "jq-$tool --redis-file" "$bin" \
      --redis-file "$TEST_DIR/bad-url" "${args[@]}"
    expect_auth_failure "jq-$tool JQ_REDIS_URL" env JQ_REDIS_URL="$bad" "$bin" \
      "${args[@]}"
    expect_auth_failure "jq-$tool JQ_REDIS_URL_FILE" \
      env JQ_REDIS_URL_FILE="$TEST_DIR/bad-url" "$bin" "${args[@]}"
    # No login at all, an unknown user, the right password for another user.
    expect_auth_failure "jq-$tool anonymous" "$bin" \
      --redis "redis://127.0.0.1:$ACL_PORT" "${args[@]}"
    expect_auth_failure "jq-$tool unknown user" "$bin" \
      --redis "redis://mallory:$k_wrong_password@127.0.0.1:$ACL_PORT" "${args[@]}"
    expect_auth_failure "jq-$tool password only" "$bin" \
      --redis "redis://:$k_password@127.0.0.1:$ACL_PORT" "${args[@]}"
    expect_auth_failure "jq-$tool carol's password, encoded, for alice" "$bin" \
      --redis "redis://alice:$k_odd_password_url@127.0.0.1:$ACL_PORT" "${args[@]}"
  done
  # Nothing reached the server's data.
  expect_eq "$(acl_cli dbsize)" 0 "keys on the ACL server"
}
TEST "a wrong password exits 69 from every tool and never shows the password" \
  with_acl_redis test_wrong_password

test_bad_url_hides_password() {
  local tool bin
  for tool in submit worker inspect; do
    case $tool in
      submit) bin=$JQ_SUBMIT ;;
      worker) bin=$JQ_WORKER ;;
      inspect) bin=$JQ_INSPECT ;;
    esac
    local args=(--db app --sql 'select 1')
    [[ $tool == worker ]] && args=(--db app="$TEST_DIR/app.sqlite")
    [[ $tool == inspect ]] && args=(counts)
    # A URL that does not parse: usage error, the password not echoed.
    expect_exit 2 "$bin" --redis "redis://alice:$k_password@127.0.0.1:port" \
      "${args[@]}"
    expect_match "$ERR" "^jq-$tool: error: " "jq-$tool stderr"
    expect_no_password "$ERR" "jq-$tool stderr for a bad port"
    expect_exit 2 "$bin" --redis "redis://alice:$k_password@127.0.0.1:6379/x" \
      "${args[@]}"
    expect_no_password "$ERR" "jq-$tool stderr for a bad db"
    expect_exit 2 "$bin" --redis "rediss://alice:$k_password@127.0.0.1" \
      "${args[@]}"
    expect_no_password "$ERR" "jq-$tool stderr for a bad scheme"
    # A missing URL file is a usage error that names the file.
    expect_exit 2 "$bin" --redis-file "$TEST_DIR/no-such-file" "${args[@]}"
    expect_contains "$ERR" "$TEST_DIR/no-such-file" "jq-$tool stderr"
    : >"$TEST_DIR/empty"
    expect_exit 2 "$bin" --redis-file "$TEST_DIR/empty" "${args[@]}"
  done
}
TEST "a malformed URL or URL file is a usage error that hides the password" \
  test_bad_url_hides_password

# A user whose ACL refuses transactions (MULTI/EXEC): jq-submit's first add
# and subscription, sent as one transaction, run one after the other.
test_user_without_transactions() {
  local REDIS_URL="redis://alice:$k_password@127.0.0.1:$ACL_PORT"
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  acl_cli acl setuser dave on ">$k_password" '~*' '&*' '+@all' '-@transaction' \
    >/dev/null
  REDIS_URL="redis://dave:$k_password@127.0.0.1:$ACL_PORT"
  expect_exit 0 submit --db app --format value --sql 'select 13'
  expect_eq "$OUT" 13 "reply through a user without MULTI"
  expect_eq "$(acl_cli zcard bull:jq:completed)" 1 "completed jobs"
}
TEST "a user whose ACL refuses MULTI/EXEC is answered" \
  with_acl_redis test_user_without_transactions
