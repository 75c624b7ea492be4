# shellcheck shell=bash
# shellcheck disable=SC2154 # $tmp, $OUT, ... come from tests/e2e/lib.sh
# shellcheck disable=SC2016 # $base64, $c are SQL and JSON, not shell
# The MySQL/MariaDB engine against a real server: a throwaway MariaDB
# (tests/support/mariadb.sh) on a free loopback port, a user with a
# password and a database of its own. Types, placeholders, batches, the
# seed's payload, the ledger (also across a SIGKILL), read-only, time limits
# that kill on the server, a server that goes away and comes back, and a
# password that never shows. Tables are made ahead by root with the mariadb
# client: a job may not run DDL (MySQL commits it at once). A missing
# MariaDB fails the suite.

# shellcheck source=tests/support/mariadb.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../support/mariadb.sh"

# Stop the server however the suite ends, keeping the harness's status.
trap '_jq_my_status=$?; jq_stop_mariadb; (exit "$_jq_my_status"); _jq_on_exit' EXIT

if ! jq_start_mariadb "$tmp/mariadb"; then
  fail "cannot start MariaDB (see above)"
  return
fi
echo "suite mariadb: MariaDB on port $MY_PORT ($_jq_my_server)"

# The single value (or tab-separated row) of a query, run by root.
my_value() {
  jq_mariadb -e "$1"
}

# Run SQL as root (tables for the jobs: DDL is refused in jobs).
my_root() {
  jq_mariadb -e "$1" || fail "root could not run: $1"
}

# Is no statement like PATTERN running on the server?
none_running() {
  [[ $(my_value "select count(*) from information_schema.processlist where info like '$1' and id <> connection_id()") == 0 ]]
}

# ------------------------------------------------------------------ types

test_types_out() {
  start_worker --db my="$MY_URL" || return
  expect_exit 0 submit --db my --format json --sql "select
      9223372036854775807 as max8, cast(-9223372036854775808 as signed) as min8,
      cast(18446744073709551615 as unsigned) as umax,
      cast(1.5 as double) as dbl, 1e0 / 4 as quarter,
      cast('123456789012345678901234567890.0123456789' as decimal(40,10)) as num,
      true as yes, date '2026-12-04' as d,
      timestamp '2026-12-04 10:00:00.25' as ts, time '-01:30:00' as t,
      x'00ff10' as bin, null as nothing, 'héllo' as txt" || return
  expect_json "$OUT" 'd["result"]["columns"]' '["max8","min8","umax","dbl","quarter","num","yes","d","ts","t","bin","nothing","txt"]'
  expect_json "$OUT" 'd["result"]["rows"]' '[[9223372036854775807,-9223372036854775808,18446744073709551615,1.5,0.25,"123456789012345678901234567890.0123456789",1,"2026-12-04","2026-12-04T10:00:00.25","-01:30:00",{"$base64":"AP8Q"},null,"héllo"]]'
  expect_json "$OUT" 'd["result"]["changes"]' 0
  expect_json "$OUT" 'd["result"]["last_insert_rowid"]' 0
  # The reply's keys, in SQLite's order.
  expect_json "$OUT" 'list(d["result"].keys())' '["changes","columns","last_insert_rowid","rows"]'
  expect_exit 0 submit --db my --format csv \
    --sql "select 1 as a, null as b, 'x,y' as c, 2.5 as d"
  expect_eq "$OUT" $'a,b,c,d\n1,,"x,y",2.5' "csv"
}
TEST "types: literals come back as documented" test_types_out

