# shellcheck shell=bash
# shellcheck disable=SC2154 # $tmp, $OUT, ... come from tests/e2e/lib.sh
# Prometheus metrics: `jq-inspect metrics` prints a queue's state and
# `jq-worker --metrics-listen` serves a worker's counters, both in the text
# exposition format 0.0.4. Every line of every scrape is parsed (a comment,
# or `name{labels} value` with a valid float), the values are checked
# against the jobs run, histogram buckets must be cumulative, `promtool
# check metrics` must accept the text, and hostile HTTP clients (silent,
# garbage, a 1 MB request line, more connections than allowed) must not
# keep the worker from serving the next scrape or running jobs.

# promtool: $JQ_PROMTOOL, on the PATH, or where scripts/install-deps unpacks
# it. Missing, its check is skipped with a note, except under CI (CI=true),
# where it is a failure.
PROMTOOL=${JQ_PROMTOOL:-}
if [[ -z $PROMTOOL ]]; then
  PROMTOOL=$(command -v promtool 2>/dev/null ||
    echo /var/cache/jq-queue/prometheus/usr/bin/promtool)
fi

# promtool_check FILE: `promtool check metrics` accepts FILE (lint
# warnings fail too).
promtool_check() {
  local file=$1 report
  if [[ ! -x $PROMTOOL ]]; then
    if [[ ${CI:-} == true ]]; then
      fail "promtool not found at $PROMTOOL (run scripts/install-deps)"
      return 1
    fi
    echo "  note: promtool not found (run scripts/install-deps); format" \
      "checked by the suite's parser only" >&2
    return 0
  fi
  if ! report=$("$PROMTOOL" check metrics <"$file" 2>&1); then
    fail "promtool check metrics refused ${file##*/}" \
      "$(_jq_excerpt promtool "$report")" \
      "$(_jq_excerpt "${file##*/}" "$(<"$file")")"
    return 1
  fi
  if [[ -n $report ]]; then
    fail "promtool check metrics has remarks on ${file##*/}" \
      "$(_jq_excerpt promtool "$report")"
    return 1
  fi
  return 0
}

# parse_exposition FILE: parse every line of FILE as the text format 0.0.4
# says and check it; write the samples to FILE.json as [[name, {labels},
# value], ...]. Fails the test with every problem found.
parse_exposition() {
  local file=$1 report
  if ! report=$("$JQ_PYTHON" -S - "$file" <<'PY' 2>&1
import json, re, sys

path = sys.argv[1]
text = open(path, "rb").read().decode("utf-8")  # must be UTF-8
errors = []
if not text.endswith("\n"):
    errors.append("the text does not end with a newline")
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
# Go's strconv.ParseFloat, as far as an exporter should use it.
FLOAT = re.compile(r"^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]Inf|NaN)$")
families = {}   # name -> type
helps = set()
samples = []
current = None
for number, line in enumerate(text.split("\n")[:-1], 1):
    where = f"line {number}: {line!r}"
    if line.startswith("#"):
        m = re.fullmatch(r"# (HELP|TYPE) (" + NAME + r") (.*)", line)
        if not m:
            if line.startswith("# HELP") or line.startswith("# TYPE"):
                errors.append(f"{where}: bad HELP/TYPE line")
            continue
        kind, name, rest = m.groups()
        if kind == "HELP":
            if name in helps:
                errors.append(f"{where}: second HELP for {name}")
            helps.add(name)
            if re.search(r"\\[^\\n]", rest.replace("\\\\", "")):
                errors.append(f"{where}: bad escape in HELP")
        else:
            if rest not in ("counter", "gauge", "histogram", "summary", "untyped"):
                errors.append(f"{where}: unknown type {rest}")
            if name in families:
                errors.append(f"{where}: second TYPE for {name}")
            if any(s[0] == name or s[3] == name for s in samples):
                errors.append(f"{where}: TYPE after samples of {name}")
            families[name] = rest
            current = name
        continue
    m = re.fullmatch("(" + NAME + r")(?:\{(.*)\})? (\S+)(?: (-?\d+))?", line)
    if not m:
        errors.append(f"{where}: not a sample line")
        continue
    name, body, value, _ = m.groups()
    labels = {}
    if body:
        rest = body
        while rest:
            lm = re.match("(" + LABEL + r')="((?:[^"\\\n]|\\[\\"n])*)"(,|$)', rest)
            if not lm:
                errors.append(f"{where}: bad labels at {rest!r}")
                break
            key = lm.group(1)
            if key in labels:
                errors.append(f"{where}: label {key} twice")
            labels[key] = re.sub(r'\\(.)', lambda e: {"n": "\n"}.get(e.group(1), e.group(1)), lm.group(2))
            rest = rest[lm.end():]
    if not FLOAT.match(value):
        errors.append(f"{where}: {value!r} is not a float")
        continue
    family = name
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)] if name.endswith(suffix) else None
        if base and families.get(base) == "histogram":
            family = base
    if family != current:
        errors.append(f"{where}: sample outside its family's block (TYPE line missing?)")
    kind = families.get(family)
    number_value = float(value.replace("Inf", "inf").replace("NaN", "nan"))
    if kind == "counter" and not number_value >= 0:
        errors.append(f"{where}: a counter below 0")
    if kind == "counter" and not name.endswith("_total"):
        errors.append(f"{where}: a counter's name should end in _total")
    samples.append([name, labels, number_value, family])

# Histograms: per series (labels but le), buckets in ascending le with
# non-decreasing counts, ending with +Inf = _count, and a _sum.
for family, kind in families.items():
    if kind != "histogram":
        continue
    series = {}
    for name, labels, value, fam in samples:
        if fam != family:
            continue
        key = json.dumps({k: v for k, v in labels.items() if k != "le"}, sort_keys=True)
        entry = series.setdefault(key, {"buckets": [], "sum": None, "count": None})
        if name == family + "_bucket":
            entry["buckets"].append((float(labels["le"].replace("Inf", "inf")), value))
        elif name == family + "_sum":
            entry["sum"] = value
        elif name == family + "_count":
            entry["count"] = value
    if not series:
        errors.append(f"histogram {family} has no series")
    for key, entry in series.items():
        buckets = entry["buckets"]
        les = [le for le, _ in buckets]
        counts = [c for _, c in buckets]
        if les != sorted(les) or len(set(les)) != len(les):
            errors.append(f"{family} {key}: le not ascending: {les}")
        if counts != sorted(counts):
            errors.append(f"{family} {key}: buckets not cumulative: {counts}")
        if not les or les[-1] != float("inf"):
            errors.append(f"{family} {key}: no +Inf bucket")
        elif entry["count"] != counts[-1]:
            errors.append(f"{family} {key}: _count {entry['count']} != +Inf bucket {counts[-1]}")
        if entry["sum"] is None:
            errors.append(f"{family} {key}: no _sum")
for family in families:
    if family not in helps:
        errors.append(f"{family}: no HELP line")
json.dump([s[:3] for s in samples], open(path + ".json", "w"))
for error in errors:
    print(error)
sys.exit(1 if errors else 0)
PY
  ); then
    fail "${file##*/} is not valid text exposition format" \
      "$(_jq_excerpt problems "$report")" \
      "$(_jq_excerpt "${file##*/}" "$(<"$file")")"
    return 1
  fi
  return 0
}

