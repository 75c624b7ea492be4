# shellcheck shell=bash
# shellcheck disable=SC2154 # $tmp, $OUT, ... come from tests/e2e/lib.sh
# shellcheck disable=SC2016 # $1, $base64 and $$ are SQL and JSON, not shell
# The PostgreSQL engine against a real server: a throwaway PostgreSQL
# (tests/support/postgres.sh) on a free loopback port, a role with a
# password and a database of its own. Types, placeholders, batches, the
# ledger, read-only, time limits that cancel on the server, a server that
# goes away and comes back, and a password that never shows. A missing
# PostgreSQL fails the suite.

# shellcheck source=tests/support/postgres.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../support/postgres.sh"

# Stop the server however the suite ends, keeping the harness's status.
trap '_jq_pg_status=$?; jq_stop_postgres; (exit "$_jq_pg_status"); _jq_on_exit' EXIT

if ! jq_start_postgres "$tmp/postgres"; then
  fail "cannot start PostgreSQL (see above)"
  return
fi
echo "suite postgres: PostgreSQL on port $PG_PORT ($PG_BIN)"

# The single value of a query, run by the superuser.
pg_value() {
  jq_psql -c "$1"
}

# Is nothing but us running a statement like PATTERN on the server?
none_running() {
  [[ $(pg_value "select count(*) from pg_stat_activity where state = 'active' and pid <> pg_backend_pid() and query like '$1'") == 0 ]]
}

# ------------------------------------------------------------------ types

test_types_out() {
  start_worker --db pg="$PG_URL" || return
  expect_exit 0 submit --db pg --format json --sql "select
      9223372036854775807::int8 as max8, (-9223372036854775808)::int8 as min8,
      (-32768)::int2 as i2, 2147483647::int4 as i4,
      1.5::float8 as f8, 0.25::float4 as f4, 'NaN'::float8 as nan,
      'Infinity'::float8 as inf,
      123456789012345678901234567890.000000000001::numeric as num,
      true as yes, false as no, date '2026-12-04' as d,
      timestamp '2026-12-04 10:00:00.25' as ts,
      timestamptz '2026-12-04 11:00:00+01' as tz,
      '\\x00ff10'::bytea as bin, '{\"a\": [1, 2.5, \"x\"]}'::json as j,
      '{\"b\": null, \"n\": 9007199254740993}'::jsonb as jb,
      null::int as nothing, 'héllo' as t, interval '1 day' as iv,
      array[1, 2] as arr" || return
  expect_json "$OUT" 'd["result"]["columns"]' '["max8","min8","i2","i4","f8","f4","nan","inf","num","yes","no","d","ts","tz","bin","j","jb","nothing","t","iv","arr"]'
  expect_json "$OUT" 'd["result"]["rows"]' '[[9223372036854775807,-9223372036854775808,-32768,2147483647,1.5,0.25,null,null,"123456789012345678901234567890.000000000001",true,false,"2026-12-04","2026-12-04T10:00:00.25","2026-12-04T10:00:00Z",{"$base64":"AP8Q"},{"a":[1,2.5,"x"]},{"b":null,"n":9007199254740993},null,"héllo","1 day","{1,2}"]]'
  expect_json "$OUT" 'd["result"]["changes"]' 0
  expect_json "$OUT" 'd["result"]["last_insert_rowid"]' null
  expect_json "$OUT" 'd["result"]["warnings"]' '["2 real value(s) were NaN, Infinity or -Infinity, which JSON cannot represent: sent as null"]'
  # The reply's keys, in SQLite's order.
  expect_json "$OUT" 'list(d["result"].keys())' '["changes","columns","last_insert_rowid","rows","warnings"]'
  # The other formats take the reply as they take SQLite's.
  expect_exit 0 submit --db pg --format csv \
    --sql "select 1 as a, null::text as b, 'x,y' as c, 2.5::numeric as d"
  expect_eq "$OUT" $'a,b,c,d\n1,,"x,y",2.5' "csv"
  expect_exit 0 submit --db pg --format table --sql 'select 1 as a'
  expect_contains "$OUT" a "table"
}
TEST "types: every PostgreSQL type comes back as documented" test_types_out