test_types_columns() {
  my_root "create table typed (id bigint primary key, u bigint unsigned,
    n decimal(40,10), dt datetime(6), ts timestamp(6) null, day date,
    data blob, doc json, note text, r double, f float, flag boolean,
    bits bit(16), t time(1), vb varbinary(8), tiny tinyint)"
  start_worker --db my="$MY_URL" || return
  expect_exit 0 submit --db my --format json \
    --sql 'insert into typed values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)' \
    --params '[-9223372036854775808, "18446744073709551615", "123456789012345678901234567890.0123456789", "2026-12-04T10:00:00.250000", "2026-12-04 10:00:05", "2026-12-04", {"$base64": "AP8Q"}, "{\"a\": [1, 2.5, \"x\"], \"n\": 9007199254740993}", "héllo", 0.1, 0.25, true, 258, "-01:30:00.5", {"$base64": "AAE="}, -128]' \
    || return
  expect_json "$OUT" 'd["result"]["changes"]' 1
  expect_exit 0 submit --db my --format json \
    --sql 'insert into typed (id, u) values (?, ?)' \
    --params '[9223372036854775807, 0]'
  expect_exit 0 submit --db my --format json \
    --sql 'select * from typed order by id'
  expect_json "$OUT" 'd["result"]["rows"][0][:8]' '[-9223372036854775808,18446744073709551615,"123456789012345678901234567890.0123456789","2026-12-04T10:00:00.25","2026-12-04T10:00:05Z","2026-12-04",{"$base64":"AP8Q"},{"a":[1,2.5,"x"],"n":9007199254740993}]'
  expect_json "$OUT" 'd["result"]["rows"][0][8:]' '["héllo",0.1,0.25,1,258,"-01:30:00.5",{"$base64":"AAE="},-128]'
  expect_json "$OUT" 'd["result"]["rows"][1]' '[9223372036854775807,0,null,null,null,null,null,null,null,null,null,null,null,null,null,null]'
  # As root reads them: the TIMESTAMP was taken as UTC.
  expect_eq "$(my_value "select u, hex(data) from typed where id < 0")" \
    $'18446744073709551615\t00FF10' "the row as root reads it"
  expect_eq "$(my_value "set time_zone = '+00:00'; select ts from typed where id < 0")" \
    "2026-12-04 10:00:05.000000" "the TIMESTAMP in UTC"
}
TEST "types: every column type round-trips" test_types_columns

# ------------------------------------------------------------------ parameters

test_placeholders() {
  start_worker --db my="$MY_URL" || return
  expect_exit 0 submit --db my --format value --sql 'select ? as n' --param 41
  expect_eq "$OUT" 41 "select ?"
  expect_exit 0 submit --db my --format value --sql 'select ?2 - ?1' \
    --param 2 --param 44
  expect_eq "$OUT" 42 '?2 - ?1'
  expect_exit 0 submit --db my --format json \
    --sql "select '?' as q, ? as n, 'it''s' as s, \"a ? b\" as dq, 1 as \`c?\` -- why?" --param 5
  expect_json "$OUT" 'd["result"]["rows"]' '[["?",5,"it'"'"'s","a ? b",1]]'
  expect_json "$OUT" 'd["result"]["columns"]' '["q","n","s","dq","c?"]'
  expect_exit 0 submit --db my --format json \
    --sql 'select concat(:a, @b, $c) as abc, :a as a2 # :z' \
    --params '{"a": "x", "@b": "y", "c": "z"}'
  expect_json "$OUT" 'd["result"]["rows"]' '[["xyz","x"]]'
  # With positional parameters @name is MySQL's user variable.
  expect_exit 0 submit --db my --format json \
    --sql 'select @nothing_set as v, ? as p' --param 1
  expect_json "$OUT" 'd["result"]["rows"]' '[[null,1]]'
}
test_named_errors() {
  start_worker --db my="$MY_URL" || return
  expect_exit 1 submit --db my --format json --sql 'select :a, :b' \
    --params '{"a": 1}'
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" "parameter ':b' has no value"
  expect_exit 1 submit --db my --format json --sql 'select :a' \
    --params '{"a": 1, "z": 2}'
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" "the statement has no parameter named 'z'"
  expect_exit 1 submit --db my --format json --sql 'select ?'
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" "the statement has 1 parameter but 0 were given"
  expect_worker_serves my
}
TEST "placeholders: ?, ?NNN and named parameters" test_placeholders
TEST "placeholders: a missing or an extra parameter, as SQLite says it" \
  test_named_errors

# ------------------------------------------------------------------ batches

test_rows_batch() {
  my_root 'create table batch (id int auto_increment primary key, v text)'
  start_worker --db my="$MY_URL" || return
  expect_exit 0 submit --db my --format json \
    --sql 'insert into batch values (?, ?)' \
    --rows '[[1, "a"], [2, "b"], [3, "c"]]'
  expect_json "$OUT" 'd["result"]["changes"]' 3
  expect_json "$OUT" 'd["result"]["last_insert_rowid"]' 3
  # A failing row rolls the whole batch back.
  expect_exit 1 submit --db my --format json \
    --sql 'insert into batch values (?, ?)' --rows '[[4, "d"], [1, "dup"], [5, "e"]]'
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" "row 2: Duplicate entry '1'"
  expect_eq "$(my_value 'select count(*), max(id) from batch')" $'3\t3' \
    "rows of batch after the failed one"
  expect_exit 0 submit --db my --format json \
    --sql 'update batch set v = concat(v, ?) where id = ?' --rows '[["!", 1], ["!", 2]]'
  expect_json "$OUT" 'd["result"]["changes"]' 2
  expect_json "$OUT" 'd["result"]["columns"]' '[]'
  # AUTO_INCREMENT: last_insert_rowid as SQLite gives it. (InnoDB does not
  # take back the 4 of the batch rolled back: the next id is 5.)
  expect_exit 0 submit --db my --format json \
    --sql 'insert into batch (v) values (?)' --param auto
  expect_json "$OUT" 'd["result"]["last_insert_rowid"]' 5
  # MariaDB's RETURNING: rows, and the rows it changed.
  expect_exit 0 submit --db my --format json \
    --sql 'insert into batch (v) values (?) returning id, v' --rows '[["r1"], ["r2"]]'
  expect_json "$OUT" 'd["result"]["rows"]' '[[6,"r1"],[7,"r2"]]'
  expect_json "$OUT" 'd["result"]["changes"]' 2
}
TEST "rows: a batch runs in one transaction; a failing row rolls all back" \
  test_rows_batch