# metric FILE NAME LABELS_JSON: the value of sample NAME with exactly these
# labels in FILE.json (parse_exposition's): an integer as one, otherwise as
# Python prints a float; "missing" if there is none.
metric() {
  "$JQ_PYTHON" -S -c '
import json, sys
samples = json.load(open(sys.argv[1] + ".json"))
want = json.loads(sys.argv[3])
for name, labels, value in samples:
    if name == sys.argv[2] and labels == want:
        print(int(value) if value == int(value) else value)
        break
else:
    print("missing")
' "$1" "$2" "$3"
}

# expect_metric FILE NAME LABELS_JSON EXPECTED
expect_metric() {
  expect_eq "$(metric "$1" "$2" "$3")" "$4" "$2$3"
}

# scrape NAME: jq-inspect metrics ARGS... into $TEST_DIR/NAME.prom, parsed
# and checked by promtool.
scrape_inspect() {
  local name=$1
  shift
  expect_exit 0 inspect "$@" || return 1
  expect_eq "$ERR" "" "stderr of jq-inspect $*" || return 1
  printf '%s\n' "$OUT" >"$TEST_DIR/$name.prom"
  parse_exposition "$TEST_DIR/$name.prom" || return 1
  promtool_check "$TEST_DIR/$name.prom"
}