test_types_in() {
  start_worker --db pg="$PG_URL" || return
  expect_exit 0 submit --db pg --format json --sql 'create table typed (
      id int8 primary key, n numeric, b bool, d date, ts timestamptz,
      data bytea, doc jsonb, note text, r float8)' || return
  expect_exit 0 submit --db pg --format json \
    --sql 'insert into typed values (?, ?, ?, ?, ?, ?, ?, ?, ?)' \
    --params '[9223372036854775807, "12.50", true, "2026-12-04", "2026-12-04T10:00:00+02:00", {"$base64": "AP8="}, "{\"k\": [1]}", null, 0.1]' \
    || return
  expect_json "$OUT" 'd["result"]["changes"]' 1
  expect_exit 0 submit --db pg --format json --params '[-9223372036854775808]' \
    --sql 'insert into typed (id) values (?) returning id, n'
  expect_json "$OUT" 'd["result"]["rows"]' '[[-9223372036854775808,null]]'
  expect_json "$OUT" 'd["result"]["changes"]' 1
  expect_exit 0 submit --db pg --format json \
    --sql 'select * from typed where id = $1' --param 9223372036854775807
  expect_json "$OUT" 'd["result"]["rows"]' '[[9223372036854775807,"12.50",true,"2026-12-04","2026-12-04T08:00:00Z",{"$base64":"AP8="},{"k":[1]},null,0.1]]'
  expect_eq "$(pg_value 'select n, encode(data, '"'hex'"') from typed where id > 0')" \
    "12.50|00ff" "the row as psql reads it"
}
TEST "types: parameters of every kind land in typed columns" test_types_in

# ------------------------------------------------------------------ parameters

test_placeholders() {
  start_worker --db pg="$PG_URL" || return
  expect_exit 0 submit --db pg --format value --sql 'select ? + 1' --param 41
  expect_eq "$OUT" 42 "? + 1"
  expect_exit 0 submit --db pg --format value --sql 'select $1 + $2' \
    --param 40 --param 2
  expect_eq "$OUT" 42 '$1 + $2'
  expect_exit 0 submit --db pg --format json \
    --sql "select '?' as q, ?::int as n, 'it''s' as s -- why?" --param 5
  expect_json "$OUT" 'd["result"]["rows"]' '[["?",5,"it'"'"'s"]]'
  expect_exit 0 submit --db pg --format json \
    --sql 'select :a::text || @b::text || $c::text as abc, :a::text as a2' \
    --params '{"a": "x", "@b": "y", "c": "z"}'
  expect_json "$OUT" 'd["result"]["rows"]' '[["xyz","x"]]'
  expect_exit 0 submit --db pg --format value \
    --sql "select \$\$ :not ? a param \$\$ || :p::text" --params '{":p": "!"}'
  expect_eq "$OUT" ' :not ? a param !' "dollar-quoted text"
  # jsonb's ? operator, with $n placeholders.
  expect_exit 0 submit --db pg --format value \
    --sql 'select $1::jsonb ? $2' --param '{"k": 1}' --param k
  expect_eq "$OUT" true "jsonb ? with \$n"
}
test_named_errors() {
  start_worker --db pg="$PG_URL" || return
  expect_exit 1 submit --db pg --format json --sql 'select :a::int, :b::int' \
    --params '{"a": 1}'
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" "parameter ':b' has no value"
  expect_exit 1 submit --db pg --format json --sql 'select :a::int' \
    --params '{"a": 1, "z": 2}'
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" "the statement has no parameter named 'z'"
  expect_exit 1 submit --db pg --format json --sql 'select ?::int' 
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" "the statement has 1 parameter but 0 were given"
  expect_worker_serves pg
}
TEST "placeholders: ?, \$1 and named parameters" test_placeholders
TEST "placeholders: a missing or an extra parameter, as SQLite says it" \
  test_named_errors

# ------------------------------------------------------------------ batches

test_rows_batch() {
  start_worker --db pg="$PG_URL" || return
  expect_exit 0 submit --db pg --format json \
    --sql 'create table batch (id int primary key, v text)' || return
  expect_exit 0 submit --db pg --format json \
    --sql 'insert into batch values (?, ?) returning id' \
    --rows '[[1, "a"], [2, "b"], [3, "c"]]'
  expect_json "$OUT" 'd["result"]["changes"]' 3
  expect_json "$OUT" 'd["result"]["rows"]' '[[1],[2],[3]]'
  # A failing row rolls the whole batch back.
  expect_exit 1 submit --db pg --format json \
    --sql 'insert into batch values (?, ?)' --rows '[[4, "d"], [1, "dup"], [5, "e"]]'
  local message
  message=$(json_get "$OUT" 'd["error"]["message"]')
  expect_contains "$message" "row 2: duplicate key value"
  expect_eq "$(pg_value 'select count(*), max(id) from batch')" "3|3" \
    "rows of batch after the failed one"
  # One transaction: another session sees all the rows or none.
  expect_exit 0 submit --db pg --format json \
    --sql 'update batch set v = v || ? where id = ?' --rows '[["!", 1], ["!", 2]]'
  expect_json "$OUT" 'd["result"]["changes"]' 2
  expect_json "$OUT" 'd["result"]["columns"]' '[]'
}
TEST "rows: a batch runs in one transaction; a failing row rolls all back" \
  test_rows_batch

# ------------------------------------------------------------------ ledger

