# shellcheck shell=bash
# shellcheck disable=SC2154 # $tmp, $OUT, ... come from tests/e2e/lib.sh
# A job goes from jq-submit through Redis to jq-worker and its reply back:
# results, types, output formats, --no-wait, and jq-inspect counts.

uuid_regex='^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

# Is job $2 of queue $1 in the completed set?
job_completed() {
  [[ -n $(rcli zscore "bull:$1:completed" "$2") ]]
}

test_create_insert_select() {
  start_worker --db app="$TEST_DIR/app.sqlite" -c 2 || return

  expect_exit 0 submit --db app --format json \
    --sql 'create table board (id integer primary key, title text)' || return
  expect_json "$OUT" 'd["status"]' '"completed"'
  expect_json "$OUT" 'd["result"]["columns"]' '[]'
  expect_json "$OUT" 'd["result"]["rows"]' '[]'
  expect_json "$OUT" 'd["error"]' 'null'

  expect_exit 0 submit --db app --format json --job-id insert-1 \
    --sql 'insert into board (id, title) values (?, ?)' --param 1 --param x
  expect_eq "$(wc -l <"$OUT_FILE")" 1 "number of lines of the json output"
  expect_json "$OUT" 'd["id"]' '"insert-1"'
  expect_json "$OUT" 'd["status"]' '"completed"'
  expect_json "$OUT" 'd["result"]["changes"]' '1'
  expect_json "$OUT" 'd["result"]["last_insert_rowid"]' '1'
  expect_json "$OUT" 'type(d["attempts"]).__name__' '"int"'
  expect_json "$OUT" 'type(d["elapsed_ms"]).__name__' '"int"'

  expect_exit 0 submit --db app --format json \
    --sql 'insert into board (id, title) values (:id, :title)' \
    --params '{":id": 2, ":title": "y"}'
  expect_json "$OUT" 'd["result"]["changes"]' '1'

  expect_exit 0 submit --db app --format json \
    --sql 'insert into board (id, title) values (?, ?)' \
    --rows '[[3, "z"], [4, "w"]]'
  expect_json "$OUT" 'd["status"]' '"completed"'

  expect_exit 0 submit --db app --format json \
    --sql 'select id, title from board order by id'
  expect_json "$OUT" 'sorted(d.keys())' \
    '["attempts", "elapsed_ms", "error", "id", "result", "status"]'
  expect_json "$OUT" 'd["status"]' '"completed"'
  expect_json "$OUT" 'd["result"]["columns"]' '["id", "title"]'
  expect_json "$OUT" 'd["result"]["rows"]' \
    '[[1, "x"], [2, "y"], [3, "z"], [4, "w"]]'
  expect_match "$(json_get "$OUT" 'd["id"]')" "$uuid_regex" \
    "the generated job id (a UUID v7)"
  # A select changes nothing, even right after inserts on the same database.
  expect_json "$OUT" 'd["result"]["changes"]' '0'

  # An empty result is "rows": [], never nothing.
  expect_exit 0 submit --db app --format json \
    --sql 'select id, title from board where id > 100'
  expect_json "$OUT" 'd["result"]["columns"]' '["id", "title"]'
  expect_json "$OUT" 'd["result"]["rows"]' '[]'

  # Without --format, output that is not a terminal gets json.
  expect_exit 0 submit --db app --sql 'select count(*) as n from board'
  expect_json "$OUT" 'd["result"]["rows"]' '[[4]]'

  # The row really is in the SQLite file.
  expect_eq "$(sqlite3 "$TEST_DIR/app.sqlite" 'select title from board where id = 2')" y \
    "title of row 2 read with sqlite3"
}
TEST "create, insert and select through the queue (json)" test_create_insert_select