test_seed_payload() {
  my_root 'create table board (id int, title text)'
  start_worker --db my="$MY_URL" || return
  local input=$TEST_DIR/seed.jsonl
  printf '%s\n' \
    '{"dbname": "my", "sql": "INSERT INTO board VALUES(?,?)", "value": [[1,"a"],[2,"b"]]}' \
    '{"dbname": "my", "sql": "SELECT * FROM board WHERE id = ?", "value": [2]}' \
    >"$input"
  run_input "$input" submit --stdin -j 1 --ordered --timeout 20s
  expect_eq "$RC" 0 "exit status of the seed's jobs"
  expect_json "$(sed -n 1p <<<"$OUT")" 'd["result"]["changes"]' 2
  expect_json "$(sed -n 2p <<<"$OUT")" 'd["result"]["rows"]' '[[2,"b"]]'
  expect_eq "$(my_value 'select count(*) from board')" 2 "rows of board"
}
TEST "the seed's payload: dbname, sql and value (rows)" test_seed_payload

# ------------------------------------------------------------------ ledger

test_ledger() {
  my_root 'create table once (n int)'
  start_worker --db my="$MY_URL" || return
  expect_exit 0 submit --db my --format json --job-id w1 \
    --sql 'insert into once values (?)' --param 7 || return
  local first
  first=$(json_query "$OUT" 'd["result"]')
  expect_eq "$(my_value "select count(*) from _jq_ledger where job_key like 'bull:jq:w1:%'")" \
    1 "ledger rows of job w1"
  expect_eq "$(redeliver w1)" 1 "the redelivery script" || return
  if ! wait_until 10 in_completed w1; then
    fail "the redelivered job did not complete within 10 s"
    return
  fi
  expect_eq "$(json_query "$(rcli hget bull:jq:w1 returnvalue)" 'd')" "$first" \
    "the redelivered job's reply vs the first one"
  expect_eq "$(my_value 'select count(*), sum(n) from once')" $'1\t7' \
    "count|sum of once"
  # A read leaves no record.
  expect_exit 0 submit --db my --format json --job-id r1 --sql 'select 1'
  expect_eq "$(my_value "select count(*) from _jq_ledger where job_key like 'bull:jq:r1:%'")" \
    0 "ledger rows of the read r1"
  # An update that matched nothing is still a write: recorded.
  expect_exit 0 submit --db my --format json --job-id u0 \
    --sql 'update once set n = 8 where n = 0'
  expect_eq "$(my_value "select count(*) from _jq_ledger where job_key like 'bull:jq:u0:%'")" \
    1 "ledger rows of the update u0"
  # The table as made: InnoDB, with its index.
  expect_eq "$(my_value "select engine from information_schema.tables where table_schema = 'jq_test' and table_name = '_jq_ledger'")" \
    InnoDB "the ledger's engine"
  # Jobs may not touch the ledger.
  refuse led-1 my _jq_ledger 'delete from _jq_ledger'
  refuse led-2 my _jq_ledger 'select * from jq_test.`_JQ_LEDGER`'
}
TEST "ledger: a write delivered twice is applied once, with the same reply" \
  test_ledger

twin_holds_lock() {
  # Not this query's own session: its text matches the pattern too.
  [[ $(my_value "select count(*) from information_schema.processlist where info like '%twin%sleep%' and id <> connection_id()") == 1 ]]
}