test_ledger() {
  start_worker --db pg="$PG_URL" || return
  expect_exit 0 submit --db pg --format json \
    --sql 'create table once (n int)' || return
  expect_exit 0 submit --db pg --format json --job-id w1 \
    --sql 'insert into once values (?)' --param 7 || return
  local first
  first=$(json_query "$OUT" 'd["result"]')
  expect_eq "$(pg_value "select count(*) from _jq_ledger where job_key like 'bull:jq:w1:%'")" \
    1 "ledger rows of job w1"
  expect_eq "$(redeliver w1)" 1 "the redelivery script" || return
  if ! wait_until 10 in_completed w1; then
    fail "the redelivered job did not complete within 10 s"
    return
  fi
  expect_eq "$(json_query "$(rcli hget bull:jq:w1 returnvalue)" 'd')" "$first" \
    "the redelivered job's reply vs the first one"
  expect_eq "$(pg_value 'select count(*), sum(n) from once')" "1|7" \
    "count|sum of once"
  # A read leaves no record.
  expect_exit 0 submit --db pg --format json --job-id r1 --sql 'select 1'
  expect_eq "$(pg_value "select count(*) from _jq_ledger where job_key like 'bull:jq:r1:%'")" \
    0 "ledger rows of the read r1"
  # A redelivered CREATE TABLE returns its reply instead of failing.
  expect_exit 0 submit --db pg --format json --job-id c1 \
    --sql 'create table made_once (n int)' || return
  redeliver c1 >/dev/null
  wait_until 10 in_completed c1 || fail "the redelivered create did not complete"
  # Jobs may not touch the ledger.
  refuse led-1 pg _jq_ledger 'delete from _jq_ledger'
  refuse led-2 pg _jq_ledger 'select * from public._JQ_LEDGER'
}
TEST "ledger: a write delivered twice is applied once, with the same reply" \
  test_ledger

test_ledger_race() {
  # Two workers, one job twice at once: the row lock on the ledger key
  # makes the second wait, fail on the key and return the first's reply.
  start_worker --db pg="$PG_URL" || return
  local one=$WORKER_PID
  start_worker --db pg="$PG_URL" || return
  expect_exit 0 submit --db pg --format json \
    --sql 'create table raced (n int)' || return
  local i
  for i in 1 2 3 4 5; do
    run_bg "a$i" submit --db pg --format json --job-id "race-$i" \
      --sql 'insert into raced select ? from pg_sleep(0.3)' --param "$i"
  done
  for i in 1 2 3 4 5; do
    wait_bg "a$i" 30
    expect_eq "$RC" 0 "exit status of race-$i"
    redeliver "race-$i" >/dev/null
  done
  for i in 1 2 3 4 5; do
    wait_until 15 in_completed "race-$i" || fail "race-$i did not complete again"
  done
  expect_eq "$(pg_value 'select count(*), count(distinct n) from raced')" "5|5" \
    "rows of raced"
  kill -0 "$one" || fail "the first worker is gone"
}
TEST "ledger: redeliveries across two workers write once" test_ledger_race

twin_holds_lock() {
  [[ $(pg_value "select count(*) from pg_stat_activity where query like '%twin%pg_sleep%' and state = 'active' and pid <> pg_backend_pid()") == 1 ]]
}

# Job ID ran once. As if that first run had not committed yet (its ledger
# row deleted and UNDO run), a twin delivery in another session makes
# TWIN_WRITE and the ledger row, then holds them uncommitted for 2 s; ID is
# delivered again meanwhile and must answer with the twin's reply. The
# caller counts the rows.
expect_twin_reply() {
  local id=$1 undo=$2 twin_write=$3 key
  key=$(pg_value "select job_key from _jq_ledger where job_key like 'bull:jq:$id:%'")
  [[ -n $key ]] || { fail "no ledger row for $id"; return 1; }
  jq_psql -c "delete from _jq_ledger where job_key = '$key'; $undo"
  run_bg holder jq_psql -c "BEGIN; $twin_write; INSERT INTO _jq_ledger VALUES ('$key', '{\"twin\":true}', 0); SELECT 'twin', pg_sleep(2); COMMIT;"
  wait_until 10 twin_holds_lock || { fail "the twin did not take the lock"; return 1; }
  redeliver "$id" >/dev/null
  if ! wait_until 15 in_completed "$id"; then
    fail "the redelivered $id did not complete" "$(rcli hget "bull:jq:$id" failedReason)"
    return 1
  fi
  expect_eq "$(rcli hget "bull:jq:$id" returnvalue)" '{"twin":true}' \
    "$id's reply: the twin's"
  wait_bg holder 20
}