test_big_integer() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  expect_exit 0 submit --db app --format json \
    --sql 'create table big (n integer)' || return
  expect_exit 0 submit --db app --format json \
    --sql 'insert into big values (?)' --param 9007199254740993
  expect_exit 0 submit --db app --format json \
    --sql 'insert into big values (?)' --param 9223372036854775807
  expect_exit 0 submit --db app --format json \
    --sql 'insert into big values (?)' --param -9223372036854775808
  expect_exit 0 submit --db app --format json --sql 'select n from big order by rowid'
  # Checked in the raw text: a JSON parser that reads numbers as doubles would
  # hide a rounding to 9007199254740992.
  expect_contains "$OUT" '[[9007199254740993],[9223372036854775807],[-9223372036854775808]]' \
    "json output"
  expect_json "$OUT" 'd["result"]["rows"]' \
    '[[9007199254740993], [9223372036854775807], [-9223372036854775808]]'
  # It went in as an integer, not as text or a float.
  expect_eq "$(sqlite3 "$TEST_DIR/app.sqlite" 'select typeof(n) || ":" || n from big where rowid = 1')" \
    "integer:9007199254740993" "the stored value"
  expect_exit 0 submit --db app --format value \
    --sql 'select n from big where n > 9007199254740992 and n < 9007199254740994'
  expect_eq "$OUT" 9007199254740993 "--format value"
  # The reply in Redis is exact too.
  expect_exit 0 submit --db app --format json --job-id big-select \
    --sql 'select ? as n' --param 9007199254740993
  expect_contains "$(rcli hget bull:jq:big-select returnvalue)" '[[9007199254740993]]' \
    "returnvalue in the job hash"
}
TEST "a 64-bit integer comes back exact" test_big_integer

test_null_and_text() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  expect_exit 0 submit --db app --format json \
    --sql "select null as n, 'it''s' as t, 1.5 as f, x'00ff' as b" || return
  expect_json "$OUT" 'd["result"]["columns"]' '["n", "t", "f", "b"]'
  # shellcheck disable=SC2016 # "$base64" is JSON, not a variable
  expect_json "$OUT" 'd["result"]["rows"]' '[[null, "it'"'"'s", 1.5, {"$base64": "AP8="}]]'

  # --param: JSON scalars are values, anything else is a string.
  expect_exit 0 submit --db app --format json \
    --sql 'select ?, ?, ?, ?, ?, typeof(?)' \
    --param null --param 'hello world' --param true --param 2.25 \
    --param $'two\nlines "quoted" \\ é' --param 12
  expect_json "$OUT" 'd["result"]["rows"][0][:5]' \
    '[null, "hello world", 1, 2.25, "two\nlines \"quoted\" \\ é"]'
  expect_json "$OUT" 'd["result"]["rows"][0][5]' '"integer"'

  expect_exit 0 submit --db app --format json --sql 'select ? as v' --param abc
  expect_json "$OUT" 'd["result"]["rows"]' '[["abc"]]'

  # SQL with quotes, a semicolon inside a string and a newline goes through intact.
  expect_exit 0 submit --db app --format value --sql $'select\n  \'a;b "c"\''
  expect_eq "$OUT" 'a;b "c"' "--format value of a text"
}
TEST "NULL, text, float, blob and parameter types" test_null_and_text

test_formats() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  expect_exit 0 submit --db app --format json \
    --sql 'create table t (id integer, title text)' || return
  expect_exit 0 submit --db app --format json \
    --sql 'insert into t values (?, ?)' --rows '[[1, "plain"], [2, "a,b \"c\""]]'
  local sql='select id, title from t order by id'

  expect_exit 0 submit --db app --format value --sql 'select count(*) from t'
  expect_eq "$OUT" 2 "--format value"
  expect_file_lines "$OUT_FILE" 1

  expect_exit 0 submit --db app --format csv --sql "$sql"
  expect_eq "$("$JQ_PYTHON" -c '
import csv, json, sys
print(json.dumps(list(csv.reader(open(sys.argv[1], newline="")))))' "$OUT_FILE")" \
    '[["id", "title"], ["1", "plain"], ["2", "a,b \"c\""]]' "--format csv parsed as CSV"
  expect_eq "$(tr -d '\r' <"$OUT_FILE")" $'id,title\n1,plain\n2,"a,b ""c"""' \
    "--format csv text"

  expect_exit 0 submit --db app --format tsv \
    --sql "select id, title from t where id = 1 union all select 3, 'other'"
  expect_eq "$OUT" $'id\ttitle\n1\tplain\n3\tother' "--format tsv"

  expect_exit 0 submit --db app --format table --sql "$sql"
  expect_contains "$OUT" id "--format table"
  expect_contains "$OUT" title "--format table"
  expect_contains "$OUT" plain "--format table"
  expect_contains "$OUT" 'a,b "c"' "--format table"
  local header_line plain_line
  header_line=$(grep -n title "$OUT_FILE" | head -n1 | cut -d: -f1)
  plain_line=$(grep -n plain "$OUT_FILE" | head -n1 | cut -d: -f1)
  expect_lt "${header_line:-0}" "${plain_line:-0}" "line of the header vs line of the first row"

  expect_exit 0 submit --db app --format csv --sql 'select id from t where id > 100'
  expect_eq "$(tr -d '\r' <"$OUT_FILE")" id "--format csv of an empty result"
}
TEST "output formats value, csv, tsv and table" test_formats