test_ledger_twin() {
  # A twin delivery of the same job, in flight in another session, commits
  # its write and its ledger row first: this run waits for its row lock,
  # then fails on the ledger's key, rolls back and returns the twin's reply.
  my_root 'create table twin (id int primary key, n int); insert into twin values (1, 0)'
  start_worker --db my="$MY_URL" || return
  expect_exit 0 submit --db my --format json --job-id t1 \
    --sql 'update twin set n = n + 1 where id = 1' || return
  local key
  key=$(my_value "select job_key from _jq_ledger where job_key like 'bull:jq:t1:%'")
  [[ -n $key ]] || { fail "no ledger row for t1"; return; }
  # As if t1's first run had not committed yet: its twin is under way.
  my_root "delete from _jq_ledger where job_key = '$key'; update twin set n = 0"
  run_bg holder jq_mariadb -e "START TRANSACTION; UPDATE twin SET n = n + 1 WHERE id = 1; INSERT INTO _jq_ledger VALUES ('$key', '{\"twin\":true}', 0); SELECT 'twin', SLEEP(2); COMMIT;"
  wait_until 10 twin_holds_lock || { fail "the twin did not take the lock"; return; }
  redeliver t1 >/dev/null
  if ! wait_until 15 in_completed t1; then
    fail "the redelivered t1 did not complete" "$(rcli hget bull:jq:t1 failedReason)"
    return
  fi
  expect_eq "$(rcli hget bull:jq:t1 returnvalue)" '{"twin":true}' \
    "t1's reply: the twin's"
  wait_bg holder 20
  expect_eq "$(my_value 'select n from twin')" 1 "n: written once (by the twin)"
}
TEST "ledger: a twin that commits first wins; the other rolls back" \
  test_ledger_twin

test_least_privilege() {
  # An account with its jobs' rights only, no CREATE: reads work, a write
  # fails with a reason until the ledger is made ahead and granted.
  local low_pw="low-$RANDOM$RANDOM"
  my_root "create table priv (n int);
    create user 'jq_low'@'127.0.0.1' identified by '$low_pw';
    grant select, insert on jq_test.priv to 'jq_low'@'127.0.0.1'"
  start_worker --db low="mysql://jq_low:$low_pw@127.0.0.1:$MY_PORT/$MY_DB" \
    || return
  expect_exit 0 submit --db low --format value --sql 'select count(*) from priv'
  expect_eq "$OUT" 0 "a read without the ledger"
  expect_exit 1 submit --db low --format json --job-id low-w1 \
    --sql 'insert into priv values (1)'
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" \
    "the _jq_ledger table is missing and cannot be made"
  expect_eq "$(my_value 'select count(*) from priv')" 0 "rows of priv"
  # The table as README.md makes it ahead (it may exist from other tests),
  # and the grants it names.
  my_root "CREATE TABLE IF NOT EXISTS _jq_ledger (job_key VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin PRIMARY KEY, reply LONGTEXT NOT NULL, created_ms BIGINT NOT NULL, KEY _jq_ledger_created (created_ms)) ENGINE=InnoDB;
    GRANT SELECT, INSERT, DELETE ON jq_test._jq_ledger TO 'jq_low'@'127.0.0.1'"
  stop_worker
  start_worker --db low="mysql://jq_low:$low_pw@127.0.0.1:$MY_PORT/$MY_DB" \
    || return
  expect_exit 0 submit --db low --format json --job-id low-w2 \
    --sql 'insert into priv values (2)'
  expect_eq "$(my_value "select count(*) from _jq_ledger where job_key like 'bull:jq:low-w2:%'")" \
    1 "ledger rows of low-w2"
  my_root "drop user 'jq_low'@'127.0.0.1'"
}
TEST "least privilege: no CREATE, the ledger made ahead by its owner" \
  test_least_privilege

# ------------------------------------------------------------------ read-only

test_read_only() {
  my_root 'create table ro_t (n int); insert into ro_t values (1)'
  start_worker --db ro="$MY_URL:ro" --db ro2="$MY_URL?ro=1" || return
  local db
  for db in ro ro2; do
    expect_exit 0 submit --db "$db" --format value --sql 'select count(*) from ro_t'
    expect_eq "$OUT" 1 "a read on $db"
    refuse "ro-$db" "$db" "READ ONLY transaction" 'insert into ro_t values (2)'
  done
  expect_eq "$(my_value 'select count(*) from ro_t')" 1 "rows of ro_t"
  # No ledger for read-only databases (the table as README.md makes it
  # ahead of time, if no test made it yet).
  my_root 'CREATE TABLE IF NOT EXISTS _jq_ledger (job_key VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin PRIMARY KEY, reply LONGTEXT NOT NULL, created_ms BIGINT NOT NULL, KEY _jq_ledger_created (created_ms)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4'
  expect_eq "$(my_value "select count(*) from _jq_ledger where job_key like 'bull:jq:ro-%'")" \
    0 "ledger rows of the read-only jobs"
}
TEST "read-only: :ro and ?ro=1 refuse writes" test_read_only