test_ledger_twin() {
  # This run waits for the twin's row lock, then fails on the ledger's key,
  # rolls back and returns the twin's reply.
  start_worker --db pg="$PG_URL" || return
  jq_psql -c 'create table twin (id int primary key, n int); insert into twin values (1, 0); grant all on twin to jq_test' \
    || { fail "cannot create twin"; return; }
  expect_exit 0 submit --db pg --format json --job-id t1 \
    --sql 'update twin set n = n + 1 where id = 1' || return
  expect_twin_reply t1 'update twin set n = 0' \
    'UPDATE twin SET n = n + 1 WHERE id = 1' || return
  expect_eq "$(pg_value 'select n from twin')" 1 "n: written once (by the twin)"
}
TEST "ledger: a twin that commits first wins; the other rolls back" \
  test_ledger_twin

test_ledger_twin_unique() {
  # On the job's own unique key: this run waits for the twin's row lock on
  # its insert, then fails on the key before it reaches the ledger's; the
  # twin's reply stands, not "duplicate key".
  start_worker --db pg="$PG_URL" || return
  jq_psql -c 'create table accounts (email text primary key); grant all on accounts to jq_test' \
    || { fail "cannot create accounts"; return; }
  expect_exit 0 submit --db pg --format json --job-id u1 \
    --sql 'insert into accounts values (?)' --param a@example.org || return
  expect_twin_reply u1 'delete from accounts' \
    "INSERT INTO accounts VALUES ('a@example.org')" || return
  expect_eq "$(pg_value 'select count(*) from accounts')" 1 "accounts: written once"
}
TEST "ledger: a twin that commits first on the job's own unique key wins" \
  test_ledger_twin_unique

# ------------------------------------------------------------------ read-only

test_read_only() {
  jq_psql -c 'create table ro_t (n int); insert into ro_t values (1); grant select on ro_t to jq_test' \
    || { fail "cannot create ro_t"; return; }
  start_worker --db ro="$PG_URL:ro" --db ro2="$PG_URL?ro=1" || return
  local db
  for db in ro ro2; do
    expect_exit 0 submit --db "$db" --format value --sql 'select count(*) from ro_t'
    expect_eq "$OUT" 1 "a read on $db"
    refuse "ro-$db" "$db" "read-only transaction" 'insert into ro_t values (2)'
  done
  expect_eq "$(pg_value 'select count(*) from ro_t')" 1 "rows of ro_t"
  # No ledger for read-only databases (the table as README.md makes it
  # ahead of time, if no test made it yet).
  jq_psql -c 'CREATE TABLE IF NOT EXISTS _jq_ledger (job_key text PRIMARY KEY, reply text NOT NULL, created_ms bigint NOT NULL)'
  expect_eq "$(pg_value "select count(*) from _jq_ledger where job_key like 'bull:jq:ro-%'")" \
    0 "ledger rows of the read-only jobs"
}
TEST "read-only: :ro and ?ro=1 refuse writes" test_read_only

# ------------------------------------------------------------------ time

test_job_timeout() {
  start_worker --db pg="$PG_URL" || return
  expect_exit 1 submit --db pg --format json --job-id slow --timeout 20s \
    --job-timeout 500ms --sql 'select pg_sleep(30)'
  expect_json "$OUT" 'd["error"]["message"]' '"timed out after 500 ms"'
  expect_lt "$ELAPSED_MS" 5000 "ms until the timed-out job failed"
  # Cancelled on the server, not left running there.
  wait_until 5 none_running '%pg_sleep(30)%' \
    || fail "pg_sleep(30) still runs on the server: $(pg_value "select pid, state, query from pg_stat_activity where query like '%pg_sleep(30)%'")"
  expect_exit 0 submit --db pg --format value --timeout 5s --sql 'select 1'
  expect_lt "$ELAPSED_MS" 1500 "ms for a select right after the timed-out job"
}
TEST "time: --job-timeout cancels a long statement on the server" \
  test_job_timeout

lock_held() {
  [[ $(pg_value "select count(*) from pg_stat_activity where query like '%FOR UPDATE%pg_sleep%' and state = 'active' and pid <> pg_backend_pid()") == 1 ]]
}

test_lock_wait_timeout() {
  start_worker --db pg="$PG_URL" || return
  expect_exit 0 submit --db pg --format json \
    --sql 'create table locked (id int primary key, v int)' || return
  expect_exit 0 submit --db pg --format json \
    --sql 'insert into locked values (1, 1)' || return
  run_bg holder jq_psql -c "BEGIN; SELECT * FROM locked WHERE id = 1 FOR UPDATE; SELECT pg_sleep(8); COMMIT;"
  wait_until 10 lock_held || { fail "the other session did not take the lock"; return; }
  expect_exit 1 submit --db pg --format json --job-id waits --timeout 20s \
    --job-timeout 700ms --sql 'update locked set v = 2 where id = 1'
  expect_json "$OUT" 'd["error"]["message"]' '"timed out after 700 ms"'
  expect_lt "$ELAPSED_MS" 5000 "ms until the job waiting on the lock failed"
  wait_until 5 none_running 'update locked%' \
    || fail "the update still waits on the server"
  expect_worker_serves pg
  wait_bg holder 20
  expect_eq "$(pg_value 'select v from locked')" 1 "v after the cancelled update"
}
TEST "time: a job waiting on a row lock is ended by its timeout" \
  test_lock_wait_timeout