# scrape_worker NAME PORT: GET /metrics from the worker into
# $TEST_DIR/NAME.prom (headers in NAME.headers), parsed and checked.
scrape_worker() {
  local name=$1 port=$2
  if ! curl -sS --max-time 5 -D "$TEST_DIR/$name.headers" \
    -o "$TEST_DIR/$name.prom" "http://127.0.0.1:$port/metrics" \
    2>"$TEST_DIR/$name.curl"; then
    fail "curl http://127.0.0.1:$port/metrics failed" \
      "$(_jq_excerpt curl "$(<"$TEST_DIR/$name.curl")")"
    return 1
  fi
  local headers
  headers=$(tr -d '\r' <"$TEST_DIR/$name.headers")
  expect_contains "$headers" "HTTP/1.1 200 OK" "response headers" || return 1
  expect_contains "$headers" \
    "Content-Type: text/plain; version=0.0.4; charset=utf-8" \
    "response headers" || return 1
  expect_contains "$headers" "Connection: close" "response headers"
  parse_exposition "$TEST_DIR/$name.prom" || return 1
  promtool_check "$TEST_DIR/$name.prom"
}

# http_status PORT CURL_ARGS...: the status code of one request.
http_status() {
  local port=$1
  shift
  curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "$@" \
    "http://127.0.0.1:$port${HTTP_PATH:-/metrics}"
}

q_jq='{"queue":"jq"}'

# in_hand_is PORT N: the worker's jq_worker_jobs_in_hand is N.
in_hand_is() {
  [[ $(curl -sS --max-time 5 "http://127.0.0.1:$1/metrics" |
    sed -n 's/^jq_worker_jobs_in_hand{queue="jq"} //p') == "$2" ]]
}

test_inspect_metrics() {
  start_worker --db app="$TEST_DIR/app.sqlite" || return
  local i
  for i in 1 2 3; do
    expect_exit 0 submit --db app --sql "select $i" --format value
  done
  for i in 1 2; do
    expect_exit 1 submit --db app --sql 'select * from no_such_table' \
      --timeout 20s
  done
  scrape_inspect busy metrics || return
  local f=$TEST_DIR/busy.prom s
  for s in waiting active delayed paused; do
    expect_metric "$f" jq_jobs "{\"queue\":\"jq\",\"state\":\"$s\"}" 0
  done
  expect_metric "$f" jq_jobs '{"queue":"jq","state":"completed"}' 3
  expect_metric "$f" jq_jobs '{"queue":"jq","state":"failed"}' 2
  expect_metric "$f" jq_queue_paused "$q_jq" 0
  expect_metric "$f" jq_queue_workers "$q_jq" 1
  expect_metric "$f" jq_queue_oldest_waiting_age_seconds "$q_jq" 0
  expect_file_contains "$f" '# TYPE jq_jobs gauge'
  expect_file_contains "$f" '# HELP jq_jobs '
  # The same counts as `jq-inspect counts`.
  expect_exit 0 inspect counts --json
  expect_json "$OUT" '[d["completed"], d["failed"]]' '[3, 2]'

  # No worker now; two jobs wait, one is delayed, and the queue is paused
  # afterwards (its waiting jobs then count as paused).
  stop_worker || return
  expect_exit 0 submit --db app --no-wait --sql 'select 4'
  expect_exit 0 submit --db app --no-wait --sql 'select 5'
  expect_exit 0 submit --db app --no-wait --delay 1h --sql 'select 6'
  sleep 1.2
  scrape_inspect idle metrics || return
  f=$TEST_DIR/idle.prom
  expect_metric "$f" jq_jobs '{"queue":"jq","state":"waiting"}' 2
  expect_metric "$f" jq_jobs '{"queue":"jq","state":"delayed"}' 1
  expect_metric "$f" jq_queue_workers "$q_jq" 0
  local age
  age=$(metric "$f" jq_queue_oldest_waiting_age_seconds "$q_jq")
  if ! "$JQ_PYTHON" -S -c 'import sys; sys.exit(not 1.0 <= float(sys.argv[1]) < 60)' "$age"; then
    fail "oldest waiting age $age s: expected 1.2 s or a little more"
  fi
  expect_exit 0 inspect pause
  scrape_inspect paused metrics || return
  f=$TEST_DIR/paused.prom
  expect_metric "$f" jq_jobs '{"queue":"jq","state":"waiting"}' 0
  expect_metric "$f" jq_jobs '{"queue":"jq","state":"paused"}' 2
  expect_metric "$f" jq_queue_paused "$q_jq" 1
}
TEST "jq-inspect metrics: jobs per state, paused, oldest waiting, workers" test_inspect_metrics