test_tls_required() {
  # This server offers no TLS: REQUIRED must not go on in plain text.
  start_worker --db tls="$MY_URL?ssl-mode=REQUIRED" --db plain="$MY_URL?ssl-mode=DISABLED" || return
  expect_exit 1 submit --db tls --format json --sql 'select 1'
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" \
    "ssl-mode asks for TLS, but the server did not use it"
  expect_not_contains "$OUT" "$MY_PASSWORD" "the reply"
  expect_exit 0 submit --db plain --format value --sql 'select 1'
}
TEST "TLS: ssl-mode=REQUIRED fails against a server without TLS" \
  test_tls_required

# ------------------------------------------------------------------ time

test_job_timeout() {
  start_worker --db my="$MY_URL" || return
  expect_exit 1 submit --db my --format json --job-id slow --timeout 20s \
    --job-timeout 500ms --sql 'select sleep(30)'
  expect_json "$OUT" 'd["error"]["message"]' '"timed out after 500 ms"'
  expect_lt "$ELAPSED_MS" 5000 "ms until the timed-out job failed"
  # Killed on the server, not left running there.
  wait_until 5 none_running 'select sleep(30)%' \
    || fail "sleep(30) still runs on the server: $(my_value "select id, command, info from information_schema.processlist where info like 'select sleep(30)%'")"
  expect_exit 0 submit --db my --format value --timeout 5s --sql 'select 1'
  expect_lt "$ELAPSED_MS" 1500 "ms for a select right after the timed-out job"
}
TEST "time: --job-timeout kills a long statement on the server" \
  test_job_timeout

lock_held() {
  [[ $(my_value "select count(*) from information_schema.processlist where info like 'SELECT SLEEP(8)%'") == 1 ]]
}

test_lock_wait_timeout() {
  my_root 'create table locked (id int primary key, v int); insert into locked values (1, 1)'
  start_worker --db my="$MY_URL" || return
  run_bg holder jq_mariadb -e "START TRANSACTION; SELECT * FROM locked WHERE id = 1 FOR UPDATE; SELECT SLEEP(8); COMMIT;"
  wait_until 10 lock_held || { fail "the other session did not take the lock"; return; }
  expect_exit 1 submit --db my --format json --job-id waits --timeout 20s \
    --job-timeout 700ms --sql 'update locked set v = 2 where id = 1'
  expect_json "$OUT" 'd["error"]["message"]' '"timed out after 700 ms"'
  expect_lt "$ELAPSED_MS" 5000 "ms until the job waiting on the lock failed"
  wait_until 5 none_running 'update locked%' \
    || fail "the update still waits on the server"
  expect_worker_serves my
  wait_bg holder 20
  expect_eq "$(my_value 'select v from locked')" 1 "v after the killed update"
}
TEST "time: a job waiting on a row lock is ended by its timeout" \
  test_lock_wait_timeout

test_limits() {
  start_worker --db my="$MY_URL" --max-rows 10 --max-result-bytes 100000 \
    || return
  refuse big-1 my "more than 10 rows (--max-rows)" \
    'select seq, sleep(0.001) from seq_1_to_100000'
  # Stopped early: the statement does not run on to its end.
  wait_until 5 none_running 'select seq, sleep%' \
    || fail "the statement past --max-rows still runs on the server"
  refuse big-2 my "larger than 100000 bytes (--max-result-bytes)" \
    "select repeat('x', 60000) from seq_1_to_5"
  expect_exit 0 submit --db my --format json --sql 'select seq from seq_1_to_10'
  expect_json "$OUT" 'len(d["result"]["rows"])' 10
  # A value past the bound buffers is read whole.
  expect_exit 0 submit --db my --format json --sql "select repeat('y', 5000) as y"
  expect_json "$OUT" 'len(d["result"]["rows"][0][0])' 5000
}
TEST "limits: --max-rows and --max-result-bytes fail the job and stop it" \
  test_limits

test_concurrency() {
  my_root 'create table busy (n int primary key)'
  start_worker --db my="$MY_URL" -c 4 || return
  local input=$TEST_DIR/jobs.jsonl i
  for i in $(seq 1 200); do
    printf '{"db":"my","sql":"insert into busy values (?)","params":[%d]}\n' "$i"
  done >"$input"
  run_input "$input" submit --stdin -j 32 --timeout 60s
  expect_eq "$RC" 0 "exit status of 200 jobs at -c 4"
  expect_file_lines "$OUT_FILE" 200
  expect_eq "$(my_value 'select count(*), sum(n) from busy')" $'200\t20100' \
    "count|sum of busy"
  expect_eq "$(my_value "select count(*) from information_schema.processlist where user = 'jq_test'")" \
    4 "connections of the worker (one per slot)"
}
TEST "concurrency: -c 4 runs on four connections" test_concurrency

# ------------------------------------------------------------------ refusals