test_limits() {
  start_worker --db pg="$PG_URL" --max-rows 10 --max-result-bytes 100000 \
    || return
  refuse big-1 pg "more than 10 rows (--max-rows)" \
    'select n, pg_sleep(0.001) from generate_series(1, 100000) as n'
  # Stopped early: the statement does not run on to its end.
  wait_until 5 none_running '%generate_series(1, 100000)%' \
    || fail "the statement past --max-rows still runs on the server"
  refuse big-2 pg "larger than 100000 bytes (--max-result-bytes)" \
    "select repeat('x', 60000) from generate_series(1, 5)"
  expect_exit 0 submit --db pg --format json \
    --sql 'select n from generate_series(1, 10) as n'
  expect_json "$OUT" 'len(d["result"]["rows"])' 10
}
TEST "limits: --max-rows and --max-result-bytes fail the job and stop it" \
  test_limits

test_concurrency() {
  start_worker --db pg="$PG_URL" -c 4 || return
  expect_exit 0 submit --db pg --format json \
    --sql 'create table busy (n int primary key)' || return
  local input=$TEST_DIR/jobs.jsonl i
  for i in $(seq 1 200); do
    printf '{"db":"pg","sql":"insert into busy values (?) returning n","params":[%d]}\n' "$i"
  done >"$input"
  run_input "$input" submit --stdin -j 32 --timeout 60s
  expect_eq "$RC" 0 "exit status of 200 jobs at -c 4"
  expect_file_lines "$OUT_FILE" 200
  expect_eq "$(pg_value 'select count(*), sum(n) from busy')" "200|20100" \
    "count|sum of busy"
  expect_eq "$(pg_value "select count(*) from pg_stat_activity where application_name = 'jq-worker'")" \
    4 "connections of the worker (one per slot)"
}
TEST "concurrency: -c 4 runs on four connections" test_concurrency

# ------------------------------------------------------------------ refusals

test_refusals() {
  start_worker --db pg="$PG_URL" || return
  refuse ms-1 pg "more than one statement" 'select 1; select 2'
  refuse ms-2 pg "more than one statement" "select ';'; delete from nothing"
  refuse tx-1 pg "COMMIT is not allowed" 'commit'
  refuse tx-2 pg "BEGIN is not allowed" 'begin'
  refuse set-1 pg "SET is not allowed" 'set search_path = nowhere'
  expect_exit 0 submit --db pg --format json \
    --sql "set local statement_timeout = '5s'"
  refuse err-1 pg 'relation "nope" does not exist' 'select * from nope'
  expect_contains "$(rcli hget bull:jq:err-1 stacktrace)" "SQLSTATE 42P01"
  expect_exit 0 submit --db pg --format value --sql 'select 1;'
  expect_eq "$OUT" 1 "a statement with a trailing semicolon"
}
TEST "refusals: several statements, transaction control, SQL errors" \
  test_refusals

# ------------------------------------------------------------------ session

advisory_locks() {
  pg_value "select count(*) from pg_locks where locktype = 'advisory'"
}