test_no_wait() {
  local q=nowait
  # No worker yet: the job waits in the queue.
  expect_exit 0 submit -q "$q" --db app --no-wait \
    --sql 'select ? as n, ? as t' --param 7 --param seven || return
  local id=$OUT
  expect_file_lines "$OUT_FILE" 1
  expect_match "$id" "$uuid_regex" "the printed job id"
  expect_eq "$(rcli hget "bull:$q:$id" name)" __default__ "job name"
  expect_json "$(rcli hget "bull:$q:$id" data)" 'd' \
    '{"db": "app", "sql": "select ? as n, ? as t", "params": [7, "seven"]}'
  expect_eq "$(rcli lrange "bull:$q:wait" 0 -1)" "$id" "the wait list"

  expect_exit 0 submit -q "$q" --db app --no-wait --job-id my-own-id \
    --sql 'select 2'
  expect_eq "$OUT" my-own-id "the printed custom job id"

  start_worker -q "$q" --db app="$TEST_DIR/app.sqlite" || return
  if ! wait_until 10 job_completed "$q" "$id"; then
    fail "job $id not completed 10 s after the worker started" \
      "$(rcli hgetall "bull:$q:$id")"
    return
  fi
  expect_json "$(rcli hget "bull:$q:$id" returnvalue)" 'd' \
    '{"columns": ["n", "t"], "rows": [[7, "seven"]], "changes": 0, "last_insert_rowid": 0}'
  wait_until 10 job_completed "$q" my-own-id || fail "job my-own-id not completed"
  expect_eq "$(rcli llen "bull:$q:wait")" 0 "LLEN wait"
  expect_eq "$(rcli llen "bull:$q:active")" 0 "LLEN active"
}
TEST "--no-wait prints the id and the job completes later" test_no_wait

test_counts() {
  local q=counts
  start_worker -q "$q" --db app="$TEST_DIR/app.sqlite" || return
  expect_exit 0 submit -q "$q" --db app --format json --sql 'select 1'
  expect_exit 0 submit -q "$q" --db app --format json --sql 'select 2'
  expect_exit 1 submit -q "$q" --db app --format json --sql 'select * from nope'
  stop_worker
  expect_eq "$WORKER_RC" 0 "jq-worker exit status after SIGTERM"
  expect_exit 0 submit -q "$q" --db app --no-wait --sql 'select 3'
  expect_exit 0 submit -q "$q" --db app --no-wait --sql 'select 4'
  expect_exit 0 submit -q "$q" --db app --no-wait --delay 60s --sql 'select 5'

  expect_exit 0 inspect -q "$q" counts --json || return
  expect_file_lines "$OUT_FILE" 1
  local want
  want=$(printf '{"waiting": %d, "active": %d, "completed": %d, "failed": %d, "delayed": %d, "paused": %d}' \
    "$(rcli llen "bull:$q:wait")" "$(rcli llen "bull:$q:active")" \
    "$(rcli zcard "bull:$q:completed")" "$(rcli zcard "bull:$q:failed")" \
    "$(rcli zcard "bull:$q:delayed")" "$(rcli llen "bull:$q:paused")")
  expect_json "$OUT" 'd' "$want"
  expect_json "$OUT" 'd' \
    '{"waiting": 2, "active": 0, "completed": 2, "failed": 1, "delayed": 1, "paused": 0}'

  # Another queue on the same server is counted apart.
  expect_exit 0 inspect -q other-queue counts --json
  expect_json "$OUT" 'd' \
    '{"waiting": 0, "active": 0, "completed": 0, "failed": 0, "delayed": 0, "paused": 0}'
}
TEST "jq-inspect counts --json equals LLEN/ZCARD in Redis" test_counts