test_refusals() {
  start_worker --db my="$MY_URL" || return
  refuse ms-1 my "more than one statement" 'select 1; select 2'
  refuse ms-2 my "more than one statement" "select ';'; delete from nothing"
  refuse tx-1 my "COMMIT is not allowed" 'commit'
  refuse tx-2 my "START is not allowed" 'start transaction'
  refuse set-1 my "SET is not allowed" 'set @x = 1'
  refuse ddl-1 my "CREATE is not allowed" 'create table t (n int)'
  refuse ddl-2 my "DROP is not allowed" 'drop table if exists t'
  refuse lock-1 my "LOCK is not allowed" 'lock tables board write'
  refuse err-1 my "Table 'jq_test.nope' doesn't exist" 'select * from nope'
  expect_contains "$(rcli hget bull:jq:err-1 stacktrace)" "SQLSTATE 42S02"
  expect_exit 0 submit --db my --format value --sql 'select 1;'
  expect_eq "$OUT" 1 "a statement with a trailing semicolon"
  # Ways past a first-word check: what SET STATEMENT ... FOR wraps, and an
  # executable comment that a newer server would skip.
  refuse setst-1 my "SET STATEMENT is not allowed" \
    'set statement max_statement_time = 5 for set session sql_select_limit = 1'
  refuse exec-1 my "executable comments" \
    '/*!999999 select */ set session sql_select_limit = 1'
  refuse kill-1 my "KILL is not allowed" 'kill connection_id()'
  # sql_select_limit = 1 left on the connection would cut this to one row.
  expect_exit 0 submit --db my --format json --sql 'select id from board'
  expect_json "$OUT" 'len(d["result"]["rows"])' 2
}
TEST "refusals: several statements, transaction control, DDL, SQL errors" \
  test_refusals

# ------------------------------------------------------------------ session

test_session_reset() {
  # One slot, so one connection serves every job: what a job leaves on its
  # session (through functions and statements the rules allow) must not
  # reach the jobs after it.
  my_root 'create sequence counted; create table locked_rows (id int primary key, got int)'
  # A job may not SET; a function may.
  jq_mariadb <<'SQL' || { fail "cannot make leak_time_zone()"; return; }
DELIMITER //
CREATE FUNCTION leak_time_zone() RETURNS INT NOT DETERMINISTIC
BEGIN
  SET SESSION time_zone = '+05:00';
  RETURN 1;
END //
SQL
  start_worker --db my="$MY_URL" -c 1 || return
  # A user variable.
  expect_exit 0 submit --db my --format value --sql 'select @leak := 42'
  expect_eq "$OUT" 42 "the variable set"
  expect_exit 0 submit --db my --format json --sql 'select @leak as v'
  expect_json "$OUT" 'd["result"]["rows"]' '[[null]]'
  # A named lock, which no COMMIT releases.
  expect_exit 0 submit --db my --format value --sql "select get_lock('jq_leak', 0)"
  expect_eq "$OUT" 1 "get_lock"
  expect_eq "$(my_value "select is_used_lock('jq_leak') is null")" 1 \
    "the lock free once the job is done"
  # A sequence's value for this session.
  expect_exit 0 submit --db my --format value --sql 'select nextval(counted)'
  expect_exit 0 submit --db my --format json --sql 'select lastval(counted) as v'
  expect_json "$OUT" 'd["result"]["rows"]' '[[null]]'
  # A session variable set by a function: the engine's own settings stay.
  expect_exit 0 submit --db my --format value --sql 'select leak_time_zone()'
  expect_exit 0 submit --db my --format json \
    --sql 'select @@session.time_zone as tz, @@session.sql_mode as mode, @@session.autocommit as ac, @@session.character_set_client as cs'
  expect_json "$OUT" 'd["result"]["rows"]' \
    '[["+00:00","STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION",1,"utf8mb4"]]'
  # A failed job's lock too (its first row took it).
  expect_exit 1 submit --db my --format json \
    --sql 'insert into locked_rows values (?, get_lock(?, 0))' \
    --rows '[[1, "jq_leak_2"], [1, "jq_leak_3"]]'
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" \
    "row 2: Duplicate entry"
  expect_eq "$(my_value "select is_used_lock('jq_leak_2') is null")" 1 \
    "the lock free once the failed job is done"
}
TEST "session: what a job leaves on its connection (user variables, locks, sequences, settings) does not reach the next job" \
  test_session_reset

# ------------------------------------------------------------------ outages