test_session_reset() {
  # One slot, so one connection serves every job: what a job leaves on its
  # session (through functions and statements the rules allow) must not
  # reach the jobs after it.
  # The job's own ledger record follows its settings: the other role may
  # write it, and the search path keeps its schema.
  jq_psql -c 'create table shadowed (n int); insert into shadowed values (1);
      grant select on shadowed to jq_test; create sequence counted;
      grant usage on counted to jq_test; create role other_role;
      grant other_role to jq_test; create table if not exists _jq_ledger
      (job_key text primary key, reply text not null, created_ms bigint not null);
      grant all on _jq_ledger to jq_test, other_role' \
    || { fail "cannot set up"; return; }
  start_worker --db pg="$PG_URL" -c 1 || return
  # Settings, the role among them, made by a function.
  expect_exit 0 submit --db pg --format value --sql "select
      set_config('search_path', 'nowhere, public', false)
      || set_config('TimeZone', 'America/New_York', false)
      || set_config('role', 'other_role', false)"
  expect_eq "$OUT" "nowhere, publicAmerica/New_Yorkother_role" \
    "the settings made"
  expect_exit 0 submit --db pg --format json --sql "select
      current_setting('search_path') as path, current_user as who,
      timestamptz '2026-12-04 10:00:00Z' as ts"
  expect_json "$OUT" 'd["result"]["rows"]' \
    '[["\"$user\", public","jq_test","2026-12-04T10:00:00Z"]]'
  # A session-level advisory lock, which no COMMIT releases.
  expect_exit 0 submit --db pg --format value --sql 'select pg_advisory_lock(42)'
  expect_eq "$(advisory_locks)" 0 "advisory locks held once the job is done"
  # A temporary table, which would hide the table of the same name.
  expect_exit 0 submit --db pg --format json --sql 'create temp table shadowed (n int)'
  expect_exit 0 submit --db pg --format value --sql 'select count(*) from shadowed'
  expect_eq "$OUT" 1 "rows of shadowed (the table, not a job's temporary one)"
  # A cursor held past its transaction, a channel listened to.
  expect_exit 0 submit --db pg --format json \
    --sql 'declare held cursor with hold for select 1'
  expect_exit 0 submit --db pg --format json \
    --sql "do \$\$ begin execute 'listen leaked'; end \$\$"
  expect_exit 0 submit --db pg --format json --sql 'select
      (select count(*) from pg_cursors where is_holdable) as cursors,
      (select count(*) from pg_listening_channels()) as channels'
  expect_json "$OUT" 'd["result"]["rows"]' '[[0,0]]'
  # A sequence's value for this session.
  expect_exit 0 submit --db pg --format value --sql "select nextval('counted')"
  refuse seq-1 pg "lastval is not yet defined" 'select lastval()'
  # A failed job's lock too (its first row took it), and the engine's own
  # settings stay.
  expect_exit 1 submit --db pg --format json \
    --sql 'select pg_advisory_lock(?), 1 / ?' --rows '[[7, 1], [8, 0]]'
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" \
    "row 2: division by zero"
  expect_eq "$(advisory_locks)" 0 "advisory locks held once the failed job is done"
  expect_exit 0 submit --db pg --format json \
    --sql "select date '2026-12-04' as d, '\\x01'::bytea as b"
  expect_json "$OUT" 'd["result"]["rows"]' '[["2026-12-04",{"$base64":"AQ=="}]]'
}
TEST "session: what a job leaves on its connection (settings, locks, temporary tables, cursors) does not reach the next job" \
  test_session_reset

# ------------------------------------------------------------------ outages