test_inspect_metrics_all_queues() {
  # Label values with a double quote, a backslash, UTF-8 and a newline.
  local odd='we"ird\q é'
  expect_exit 0 submit -q $'line\nbreak' --db app --no-wait --sql 'select 0'
  expect_exit 0 submit -q "$odd" --db app --no-wait --sql 'select 1'
  expect_exit 0 submit -q "$odd" --db app --no-wait --sql 'select 2'
  expect_exit 0 submit -q mail --db app --no-wait --sql 'select 3'
  expect_exit 0 submit --prefix other -q hidden --db app --no-wait \
    --sql 'select 4'
  scrape_inspect all metrics --all-queues || return
  local f=$TEST_DIR/all.prom
  expect_file_contains "$f" 'jq_jobs{queue="we\"ird\\q é",state="waiting"} 2'
  expect_file_contains "$f" 'jq_jobs{queue="line\nbreak",state="waiting"} 1'
  expect_metric "$f" jq_jobs '{"queue":"mail","state":"waiting"}' 1
  local queues
  queues=$("$JQ_PYTHON" -S -c '
import json, sys
print(sorted({l["queue"] for n, l, v in json.load(open(sys.argv[1])) if n == "jq_jobs"}))
' "$f.json")
  expect_eq "$queues" "['line\\nbreak', 'mail', 'we\"ird\\\\q é']" \
    "queues under bull"
  # One queue, named after the subcommand or before it.
  scrape_inspect one metrics --queue mail || return
  expect_metric "$TEST_DIR/one.prom" jq_jobs \
    '{"queue":"mail","state":"waiting"}' 1
  expect_not_contains "$(<"$TEST_DIR/one.prom")" 'ird'
  scrape_inspect other --prefix other metrics --all-queues || return
  expect_metric "$TEST_DIR/other.prom" jq_jobs \
    '{"queue":"hidden","state":"waiting"}' 1
  # An empty Redis: the families, no sample.
  rcli flushall >/dev/null
  scrape_inspect none metrics --all-queues || return
  expect_not_contains "$(<"$TEST_DIR/none.prom")" 'jq_jobs{'
  expect_exit 2 inspect metrics --queue mail --all-queues
  # Redis down: exit 69 and nothing on stdout, so `metrics > f.$$ && mv`
  # leaves the last good file in place.
  expect_exit 69 "$JQ_INSPECT" --redis "redis://127.0.0.1:$(jq_free_port)" \
    metrics --all-queues
  expect_eq "$OUT" "" "stdout with Redis down"
  expect_exit 0 inspect metrics --help
  expect_contains "$OUT" "textfile collector"
}
TEST "jq-inspect metrics --all-queues: every queue under the prefix, labels escaped" test_inspect_metrics_all_queues

test_listen_usage_errors() {
  local bad
  for bad in nonsense 0 70000 -1 'example.com:80' '1.2.3.4.5:80' '::1:80' \
    '[::1]' '127.0.0.1:'; do
    expect_exit 2 worker --db app="$TEST_DIR/app.sqlite" \
      --metrics-listen "$bad" || continue
    expect_contains "$ERR" "--metrics-listen" "stderr for '$bad'"
  done
  # A port in use (the suite's Redis) is refused before any job is taken.
  expect_exit 2 worker --db app="$TEST_DIR/app.sqlite" \
    --metrics-listen "$REDIS_PORT"
  expect_contains "$ERR" "cannot listen on 127.0.0.1:$REDIS_PORT"
}
TEST "jq-worker --metrics-listen: a bad or busy address exits 2" test_listen_usage_errors

test_worker_metrics() {
  local port
  port=$(jq_free_port)
  start_worker --db app="$TEST_DIR/app.sqlite" -c 2 \
    --metrics-listen ":$port" || return
  expect_file_contains "$WORKER_LOG" "serving metrics at http://127.0.0.1:$port/metrics"
  scrape_worker fresh "$port" || return
  local f=$TEST_DIR/fresh.prom o
  for o in completed failed retried expired requeued; do
    expect_metric "$f" jq_worker_jobs_total \
      "{\"queue\":\"jq\",\"outcome\":\"$o\"}" 0
  done
  expect_metric "$f" jq_worker_job_duration_seconds_count "$q_jq" 0

  local i
  for i in 1 2 3; do
    expect_exit 0 submit --db app --sql "select $i" --format value
  done
  for i in 1 2; do
    expect_exit 1 submit --db app --sql 'select * from no_such_table' \
      --timeout 20s
  done
  # Two attempts: one retried, then failed for good.
  expect_exit 1 submit --db app --attempts 2 --backoff fixed:10ms \
    --sql 'select * from no_such_table' --timeout 20s
  scrape_worker after "$port" || return
  f=$TEST_DIR/after.prom
  expect_metric "$f" jq_worker_jobs_total '{"queue":"jq","outcome":"completed"}' 3
  expect_metric "$f" jq_worker_jobs_total '{"queue":"jq","outcome":"failed"}' 3
  expect_metric "$f" jq_worker_jobs_total '{"queue":"jq","outcome":"retried"}' 1
  expect_metric "$f" jq_worker_jobs_total '{"queue":"jq","outcome":"expired"}' 0
  expect_metric "$f" jq_worker_job_duration_seconds_count "$q_jq" 7
  expect_metric "$f" jq_worker_job_duration_seconds_bucket \
    '{"queue":"jq","le":"+Inf"}' 7
  expect_metric "$f" jq_worker_job_duration_seconds_bucket \
    '{"queue":"jq","le":"60"}' 7
  expect_metric "$f" jq_worker_jobs_in_hand "$q_jq" 0
  expect_metric "$f" jq_worker_redis_reconnects_total "$q_jq" 0
  local start
  start=$(metric "$f" process_start_time_seconds '{}')
  if ! "$JQ_PYTHON" -S -c '
import sys, time
start = float(sys.argv[1])
sys.exit(not time.time() - 600 < start <= time.time())' "$start"; then
    fail "process_start_time_seconds $start is not a recent time"
  fi
  local buckets
  buckets=$(grep -c '^jq_worker_job_duration_seconds_bucket{' "$f")
  expect_eq "$buckets" 16 "duration buckets (1 ms to 60 s, and +Inf)"
  expect_file_contains "$f" 'le="0.001"'

  # The rest of HTTP.
  expect_eq "$(http_status "$port")" 200 "GET /metrics"
  expect_eq "$(http_status "$port" -I)" 200 "HEAD /metrics"
  expect_eq "$(http_status "$port" -X POST)" 405 "POST /metrics"
  expect_eq "$(http_status "$port" --http1.0)" 200 "GET /metrics HTTP/1.0"
  expect_eq "$(HTTP_PATH=/ http_status "$port")" 404 "GET /"
  expect_eq "$(HTTP_PATH=/metrics/x http_status "$port")" 404 "GET /metrics/x"
  expect_eq "$(HTTP_PATH='/metrics?name[]=x' http_status "$port" -g)" 200 \
    "GET /metrics?query"
  # A job running now is in hand.
  run_bg slow submit --db app --format value --timeout 60s --sql \
    'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 9000000) SELECT count(*) FROM c'
  wait_until 10 in_hand_is "$port" 1 ||
    fail "jq_worker_jobs_in_hand did not show the running job"
  wait_bg slow 60
  expect_eq "$OUT" 9000000 "reply of the slow job"
  wait_until 10 in_hand_is "$port" 0 ||
    fail "jq_worker_jobs_in_hand did not go back to 0"
  # The worker counts a broken connection and reconnects.
  rcli client kill type normal skipme yes >/dev/null
  expect_exit 0 submit --db app --sql 'select 9' --format value --timeout 20s
  wait_until 10 "$JQ_PYTHON" -S -c '
import sys, urllib.request
text = urllib.request.urlopen(sys.argv[1], timeout=5).read().decode()
line = [l for l in text.splitlines() if l.startswith("jq_worker_redis_reconnects_total{")][0]
sys.exit(not float(line.split()[-1]) >= 1)' "http://127.0.0.1:$port/metrics" ||
    fail "jq_worker_redis_reconnects_total did not count the killed connections"
  stop_worker || return
  expect_eq "$WORKER_RC" 0 "jq-worker exit status"
  if curl -sS --max-time 2 -o /dev/null "http://127.0.0.1:$port/metrics" 2>/dev/null; then
    fail "the metrics port still answers after the worker stopped"
  fi
}
TEST "jq-worker --metrics-listen: counters, duration histogram, HTTP" test_worker_metrics

test_hostile_clients() {
  local port
  port=$(jq_free_port)
  start_worker --db app="$TEST_DIR/app.sqlite" --metrics-listen "127.0.0.1:$port" || return
  # All at once, each bounded in time: 20 silent connections (more than
  # the 16 served at once), one sending a byte every 100 ms, garbage, a
  # TLS hello, a 1 MB request line; then a scrape while they are all still
  # open must come back at once.
  if ! "$JQ_PYTHON" -S - "$port" "$JQ_E2E_SLOWDOWN" >"$TEST_DIR/hostile.out" \
    2>&1 <<'PY'; then
import socket, sys, time

port = int(sys.argv[1])
slowdown = int(sys.argv[2])
def connect():
    return socket.create_connection(("127.0.0.1", port), timeout=5)

def answer(sock):
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except ConnectionResetError:
        data += b"<reset>"
    return data

problems = []
silent = [connect() for _ in range(20)]
slow = connect()
slow.sendall(b"G")
garbage = connect()
garbage.sendall(b"\x00\xff garbage \xfe\r\n\r\n")
hello = connect()
hello.sendall(bytes.fromhex("16030100a5010000a10303") + b"\x00" * 64)
big = connect()
try:
    big.sendall(b"GET /" + b"a" * (1 << 20) + b" HTTP/1.1\r\nHost: x\r\n\r\n")
except OSError as error:
    print(f"1 MB request line: send stopped: {error}")
for sock, name, want in ((garbage, "garbage", b"HTTP/1.1 400 "),
                         (big, "1 MB request line", b"HTTP/1.1 431 ")):
    got = answer(sock)
    print(f"{name}: {got[:40]!r}")
    if not (got.startswith(want) or got in (b"", b"<reset>")):
        problems.append(f"{name}: answered {got[:60]!r}")
slow.sendall(b"E")
started = time.monotonic()
scrape = connect()
scrape.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
got = answer(scrape)
took = time.monotonic() - started
print(f"scrape with {len(silent)} silent clients open: {took * 1000:.0f} ms")
if not got.startswith(b"HTTP/1.1 200 OK") or b"jq_worker_jobs_total" not in got:
    problems.append(f"the scrape got {got[:80]!r}")
if took > 1.5 * slowdown:
    problems.append(f"the scrape took {took:.2f} s")
# The silent ones are dropped within the server's time limit.
time.sleep(2.5)
dropped = 0
for sock in silent + [slow, hello]:
    sock.settimeout(2)
    try:
        if sock.recv(1) == b"":
            dropped += 1
    except ConnectionResetError:
        dropped += 1
    except socket.timeout:
        pass
print(f"silent or slow connections dropped: {dropped} of {len(silent) + 2}")
if dropped < len(silent):
    problems.append(f"only {dropped} idle connections dropped")
for problem in problems:
    print("PROBLEM: " + problem)
sys.exit(1 if problems else 0)
PY
    fail "the hostile clients' script reported problems" \
      "$(_jq_excerpt output "$(<"$TEST_DIR/hostile.out")")"
  fi
  cat "$TEST_DIR/hostile.out" >&2
  if ! _jq_alive "$WORKER_PID"; then
    fail "jq-worker is gone after the hostile clients"
    return
  fi
  scrape_worker next "$port" || return
  expect_worker_serves
  expect_exit 0 submit --db app --sql 'select 2' --format value
  expect_eq "$OUT" 2
  scrape_worker last "$port" || return
  expect_metric "$TEST_DIR/last.prom" jq_worker_jobs_total \
    '{"queue":"jq","outcome":"completed"}' 2
}
TEST "jq-worker --metrics-listen: hostile clients do not stop scrapes or jobs" test_hostile_clients