test_server_outage() {
  jq_my_server_stop
  # The worker starts while the server is down, with a warning.
  start_worker --db my="$MY_URL" || { jq_my_server_start; return; }
  expect_file_contains "$WORKER_LOG" "cannot connect to database my"
  expect_exit 1 submit --db my --format json --job-id down-1 --sql 'select 1'
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" \
    "cannot connect to database my (my=mysql://jq_test:***@127.0.0.1:$MY_PORT/jq_test)"
  jq_my_server_start || return
  expect_exit 0 submit --db my --format value --sql 'select 2'
  expect_eq "$OUT" 2 "a job once the server is up"
  # A restart under a connected worker: the next job reconnects.
  jq_my_server_stop
  expect_exit 1 submit --db my --format json --job-id down-2 --sql 'select 3'
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" "cannot connect to database my"
  # Its attempts and backoff apply: one submitted while down completes
  # once the server is back.
  run_bg retried submit --db my --format value --attempts 40 \
    --backoff fixed:300ms --timeout 40s --sql 'select 4'
  sleep 1
  jq_my_server_start || return
  wait_bg retried 40
  expect_eq "$RC" 0 "exit status of the job retried across the outage"
  expect_eq "$OUT" 4 "its reply"
  expect_exit 0 submit --db my --format value --sql 'select 5'
  expect_eq "$OUT" 5 "a job after the restart"
  kill -0 "$WORKER_PID" || fail "the worker is gone"
}
TEST "outage: the worker survives the server stopping and starting" \
  test_server_outage

worker_sleeping() {
  [[ $(my_value "select count(*) from information_schema.processlist where user = 'jq_test' and info like 'select sleep(5)%'") == 1 ]]
}

kill_worker_connections() {
  local id
  for id in $(my_value "select id from information_schema.processlist where user = 'jq_test'"); do
    my_value "kill $id" >/dev/null 2>&1
  done
}

test_connection_killed() {
  start_worker --db my="$MY_URL" || return
  expect_exit 0 submit --db my --format value --sql 'select 1'
  # Ended between jobs: the next job opens a new connection and runs.
  kill_worker_connections
  expect_exit 0 submit --db my --format value --sql 'select 2'
  expect_eq "$OUT" 2 "the job after its connection was ended"
  # Ended during a job: that job fails with the connector's reason.
  run_bg sleeper submit --db my --format json --job-id cut --sql 'select sleep(5)'
  wait_until 10 worker_sleeping || { fail "the job did not start"; return; }
  kill_worker_connections
  wait_bg sleeper 20
  expect_eq "$RC" 1 "exit status of the job whose connection was ended"
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" "database my: "
  expect_worker_serves my
}
TEST "outage: a connection ended by the server is opened again" \
  test_connection_killed

# ------------------------------------------------------------------ SIGKILL

has_active_jobs() {
  (($(rcli llen bull:jq:active) > 0))
}

test_sigkill_mid_batch() {
  my_root 'create table killed (n int)'
  # Default lock and stalled timings, as users run them: the dead worker's
  # jobs go back in line after up to a minute.
  local -a flags=(--db my="$MY_URL" -c 4)
  start_worker "${flags[@]}" || return
  local worker_a=$WORKER_PID
  local input=$TEST_DIR/kill.jsonl i
  for i in $(seq 1 2000); do
    printf '{"db":"my","sql":"insert into killed values (?)","params":[%d]}\n' "$i"
  done >"$input"
  run_bg_input feeder "$input" submit --stdin -j 32 --timeout 120s
  wait_until 60 eval '(($(my_value "select count(*) from killed") >= 300))' \
    || { fail "fewer than 300 rows within 60 s"; return; }
  # Frozen while it holds jobs, then killed: some of them committed, their
  # replies never sent.
  local _try
  for _try in $(seq 1 50); do
    kill -STOP "$worker_a"
    sleep 0.1
    has_active_jobs && break
    kill -CONT "$worker_a"
    sleep 0.1
  done
  stop_worker "$worker_a" KILL || return
  echo "SIGKILL with $(my_value 'select count(*) from killed') rows written" >&2
  start_worker "${flags[@]}" || return
  wait_bg feeder 180
  expect_eq "$RC" 0 "exit status of the 2,000 jobs"
  expect_file_lines "$OUT_FILE" 2000
  expect_eq "$(my_value 'select count(*), count(distinct n), min(n), max(n) from killed')" \
    $'2000\t2000\t1\t2000' "count|distinct|min|max of killed"
  expect_eq "$(rcli zcard bull:jq:failed)" 0 "ZCARD failed"
}
TEST "SIGKILL of the worker mid-batch: exactly 2,000 rows" test_sigkill_mid_batch

# The server killed (SIGKILL, as a crash or the OOM killer would) and started
# again mid-batch: statements in flight are lost with their transactions, and
# a commit whose answer never came is found in the ledger on the retry.
test_server_killed_mid_batch() {
  my_root 'create table crashed (n int)'
  start_worker --db my="$MY_URL" -c 4 || return
  local input=$TEST_DIR/crash.jsonl i
  for i in $(seq 1 2000); do
    printf '{"db":"my","sql":"insert into crashed values (?)","params":[%d],"attempts":50,"backoff":"fixed:200ms"}\n' "$i"
  done >"$input"
  run_bg_input feeder "$input" submit --stdin -j 64 --timeout 120s
  wait_until 60 eval '(($(rcli zcard bull:jq:completed) >= 500))' \
    || { fail "fewer than 500 jobs completed within 60 s"; return; }
  kill -KILL "$_jq_my_pid"
  wait "$_jq_my_pid" 2>/dev/null
  _jq_my_running=false
  measured "server SIGKILLed after $(rcli zcard bull:jq:completed) jobs"
  sleep 1
  jq_my_server_start || { fail "MariaDB did not start again"; return; }
  wait_bg feeder 180
  expect_eq "$RC" 0 "exit status of the 2,000 jobs"
  expect_eq "$(grep -c '"status":"completed"' "$OUT_FILE")" 2000 "completed replies"
  expect_eq "$(my_value 'select count(*), count(distinct n), min(n), max(n) from crashed')" \
    $'2000\t2000\t1\t2000' "count|distinct|min|max of crashed: nothing lost, nothing doubled"
  measured "attempts beyond the first: $("$JQ_PYTHON" -c '
import json, sys
print(sum(json.loads(l)["attempts"] - 1 for l in open(sys.argv[1]) if l.strip()))' "$OUT_FILE")"
  kill -0 "$WORKER_PID" || fail "the worker is gone"
}
TEST "faults: the server SIGKILLed and restarted mid-batch of 2,000 inserts: 2,000 rows exactly" \
  test_server_killed_mid_batch

# ------------------------------------------------------------------ secrets

test_password_hidden() {
  start_worker -v --db my="$MY_URL" \
    --db bad="mysql://jq_test:wrong-$MY_PASSWORD@127.0.0.1:$MY_PORT/jq_test" \
    || return
  expect_file_contains "$WORKER_LOG" "Access denied for user"
  expect_exit 0 submit --db my --format value --sql 'select 1'
  expect_exit 1 submit --db bad --format json --job-id bad-1 --sql 'select 1'
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" "Access denied"
  local args
  args=$(ps -o args= -p "$WORKER_PID")
  expect_contains "$args" "mysql://jq_test:*" "ps"
  expect_not_contains "$args" "$MY_PASSWORD" "ps"
  expect_not_contains "$(tr '\0' ' ' <"/proc/$WORKER_PID/cmdline")" \
    "$MY_PASSWORD" "/proc/PID/cmdline"
  run "$JQ_WORKER" --redis "$REDIS_URL" --db my="$MY_URL" --print-config
  expect_contains "$OUT" "mysql://jq_test:***@" "--print-config"
  expect_not_contains "$OUT" "$MY_PASSWORD" "--print-config"
  # Bad URLs and usage errors name the database, not the password.
  expect_exit 2 "$JQ_WORKER" --redis "$REDIS_URL" \
    --db "x=mysql://u:$MY_PASSWORD@h/d?nosuchparam=1"
  expect_contains "$ERR" "unknown parameter 'nosuchparam'" "stderr of a bad URL"
  expect_not_contains "$ERR" "$MY_PASSWORD" "stderr of a bad URL"
  expect_exit 2 "$JQ_WORKER" --redis "$REDIS_URL" \
    --db "x=mariadb://u:$MY_PASSWORD@h/d?password=$MY_PASSWORD"
  expect_not_contains "$ERR" "$MY_PASSWORD" "stderr of a password parameter"
  # The unix socket, by the URL's socket= parameter.
  stop_worker
  start_worker --db sock="mariadb://$MY_USER:$MY_PASSWORD@localhost/$MY_DB?socket=$MY_SOCKET" || return
  expect_exit 0 submit --db sock --format value --sql 'select 6'
  expect_eq "$OUT" 6 "a job over the unix socket"
  stop_worker
  local file
  for file in "$TEST_DIR"/*; do
    if grep -qF -- "$MY_PASSWORD" "$file"; then
      fail "${file##*/} holds the password" "$(grep -F -- "$MY_PASSWORD" "$file" | head -3)"
    fi
  done
  expect_not_contains "$(rcli --scan | xargs -r -n1 rcli hgetall 2>/dev/null)" \
    "$MY_PASSWORD" "Redis"
}
TEST "secrets: the password shows in no log, message, ps or Redis" \
  test_password_hidden