test_server_outage() {
  jq_pg_server_stop
  # The worker starts while the server is down, with a warning.
  start_worker --db pg="$PG_URL" || { jq_pg_server_start; return; }
  expect_file_contains "$WORKER_LOG" "cannot connect to database pg"
  expect_exit 1 submit --db pg --format json --job-id down-1 --sql 'select 1'
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" \
    "cannot connect to database pg (pg=postgresql://jq_test:***@127.0.0.1:$PG_PORT/jq_test)"
  jq_pg_server_start || return
  expect_exit 0 submit --db pg --format value --sql 'select 2'
  expect_eq "$OUT" 2 "a job once the server is up"
  # A restart under a connected worker: the next job reconnects.
  jq_pg_server_stop
  expect_exit 1 submit --db pg --format json --job-id down-2 --sql 'select 3'
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" "cannot connect to database pg"
  # Its attempts and backoff apply: one submitted while down completes
  # once the server is back.
  run_bg retried submit --db pg --format value --attempts 20 \
    --backoff fixed:300ms --timeout 30s --sql 'select 4'
  sleep 1
  jq_pg_server_start || return
  wait_bg retried 30
  expect_eq "$RC" 0 "exit status of the job retried across the outage"
  expect_eq "$OUT" 4 "its reply"
  expect_exit 0 submit --db pg --format value --sql 'select 5'
  expect_eq "$OUT" 5 "a job after the restart"
  kill -0 "$WORKER_PID" || fail "the worker is gone"
}
TEST "outage: the worker survives the server stopping and starting" \
  test_server_outage

worker_sleeping() {
  [[ $(pg_value "select count(*) from pg_stat_activity where application_name = 'jq-worker' and query like '%pg_sleep(5)%' and state = 'active'") == 1 ]]
}

test_connection_killed() {
  start_worker --db pg="$PG_URL" || return
  expect_exit 0 submit --db pg --format value --sql 'select 1'
  # Ended between jobs: the next job opens a new connection and runs.
  pg_value "select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = 'jq-worker'" >/dev/null
  expect_exit 0 submit --db pg --format value --sql 'select 2'
  expect_eq "$OUT" 2 "the job after its connection was ended"
  # Ended during a job: that job fails with the server's reason.
  run_bg sleeper submit --db pg --format json --job-id cut --sql 'select pg_sleep(5)'
  wait_until 10 worker_sleeping || { fail "the job did not start"; return; }
  pg_value "select count(pg_terminate_backend(pid)) from pg_stat_activity where application_name = 'jq-worker'" >/dev/null
  wait_bg sleeper 20
  expect_eq "$RC" 1 "exit status of the job whose connection was ended"
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" "terminating connection"
  expect_worker_serves pg
}
TEST "outage: a connection ended by the server is opened again" \
  test_connection_killed

# ------------------------------------------------------------------ faults

# JSON Lines of COUNT inserts of 1..COUNT into TABLE, with LINE_OPTIONS (JSON
# members, may be empty) in each.
insert_lines() {
  local table=$1 count=$2 options=$3
  "$JQ_PYTHON" -c '
import json, sys
table, count, options = sys.argv[1], int(sys.argv[2]), json.loads("{" + sys.argv[3] + "}")
for n in range(1, count + 1):
    print(json.dumps({"db": "pg", "sql": f"insert into {table} (n) values (?)",
                      "params": [n], **options}))' "$table" "$count" "$options"
}

completed_at_least() {
  (($(rcli zcard bull:jq:completed) >= $1))
}

# The count, distinct count, min and max of TABLE.n.
table_summary() {
  pg_value "select count(*) || '|' || count(distinct n) || '|' || min(n) || '|' || max(n) from $1"
}

test_sigkill_mid_batch() {
  # Default lock and stalled timings, as users run them: the dead worker's
  # jobs go back in line after up to a minute.
  local -a flags=(-c 4)
  start_worker --db pg="$PG_URL" "${flags[@]}" || return
  local worker_a=$WORKER_PID
  expect_exit 0 submit --db pg --format json --sql 'create table killed (n integer)'
  insert_lines killed 2000 '' >"$TEST_DIR/jobs.jsonl"
  local t0
  t0=$(date +%s%3N)
  run_bg_input batch "$TEST_DIR/jobs.jsonl" submit --stdin -j 64 --timeout 120s
  wait_until 60 completed_at_least 500 ||
    { fail "fewer than 500 jobs completed within 60 s"; return; }
  # Killed with jobs in hand (their transactions open, or just committed).
  local in_flight=0
  for _ in $(seq 50); do
    kill -STOP "$worker_a"
    in_flight=$(rcli llen bull:jq:active)
    ((in_flight > 0)) && break
    kill -CONT "$worker_a"
    sleep 0.0$((RANDOM % 9 + 1))
  done
  stop_worker "$worker_a" KILL
  measured "worker A SIGKILLed after $(rcli zcard bull:jq:completed) jobs," \
    "$in_flight in hand"
  ((in_flight > 0)) || { fail "no job was in hand at the kill"; return; }
  start_worker --db pg="$PG_URL" "${flags[@]}" || return
  wait_bg batch 120
  expect_eq "$RC" 0 "exit status of the batch (every job completed)"
  expect_eq "$(grep -c '"status":"completed"' "$OUT_FILE")" 2000 "completed replies"
  expect_eq "$(table_summary killed)" "2000|2000|1|2000" \
    "count|distinct|min|max of the rows: each written once"
  expect_eq "$(pg_value "select count(*) from _jq_ledger where created_ms >= $t0")" \
    2000 "ledger rows of the batch: one per job"
}
TEST "faults: SIGKILL of the worker mid-batch of 2,000 inserts: 2,000 rows exactly" \
  test_sigkill_mid_batch

test_restart_mid_batch() {
  start_worker --db pg="$PG_URL" -c 4 || return
  expect_exit 0 submit --db pg --format json --sql 'create table restarted (n integer)'
  # Jobs that meet the server down fail their attempt and are tried again.
  insert_lines restarted 2000 '"attempts": 50, "backoff": "fixed:200ms"' \
    >"$TEST_DIR/jobs.jsonl"
  run_bg_input batch "$TEST_DIR/jobs.jsonl" submit --stdin -j 64 --timeout 120s
  wait_until 60 completed_at_least 500 ||
    { fail "fewer than 500 jobs completed within 60 s"; return; }
  # A fast shutdown: open transactions are rolled back, connections cut.
  jq_pg_server_stop
  measured "server stopped after $(rcli zcard bull:jq:completed) jobs"
  sleep 1
  jq_pg_server_start || return
  wait_bg batch 120
  expect_eq "$RC" 0 "exit status of the batch (every job completed)"
  expect_eq "$(grep -c '"status":"completed"' "$OUT_FILE")" 2000 "completed replies"
  expect_eq "$(table_summary restarted)" "2000|2000|1|2000" \
    "count|distinct|min|max of the rows: nothing lost, nothing doubled"
  measured "attempts beyond the first: $("$JQ_PYTHON" -c '
import json, sys
print(sum(json.loads(l)["attempts"] - 1 for l in open(sys.argv[1]) if l.strip()))' "$OUT_FILE")"
  kill -0 "$WORKER_PID" || fail "the worker is gone"
}
TEST "faults: the server restarted mid-batch of 2,000 inserts: 2,000 rows exactly" \
  test_restart_mid_batch

# ------------------------------------------------------------------ secrets

test_password_hidden() {
  start_worker -v --db pg="$PG_URL" \
    --db bad="postgresql://jq_test:wrong-$PG_PASSWORD@127.0.0.1:$PG_PORT/jq_test" \
    || return
  expect_file_contains "$WORKER_LOG" "password authentication failed"
  expect_exit 0 submit --db pg --format value --sql 'select 1'
  expect_exit 1 submit --db bad --format json --job-id bad-1 --sql 'select 1'
  expect_contains "$(json_get "$OUT" 'd["error"]["message"]')" "password authentication failed"
  local args
  args=$(ps -o args= -p "$WORKER_PID")
  expect_contains "$args" "postgresql://jq_test:*" "ps"
  expect_not_contains "$args" "$PG_PASSWORD" "ps"
  expect_not_contains "$(tr '\0' ' ' <"/proc/$WORKER_PID/cmdline")" \
    "$PG_PASSWORD" "/proc/PID/cmdline"
  run "$JQ_WORKER" --redis "$REDIS_URL" --db pg="$PG_URL" --print-config
  expect_contains "$OUT" "postgresql://jq_test:***@" "--print-config"
  expect_not_contains "$OUT" "$PG_PASSWORD" "--print-config"
  # Bad URLs and usage errors name the database, not the password.
  expect_exit 2 "$JQ_WORKER" --redis "$REDIS_URL" \
    --db "x=postgresql://u:$PG_PASSWORD@h/d?nosuchparam=1"
  expect_not_contains "$ERR" "$PG_PASSWORD" "stderr of a bad URL"
  expect_exit 2 "$JQ_WORKER" --redis "$REDIS_URL" \
    --db "m=mysql://u:$PG_PASSWORD@h/d?nosuchparam=1"
  expect_contains "$ERR" "unknown parameter" "stderr of a bad MySQL URL"
  expect_not_contains "$ERR" "$PG_PASSWORD" "stderr of a bad MySQL URL"
  stop_worker
  local file
  for file in "$TEST_DIR"/*; do
    if grep -qF -- "$PG_PASSWORD" "$file"; then
      fail "${file##*/} holds the password" "$(grep -F -- "$PG_PASSWORD" "$file" | head -3)"
    fi
  done
  expect_not_contains "$(rcli --scan | xargs -r -n1 rcli hgetall 2>/dev/null)" \
    "$PG_PASSWORD" "Redis"
}
TEST "secrets: the password shows in no log, message, ps or Redis" \
  test_password_hidden

test_db_file() {
  # The URL with its password in a file only the worker's user reads: never
  # on the command line, so never in ps, not even for a moment.
  local list=$tmp/db-list
  printf '# the databases of this worker\n\n  pg=%s  \nlite=%s\n' \
    "$PG_URL" "$TEST_DIR/lite.sqlite" >"$list"
  chmod 600 "$list"
  start_worker --db-file "$list" || return
  expect_exit 0 submit --db pg --format value --sql 'select 40 + 2'
  expect_eq "$OUT" 42 "a job on the database of the file"
  expect_exit 0 submit --db lite --format value --sql 'select 7'
  expect_eq "$OUT" 7 "the SQLite database of the file"
  expect_not_contains "$(ps -o args= -p "$WORKER_PID")" "$PG_PASSWORD" "ps"
  stop_worker
  # From the environment too, beside --db.
  JQ_DB_FILE=$list start_worker --db other="$TEST_DIR/other.sqlite" || return
  expect_exit 0 submit --db pg --format value --sql 'select 1'
  expect_exit 0 submit --db other --format value --sql 'select 2'
  stop_worker
  # A line that does not parse: the file and line, not the password.
  printf 'pg=%s\nbroken\n' "$PG_URL" >"$list"
  expect_exit 2 "$JQ_WORKER" --redis "$REDIS_URL" --db-file "$list"
  expect_contains "$ERR" "$list:2: " "stderr of a bad line"
  expect_not_contains "$ERR" "$PG_PASSWORD" "stderr of a bad line"
  expect_exit 2 "$JQ_WORKER" --redis "$REDIS_URL" --db-file "$tmp/nonexistent"
  expect_contains "$ERR" "cannot be read" "stderr of a missing file"
  # Neither --db nor --db-file.
  expect_exit 2 "$JQ_WORKER" --redis "$REDIS_URL"
  expect_contains "$ERR" "no database" "stderr without a database"
}
TEST "secrets: --db-file (or JQ_DB_FILE) keeps a URL out of the command line" \
  test_db_file
