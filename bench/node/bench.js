'use strict';
// make bench: jq, Node Bull 4 and BullMQ side by side on one Redis, in one
// run. Two comparisons: each system at its best (jq with a deep window,
// Bull 4 and BullMQ with addBulk and one shared listener), and the one that
// has always run (a window of 64, one add per job).
//
//   node bench.js --redis URL --redis-pid PID --bin DIR --work DIR --out DIR
//                 [--jobs 20000] [--runs 3] [--latency 2000] [--once 300]
//                 [--once-node 30] [--window 64] [--deep 4096] [--pg-url URL]
//
// With --pg-url (a PostgreSQL database its role owns), single-row inserts
// on that server too: jq-worker against a Bull 4 worker using `pg`.
//
// Each figure is the median of --runs runs, with the spread (min-max). The
// sides take turns within each run, so a noisy moment hits all of them.
// Writes OUT/DATE.md and OUT/DATE.png and prints the tables.

const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const Redis = require('ioredis');

const args = parseArgs(process.argv.slice(2), {
  jobs: 20000, runs: 3, latency: 2000, once: 300, 'once-node': 30, window: 64, deep: 4096,
  'redis-pid': 0, 'pg-url': '',
});
const here = __dirname;
const work = args.work;
const node = process.execPath;
const redis = new Redis(args.redis);

function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    const value = argv[i + 1];
    out[key] = typeof defaults[key] === 'number' ? Number(value) : value;
  }
  for (const key of ['redis', 'redis-pid', 'bin', 'work', 'out']) {
    if (!out[key]) throw new Error(`missing --${key}`);
  }
  return out;
}

function log(text) {
  process.stderr.write(`bench: ${text}\n`);
}

// ---- processes ----------------------------------------------------------

// Run a command to its end; resolves {code, stdout, ms, cpuMs}. Rejects on
// a non-zero exit. cpuMs (user + system, from /usr/bin/time) is measured
// when `timed` is set.
function run(cmd, argv, { input, stdoutFile, timed } = {}) {
  const timeFile = path.join(work, 'run-time.txt');
  if (timed) {
    argv = ['-f', '%U %S', '-o', timeFile, cmd, ...argv];
    cmd = '/usr/bin/time';
  }
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const out = stdoutFile ? fs.openSync(stdoutFile, 'w') : 'pipe';
    const inp = input ? fs.openSync(input, 'r') : 'ignore';
    const child = spawn(cmd, argv, { stdio: [inp, out, 'pipe'] });
    let stdout = '';
    let stderr = '';
    if (!stdoutFile) child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      if (stdoutFile) fs.closeSync(out);
      if (input) fs.closeSync(inp);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) {
        // A submitter's replies say which jobs did not complete, and why.
        let replies = '';
        if (stdoutFile) {
          replies = fs.readFileSync(stdoutFile, 'utf8').split('\n')
            .filter((line) => line && !line.includes('"status":"completed"')).slice(0, 5).join('\n');
        }
        reject(new Error(`${path.basename(cmd)} ${argv.join(' ')}: exit ${code}\n${stderr}${replies}`));
      } else {
        let cpuMs;
        if (timed) {
          const [u, sys] = fs.readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number);
          cpuMs = (u + sys) * 1000;
        }
        resolve({ code, stdout, ms, cpuMs });
      }
    });
  });
}

// A long-running worker; each run's warm-up batch waits for it to listen.
function startWorker(cmd, argv) {
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.on('data', () => {});
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return {
    pid: child.pid,
    exited,
    stderr: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
      const end = await exited;
      clearTimeout(timer);
      if (end.code !== 0) {
        throw new Error(`worker ${cmd} ended with ${end.code ?? end.signal}: ${stderr}`);
      }
    },
  };
}

// CPU time (user + system) a running process has used so far, in ms.
function cpuMsOf(pid) {
  // Fields after the command name, which is in parentheses.
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
  return (ticks * 1000) / clockTicks;
}
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));

// Peak resident memory (VmHWM) of a running process, in MiB.
function peakRssMiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)[1]);
  return kb / 1024;
}

// ---- PostgreSQL ---------------------------------------------------------

// One statement (or several, no parameters) on --pg-url, on a connection
// of its own.
async function pgQuery(sql) {
  const { Client } = require(path.join(here, 'node_modules', 'pg'));
  const client = new Client({ connectionString: args['pg-url'] });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

// An empty table t (and no ledger) for a run; the URL its worker is given.
async function freshPgTable() {
  await pgQuery('DROP TABLE IF EXISTS t, _jq_ledger; '
    + 'CREATE TABLE t (id bigserial PRIMARY KEY, v integer)');
  return args['pg-url'];
}

async function pgRowCount() {
  return (await pgQuery('SELECT count(*)::int AS n FROM t')).rows[0].n;
}

// CPU time (ms) of every PostgreSQL server process now, by pid: the
// postmaster, its helpers and one backend per connection.
function pgCpuByPid() {
  const byPid = new Map();
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') {
        byPid.set(pid, cpuMsOf(pid));
      }
    } catch (e) {
      // gone meanwhile
    }
  }
  return byPid;
}

// The CPU the server used between two pgCpuByPid() (a backend born
// meanwhile counts from 0).
function pgCpuSince(before) {
  let ms = 0;
  for (const [pid, now] of pgCpuByPid()) ms += now - (before.get(pid) || 0);
  return ms;
}

// ---- Redis --------------------------------------------------------------

async function redisCalls() {
  const text = await redis.info('commandstats');
  let calls = 0;
  for (const m of text.matchAll(/^cmdstat_(\S+?):calls=(\d+)/gm)) {
    if (m[1] !== 'info' && m[1] !== 'config') calls += Number(m[2]);
  }
  return calls;
}

// ---- the sides ------------------------------------------------------------

const QUEUE = 'bench';
const DB = 'bench';

// Each system at its best, every worker at concurrency 16 (also for their
// latency runs), and the window-64 comparison as it has always run.
const BEST = ['jqDeep', 'bullBest', 'bullmqBest'];
const WINDOW = ['jq', 'bull', 'listener'];
const PG_SIDES = ['jqDeep', 'bullBest'];
const LABELS = {
  jqDeep: 'jq deep', bullBest: 'Bull 4 best', bullmqBest: 'BullMQ best',
  jq: 'jq', bull: 'Bull', listener: 'Bull, one listener', true: '/bin/true',
  floor: 'one-shot floor', floorCpp: 'one-shot floor, C++',
};

const sides = {
  jqDeep: jqSide(args.deep),
  bullBest: bullSide('bulk', 'listener', args.deep),
  bullmqBest: bullmqSide(args.deep),
  jq: jqSide(args.window),
  bull: bullSide('finished', 'finished', args.window),
  listener: bullSide('listener', 'listener', args.window),
  true: { once: ['/bin/true', []] }, // what any one-shot process costs at least
  floor: floorSide(),
  floorCpp: floorCppSide(),
};

// The one-shot floor: a C client with the round trips of a lone jq-submit
// job on one connection, its add as plain commands, and nothing else
// (bench/floor/oneshot.c, built as build/bench/jq-bench-oneshot), against
// the same worker.
function floorSide() {
  const url = new URL(args.redis);
  return {
    worker: jqSide(args.window).worker,
    once: [path.join(args.bin, '..', 'bench', 'jq-bench-oneshot'),
      [url.hostname, url.port, QUEUE, DB, 'select ?']],
  };
}

// The same floor behind what any C++ jq-submit starts with: the C++ runtime,
// linked as jq-submit is, and CLI11 taking jq-submit's own command line
// (bench/floor/oneshot_cli.cpp, built as build/bench/jq-bench-oneshot-cpp).
function floorCppSide() {
  const jq = jqSide(args.window);
  return {
    worker: jq.worker,
    once: [path.join(args.bin, '..', 'bench', 'jq-bench-oneshot-cpp'), jq.once[1]],
  };
}

// jq: `jq-submit --stdin -j WINDOW` for batches. The latency caller runs
// `-j 1` whatever the window: it has one job in flight anyway, and with a
// larger -j jq-submit reads on for more lines before it sends, so a caller
// that writes the next line only after a reply would wait forever.
function jqSide(window) {
  const submit = path.join(args.bin, 'jq-submit');
  const common = ['--redis', args.redis, '-q', QUEUE];
  return {
    worker(concurrency, dbPath) {
      return startWorker(path.join(args.bin, 'jq-worker'), [...common, '--db', `${DB}=${dbPath}`,
        '-c', String(concurrency), '--synchronous', 'normal', '--quiet']);
    },
    batch(file) {
      // Exit 0: every job completed.
      return run(submit, [...common, '--stdin', '-j', String(window)],
        { input: file, stdoutFile: path.join(work, 'jq-replies.jsonl'), timed: true });
    },
    latency(count) {
      return jqLatency(count, [submit, ...common, '--stdin', '-j', '1']);
    },
    once: [submit, [...common, '--db', DB, '--sql', 'select ?', '--param', '1', '--format', 'json']],
  };
}

// Node Bull 4: the same worker; BATCH_WAY and LATENCY_WAY are how the
// producer adds jobs and awaits replies (see bull-producer.js).
function bullSide(batchWay, latencyWay, window) {
  const producer = path.join(here, 'bull-producer.js');
  return {
    worker: (concurrency, dbPath) => nodeWorker('bull-worker.js', concurrency, dbPath),
    batch: (file, jobs) => nodeBatch(
      [producer, 'batch', args.redis, QUEUE, batchWay, file, String(window)], jobs),
    latency: (count) => nodeLatency(
      [producer, 'latency', args.redis, QUEUE, latencyWay, String(count), DB, 'select ?']),
    once: [node, [producer, 'once', args.redis, QUEUE, DB, 'select ?']],
    // A Node script costs about 0.3 s a call: fewer calls, same loop.
    onceCalls: args['once-node'],
  };
}

// BullMQ: addBulk and one QueueEvents listener (see bullmq-producer.js).
function bullmqSide(window) {
  const producer = path.join(here, 'bullmq-producer.js');
  return {
    worker: (concurrency, dbPath) => nodeWorker('bullmq-worker.js', concurrency, dbPath),
    batch: (file, jobs) => nodeBatch([producer, 'batch', args.redis, QUEUE, file, String(window)], jobs),
    latency: (count) => nodeLatency([producer, 'latency', args.redis, QUEUE, String(count), DB, 'select ?']),
  };
}

function nodeWorker(script, concurrency, dbPath) {
  return startWorker(node,
    [path.join(here, script), args.redis, QUEUE, String(concurrency), `${DB}=${dbPath}`]);
}

// A Node producer's batch; it exits 0 whatever became of the jobs, so its
// counts are checked.
async function nodeBatch(argv, jobs) {
  const r = await run(node, argv, { timed: true });
  const counts = JSON.parse(r.stdout);
  if (counts.completed !== jobs) {
    throw new Error(`${path.basename(argv[0])}: ${counts.completed} of ${jobs} completed `
      + `(${counts.failed} failed)`);
  }
  return r;
}

async function nodeLatency(argv) {
  const r = await run(node, argv);
  return r.stdout.trim().split('\n').map(Number);
}

// jq-submit (SUBMIT: its command line) driven one line at a time by a native
// caller (bench/driver/pipe_latency.cpp, built as build/bench/jq-bench-pipe):
// each round trip is the time from writing a job line to reading its reply
// line. A Node caller here would add its own stream overhead (about 0.15 ms
// a round trip on this kind of machine) to jq's figure, not Bull's.
async function jqLatency(count, submit) {
  const driver = path.join(args.bin, '..', 'bench', 'jq-bench-pipe');
  const r = await run(driver, [String(count), DB, 'select ?', '--', ...submit]);
  return r.stdout.trim().split('\n').map(Number);
}

// ---- measurements ----------------------------------------------------------

function jobsFile(kind, count, name) {
  const file = path.join(work, name);
  const sql = kind === 'select' ? 'select ?' : 'insert into t(v) values (?)';
  const lines = [];
  for (let i = 0; i < count; i += 1) lines.push(JSON.stringify({ db: DB, sql, params: [i] }));
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function freshDatabase(kind, side) {
  const file = path.join(work, `${side}-${kind}.sqlite`);
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  execFileSync(node, ['-e', `
    const D = require(${JSON.stringify(path.join(here, 'node_modules', 'better-sqlite3'))});
    const db = new D(${JSON.stringify(file)});
    db.pragma('journal_mode = wal');
    db.exec('create table t (id integer primary key, v integer)');
    db.close();`]);
  return file;
}

function rowCount(file) {
  return Number(execFileSync(node, ['-e', `
    const D = require(${JSON.stringify(path.join(here, 'node_modules', 'better-sqlite3'))});
    console.log(new D(${JSON.stringify(file)}).prepare('select count(*) n from t').get().n);`]));
}

// One throughput run of one side: a fresh worker and database, a warm-up,
// then `jobs` jobs through the submitter with every reply awaited.
//
// kind: select or insert on SQLite, or pginsert (inserts on --pg-url).
async function throughputRun(side, kind, concurrency) {
  await redis.flushall();
  const onPostgres = kind === 'pginsert';
  const db = onPostgres ? await freshPgTable() : freshDatabase(kind, side);
  const worker = sides[side].worker(concurrency, db);
  const warmup = 500;
  await sides[side].batch(jobsFile(kind, warmup, 'warmup.jsonl'), warmup);
  await redis.config('RESETSTAT');
  const file = jobsFile(kind, args.jobs, 'jobs.jsonl');
  const workerCpu = cpuMsOf(worker.pid);
  const redisCpu = cpuMsOf(args['redis-pid']);
  const pgCpu = onPostgres ? pgCpuByPid() : null;
  const batch = await sides[side].batch(file, args.jobs);
  const perJob = (ms) => (ms * 1000) / args.jobs; // µs
  const cpu = {
    submitterCpu: perJob(batch.cpuMs),
    workerCpu: perJob(cpuMsOf(worker.pid) - workerCpu),
    redisCpu: perJob(cpuMsOf(args['redis-pid']) - redisCpu),
  };
  if (onPostgres) cpu.dbCpu = perJob(pgCpuSince(pgCpu));
  const { ms } = batch;
  const calls = await redisCalls();
  const rss = peakRssMiB(worker.pid);
  await worker.stop();
  if (kind !== 'select') {
    const rows = onPostgres ? await pgRowCount() : rowCount(db);
    if (rows !== warmup + args.jobs) throw new Error(`${side}: ${rows} rows, expected ${warmup + args.jobs}`);
  }
  return {
    rate: args.jobs / (ms / 1000), commandsPerJob: calls / args.jobs, rss,
    ...cpu, totalCpu: cpu.submitterCpu + cpu.workerCpu + cpu.redisCpu,
  };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function latencyRun(side) {
  await redis.flushall();
  const worker = sides[side].worker(BEST.includes(side) ? 16 : 1, freshDatabase('select', side));
  await sides[side].latency(100); // warm-up
  const samples = await sides[side].latency(args.latency);
  await worker.stop();
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    samples: sorted,
    p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9), max: sorted[sorted.length - 1],
  };
}

// --once one-shot calls from a shell, each its own process, in one loop:
// wall per call from bash's own clock around the loop (µs resolution, so
// /bin/true's millisecond is measured too); CPU (user + system) per call
// and the largest process's peak RSS from /usr/bin/time (CPU times have
// 10 ms resolution, so per call they are only meaningful summed).
async function onceRun(side) {
  const calls = sides[side].onceCalls || args.once;
  await redis.flushall();
  const worker = sides[side].worker && sides[side].worker(1, freshDatabase('select', side));
  const [cmd, argv] = sides[side].once;
  await run(cmd, argv); // warm-up (and the worker is listening)
  const timeFile = path.join(work, 'time.txt');
  const loop = 'start=$EPOCHREALTIME; for ((i = 0; i < $0; i++)); do "$@" >/dev/null || exit 1; done; '
    + 'echo "$start $EPOCHREALTIME"';
  const { stdout } = await run('/usr/bin/time', ['-f', '%U %S %M', '-o', timeFile,
    'bash', '-c', loop, String(calls), cmd, ...argv]);
  const [start, end] = stdout.trim().split(' ').map(Number);
  const [u, s, m] = fs.readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number);
  if (worker) await worker.stop();
  return { wall: ((end - start) * 1000) / calls, cpu: ((u + s) * 1000) / calls, rss: m / 1024 };
}

// redis-benchmark's output against the bench's Redis.
function runRedisBenchmark(argv) {
  const url = new URL(args.redis);
  return execFileSync('redis-benchmark', ['-h', url.hostname, '-p', url.port, ...argv],
    { encoding: 'utf8' });
}

function redisBenchmark() {
  const out = runRedisBenchmark(['-q', '-n', '200000', '-c', '50', '-t', 'set,get,lpush,rpop', '--csv']);
  const rows = [];
  for (const line of out.trim().split('\n').slice(1)) {
    const cells = line.split(',').map((c) => c.replace(/"/g, ''));
    rows.push({ test: cells[0], rps: Number(cells[1]), p50: Number(cells[5]) });
  }
  return rows;
}

// One client's sequential PING round trips: what a single hop between two
// processes costs on this machine, and how often it stalls (the latency
// rows' floor). Percentiles from redis-benchmark's distribution, in ms.
function pingLatency() {
  const out = runRedisBenchmark(['-n', '100000', '-c', '1', '-t', 'ping_mbulk', '--precision', '3']);
  const section = out.split('====== PING_MBULK ======')[1];
  if (!section) throw new Error(`redis-benchmark printed no PING_MBULK section:\n${out}`);
  const steps = [];
  for (const m of section.split('Cumulative distribution')[0]
    .matchAll(/([\d.]+)% <= ([\d.]+) milliseconds/g)) {
    steps.push({ pct: Number(m[1]), ms: Number(m[2]) });
  }
  if (steps.length === 0) throw new Error(`no latency percentiles in redis-benchmark's output:\n${out}`);
  const at = (p) => (steps.find((s) => s.pct >= p) || steps[steps.length - 1]).ms;
  return { p50: at(50), p99: at(99), p999: at(99.9), p9999: at(99.99) };
}

// ---- statistics and report --------------------------------------------------

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// {median, min, max} of field `key` over runs, times `scale`.
function summary(runs, key, scale = 1) {
  const values = runs.map((r) => r[key] * scale);
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

function fmt(value, digits) {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function cell(s, digits) {
  if (s.min === s.max) return fmt(s.median, digits);
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

function versions() {
  const get = (cmd, argv) => {
    try { return execFileSync(cmd, argv, { encoding: 'utf8' }).trim(); } catch (e) { return '?'; }
  };
  const pkg = (name) => require(path.join(here, 'node_modules', name, 'package.json')).version;
  return {
    commit: get('git', ['-C', path.join(here, '..', '..'), 'rev-parse', '--short', 'HEAD']),
    cpu: (fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/) || [])[1] || '?',
    cores: require('os').cpus().length,
    redis: get('redis-server', ['--version']).replace(/^Redis server /, '').split(' ')[0],
    node: process.version,
    bull: pkg('bull'),
    bullmq: pkg('bullmq'),
    betterSqlite3: pkg('better-sqlite3'),
    pg: pkg('pg'),
  };
}

async function main() {
  fs.mkdirSync(work, { recursive: true });
  fs.mkdirSync(args.out, { recursive: true });
  const results = { throughput: {}, latency: {}, once: {} };
  const measure = async (into, names, once, describe) => {
    for (const side of names) into[side] = [];
    for (let r = 0; r < args.runs; r += 1) {
      for (const side of names) {
        const res = await once(side);
        into[side].push(res);
        log(`${describe(res)} (run ${r + 1}, ${LABELS[side]})`);
      }
    }
  };

  for (const kind of ['select', 'insert']) {
    for (const concurrency of [1, 16]) {
      const key = `${kind} c${concurrency}`;
      results.throughput[key] = {};
      // The best sides are compared at concurrency 16 only, jq's setting.
      const names = concurrency === 16 ? [...BEST, ...WINDOW] : WINDOW;
      await measure(results.throughput[key], names, (side) => throughputRun(side, kind, concurrency),
        (res) => `${key}: ${fmt(res.rate, 0)} jobs/s, ${fmt(res.commandsPerJob, 2)} commands/job, `
          + `worker ${fmt(res.rss, 1)} MiB, CPU µs/job: submitter ${fmt(res.submitterCpu, 0)} `
          + `worker ${fmt(res.workerCpu, 0)} Redis ${fmt(res.redisCpu, 0)}`);
    }
  }
  if (args['pg-url']) {
    // jq and Bull 4 at their best; BullMQ's worker here runs SQLite only.
    results.postgres = {};
    await measure(results.postgres, PG_SIDES, (side) => throughputRun(side, 'pginsert', 16),
      (res) => `insert c16 on PostgreSQL: ${fmt(res.rate, 0)} jobs/s, CPU µs/job: `
        + `submitter ${fmt(res.submitterCpu, 0)} worker ${fmt(res.workerCpu, 0)} `
        + `Redis ${fmt(res.redisCpu, 0)} PostgreSQL ${fmt(res.dbCpu, 0)}`);
  }
  await measure(results.latency, [...BEST, ...WINDOW], latencyRun,
    (res) => `latency: p50 ${fmt(res.p50, 3)} ms, p99 ${fmt(res.p99, 3)} ms, p99.9 ${fmt(res.p999, 3)} ms`);
  await measure(results.once, ['jq', 'floor', 'floorCpp', 'bull', 'true'], onceRun,
    (res) => `one-shot: ${fmt(res.wall, 2)} ms wall, ${fmt(res.cpu, 1)} ms CPU per call`);
  // Against /bin/true of the same run, so a slow moment counts on both.
  for (const side of ['jq', 'floor', 'floorCpp', 'bull']) {
    results.once[side].forEach((r, i) => { r.vsTrue = r.wall / results.once.true[i].wall; });
  }
  await redis.flushall();
  log('redis-benchmark');
  const ceiling = { commands: redisBenchmark(), ping: pingLatency() };

  const date = new Date().toISOString().slice(0, 10);
  const report = writeReport(results, ceiling, versions(), date);
  writeChart(results, date);
  process.stdout.write(report);
  await redis.quit();
}

// How many times better jq is: jq/other for higher-is-better figures,
// other/jq for the rest.
function ratio(jq, other, higherIsBetter) {
  const r = higherIsBetter ? jq / other : other / jq;
  return `${fmt(r, r < 10 ? 2 : 1)}×`;
}

function writeReport(results, ceiling, v, date) {
  const lines = [`# jq vs Node Bull 4 and BullMQ, ${date}`, ''];
  lines.push(`Commit ${v.commit}; ${v.cpu}, ${v.cores} cores; Redis ${v.redis} (no persistence); `
    + `Node ${v.node}, bull ${v.bull}, bullmq ${v.bullmq}, better-sqlite3 ${v.betterSqlite3}, pg ${v.pg}. `
    + `${args.jobs.toLocaleString('en-US')} jobs per throughput run; `
    + `${args.latency.toLocaleString('en-US')} round trips per latency run; `
    + `${args.once} calls per one-shot run (${args['once-node']} for the Node script). `
    + `Each figure: median of ${args.runs} runs (min–max); the sides take turns within each run. `
    + 'Ratio: how many times better jq is. Every worker runs in its own process, and the peers\' '
    + 'processor is the same better-sqlite3 code (statements prepared once; WAL and '
    + '`synchronous=NORMAL`, as `jq-worker --synchronous normal`). CPU per job: user + system time '
    + '(from /proc, or /usr/bin/time for the submitter) over the measured batch, divided by the jobs.', '');
  lines.push('## Best vs best', '');
  lines.push(`jq deep: \`jq-submit --stdin -j ${args.deep}\` against \`jq-worker -c 16\`. `
    + `Bull 4 best: \`queue.addBulk\` in batches of 1,000 with up to ${fmt(args.deep, 0)} jobs in flight, `
    + 'and one `global:completed` listener matching replies by job id. BullMQ best: the same with '
    + 'BullMQ\'s `addBulk` and one `QueueEvents` `completed` listener. Workers at concurrency 16, also '
    + 'for latency: one caller, sequential jobs, timed after one untimed job that also waits for the caller '
    + 'to connect (jq\'s is a native program feeding `jq-submit --stdin -j 1` '
    + 'line by line over pipes, bench/driver/pipe_latency.cpp; the peers\' are timed in '
    + 'their producer, one `add` per job and the shared listener). One-shot: a fresh process per call '
    + 'from a bash loop, `jq-submit` against a Node script with Bull 4\'s `add` and `job.finished()`, '
    + 'each divided by `/bin/true` run the same way in the same run. "met": whether jq\'s median '
    + 'meets the target; for a target relative to Bull 4 best, whether the median of the ratios '
    + 'run by run does (each run measures the sides one after the other; the runs are listed).'
    + (results.postgres ? ' On PostgreSQL (one throwaway server from Debian\'s postgresql, '
      + '`fsync=off`, `synchronous_commit=off`, over loopback TCP): single-row inserts into a fresh '
      + 'table, `jq-worker -c 16 --db bench=postgresql://...` against a Bull 4 worker at '
      + 'concurrency 16 whose processor uses `pg` (a pool of 16, each SQL text a named prepared '
      + 'statement, one autocommitted statement per job; jq-worker\'s job is a transaction that '
      + 'also records the reply in its ledger); the same producers as above.' : ''), '');
  lines.push(...bestTable(results), '');
  lines.push(`## Window of ${args.window}, one add per job`, '');
  lines.push(`\`jq-submit --stdin -j ${args.window}\`; Bull with ${args.window} in flight, `
    + 'one `add` per job. '
    + '"Bull" awaits `job.finished()`; "Bull, one listener" matches one global listener\'s events by job id. '
    + 'Latency: workers at concurrency 1; jq is one `jq-submit --stdin -j 1` fed line by line over pipes '
    + 'by the native caller; Bull is timed inside its producer process. CPU per job: of the submitter '
    + '(jq-submit, or the Node producer), the worker and redis-server.', '');
  lines.push(...windowTable(results), '');
  lines.push('Redis alone on this machine (redis-benchmark, 50 clients, no pipelining):', '');
  lines.push('| command | requests/s | p50 (ms) |', '| --- | ---: | ---: |');
  for (const c of ceiling.commands) lines.push(`| ${c.test} | ${fmt(c.rps, 0)} | ${fmt(c.p50, 3)} |`);
  const { ping } = ceiling;
  lines.push('', 'One client\'s sequential PINGs (redis-benchmark -c 1, 100,000): round trip '
    + `p50 ${fmt(ping.p50 * 1000, 0)} µs, p99 ${fmt(ping.p99 * 1000, 0)} µs, `
    + `p99.9 ${fmt(ping.p999 * 1000, 0)} µs, p99.99 ${fmt(ping.p9999 * 1000, 0)} µs. `
    + 'One job\'s round trip through jq-submit is about eight such wake-ups in a row '
    + '(caller, jq-submit, Redis, the worker, and back), so the latency rows cannot do better '
    + 'than this machine\'s hops and stalls allow.');
  const { floor, floorCpp } = results.once;
  lines.push('', 'The one-shot floor (bench/floor/oneshot.c: C and hiredis, the round trips of a lone '
    + '`jq-submit` job on one connection against the same worker, the job\'s hash and LPUSH as plain '
    + 'commands, and nothing else: no C++ runtime, option parser, JSON library or script): '
    + `${cell(summary(floor, 'wall'), 2)} ms a call, ${cell(summary(floor, 'vsTrue'), 2)}× \`/bin/true\`. `
    + 'The same in C++, linked as jq-submit is and taking jq-submit\'s command line through CLI11 '
    + '(bench/floor/oneshot_cli.cpp), which is what any C++ `jq-submit` pays before its own work: '
    + `${cell(summary(floorCpp, 'wall'), 2)} ms, ${cell(summary(floorCpp, 'vsTrue'), 2)}×. `
    + `\`jq-submit\`: ${cell(summary(results.once.jq, 'vsTrue'), 2)}×. What lies above the C++ floor `
    + 'is jq-submit\'s own start-up and work; what lies below the C floor is the process, the '
    + 'connection and the job\'s hops through Redis and the worker.');
  lines.push('', `![latency and throughput](${date}.png)`, '');
  const text = `${lines.join('\n')}\n`;
  fs.writeFileSync(path.join(args.out, `${date}.md`), text);
  return text;
}

// jq deep against Bull 4 best and BullMQ best, with jq's targets.
function bestTable(results) {
  const lines = [
    '| measure | jq deep | Bull 4 best | BullMQ best | jq vs Bull 4 best | jq vs BullMQ best '
      + '| target | met |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |'];
  // One row: `per` maps a side to its runs (BullMQ's may be absent). `met`
  // judges jq's median against an absolute target; with `ratioMet`, the target is a ratio to Bull 4
  // best, judged on the median of the ratios run by run (the two sides of a
  // run measured minutes apart, on the same machine), which are listed.
  const row = (what, per, key, {
    digits, higherIsBetter = false, scale = 1, target = '', met, ratioMet,
  }) => {
    const s = {};
    for (const side of BEST.filter((name) => per[name])) s[side] = summary(per[side], key, scale);
    const cells = BEST.map((side) => (s[side] ? cell(s[side], digits) : '—'));
    const vs = ['bullBest', 'bullmqBest'].map((side) =>
      (s[side] ? ratio(s.jqDeep.median, s[side].median, higherIsBetter) : '—'));
    let verdict = met ? (met(s.jqDeep.median) ? 'yes' : 'no') : '';
    if (ratioMet) {
      const byRun = per.jqDeep.map((run, i) => {
        const [jq, bull] = [run[key], per.bullBest[i][key]];
        return higherIsBetter ? jq / bull : bull / jq;
      });
      const m = median(byRun);
      vs[0] += ` (runs ${byRun.map((r) => fmt(r, 2)).join(', ')}; median ${fmt(m, 2)}×)`;
      verdict = ratioMet(m) ? 'yes' : 'no';
    }
    lines.push(`| ${what} | ${cells.join(' | ')} | ${vs.join(' | ')} | ${target} | ${verdict} |`);
  };
  const c16 = ['select c16', 'insert c16'];
  for (const key of c16) {
    row(`throughput, ${key} (jobs/s)`, results.throughput[key], 'rate',
      { digits: 0, higherIsBetter: true, target: '≥ 3× Bull 4 best', ratioMet: (r) => r >= 3 });
  }
  for (const key of c16) {
    row(`Redis CPU per job, ${key} (µs)`, results.throughput[key], 'redisCpu',
      { digits: 0, target: '≤ ½ Bull 4 best', ratioMet: (r) => r >= 2 });
  }
  const us = { digits: 0, scale: 1000 };
  row('latency p50 (µs)', results.latency, 'p50', { ...us, target: '≤ 150 µs', met: (jq) => jq <= 150 });
  row('latency p99 (µs)', results.latency, 'p99', us);
  row('latency p99.9 (µs)', results.latency, 'p999',
    { ...us, target: '≤ 1,000 µs', met: (jq) => jq <= 1000 });
  for (const key of c16) {
    row(`worker peak RSS, ${key} (MiB)`, results.throughput[key], 'rss',
      { digits: 1, target: '≤ 10 MiB', met: (jq) => jq <= 10 });
  }
  if (results.postgres) {
    const pg = 'insert c16 on PostgreSQL';
    row(`throughput, ${pg} (jobs/s)`, results.postgres, 'rate', { digits: 0, higherIsBetter: true });
    row(`CPU per job, PostgreSQL server, ${pg} (µs)`, results.postgres, 'dbCpu', { digits: 0 });
    row(`CPU per job, worker, ${pg} (µs)`, results.postgres, 'workerCpu', { digits: 0 });
    row(`Redis CPU per job, ${pg} (µs)`, results.postgres, 'redisCpu', { digits: 0 });
    row(`worker peak RSS, ${pg} (MiB)`, results.postgres, 'rss', { digits: 1 });
  }
  const once = { jqDeep: results.once.jq, bullBest: results.once.bull };
  const trueWall = summary(results.once.true, 'wall').median;
  row('one-shot call, wall (ms)', once, 'wall', { digits: 2 });
  row(`one-shot call, wall ÷ /bin/true's (${fmt(trueWall, 2)} ms)`, once, 'vsTrue',
    { digits: 1, target: '≤ 2× /bin/true', met: (jq) => jq <= 2 });
  return lines;
}

// jq against Bull with a window of 64, as the bench has always measured it.
function windowTable(results) {
  const lines = ['| measure | jq | Bull | ratio | Bull, one listener | ratio | target |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |'];
  // One row: `per` maps a side to its runs; `listener` runs may be absent.
  const row = (what, per, key, digits, higherIsBetter, target) => {
    const jq = summary(per.jq, key);
    const bull = summary(per.bull, key);
    let best = ['—', '—'];
    if (per.listener) {
      const l = summary(per.listener, key);
      best = [cell(l, digits), ratio(jq.median, l.median, higherIsBetter)];
    }
    lines.push(`| ${what} | ${cell(jq, digits)} | ${cell(bull, digits)} | `
      + `${ratio(jq.median, bull.median, higherIsBetter)} | ${best[0]} | ${best[1]} | ${target} |`);
  };
  for (const [key, per] of Object.entries(results.throughput)) {
    row(`throughput, ${key} (jobs/s)`, per, 'rate', 0, true, key === 'select c16' ? '≥ 5×' : '');
  }
  const percentiles = [['p50', 'p50'], ['p90', 'p90'], ['p99', 'p99'], ['p999', 'p99.9'], ['max', 'max']];
  for (const [p, label] of percentiles) {
    row(`latency ${label} (ms)`, results.latency, p, 3, false, p === 'p50' ? '≥ 5×' : '');
  }
  row('one-shot call, wall (ms)', results.once, 'wall', 1, false, '≥ 20×');
  row('one-shot call, CPU (ms)', results.once, 'cpu', 1, false, '≥ 20×');
  row('one-shot call, peak RSS (MiB)', results.once, 'rss', 1, false, '');
  for (const [key, per] of Object.entries(results.throughput)) {
    row(`worker peak RSS, ${key} (MiB)`, per, 'rss', 1, false, key === 'select c16' ? '≥ 5×' : '');
  }
  for (const [key, per] of Object.entries(results.throughput)) {
    row(`Redis commands per job, ${key}`, per, 'commandsPerJob', 2, false, '≥ 1×');
  }
  for (const [what, field] of [['all processes', 'totalCpu'], ['submitter', 'submitterCpu'],
    ['worker', 'workerCpu'], ['Redis', 'redisCpu']]) {
    for (const [key, per] of Object.entries(results.throughput)) {
      row(`CPU per job, ${what}, ${key} (µs)`, per, field, 0, false, '');
    }
  }
  return lines;
}

// Two rows of two panels: best vs best on top, the window-64 comparison
// below; each a latency CDF and a throughput histogram.
function writeChart(results, date) {
  const data = path.join(work, 'chart');
  fs.mkdirSync(data, { recursive: true });
  for (const side of [...BEST, ...WINDOW]) {
    // Latency distribution: every sample of every run, as a CDF.
    const samples = results.latency[side].flatMap((r) => r.samples).sort((a, b) => a - b);
    fs.writeFileSync(path.join(data, `${side}.cdf`),
      samples.map((ms, i) => `${ms} ${(100 * (i + 1)) / samples.length}`).join('\n'));
  }
  const bars = (names, file) => {
    const measured = Object.entries(results.throughput).filter(([, per]) => names.every((side) => per[side]));
    fs.writeFileSync(path.join(data, file), measured.map(([key, per]) =>
      `"${key}" ${names.map((side) => summary(per[side], 'rate').median).join(' ')}`).join('\n'));
  };
  bars(BEST, 'best.dat');
  bars(WINDOW, 'window.dat');
  const titles = {
    ...LABELS, bull: 'Bull, job.finished()',
    bullBest: 'Bull 4 best (addBulk, one listener)', bullmqBest: 'BullMQ best (addBulk, QueueEvents)',
  };
  const cdf = (names, title) => `
set title "${title}, one caller, ${args.runs} x ${args.latency} (CDF)"
set logscale x
set xlabel "ms (log scale)"
set ylabel "% of round trips"
set key bottom right
plot ${names.map((side) => `"${data}/${side}.cdf" using 1:2 with lines lw 2 title "${titles[side]}"`)
    .join(', ')}
unset logscale x`;
  const histogram = (names, file, title) => `
set title "${title}, ${args.jobs} jobs (jobs/s, median of ${args.runs})"
set xlabel ""
set ylabel "jobs/s"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]
set key top right
plot ${names.map((side, i) => `"${data}/${file}" using ${i + 2}${i === 0 ? ':xtic(1)' : ''} `
    + `title "${titles[side]}"`).join(', ')}`;
  const png = path.join(args.out, `${date}.png`);
  const script = `
set terminal pngcairo size 1280,960 font ",10"
set output "${png}"
set multiplot layout 2,2
set grid
set xtics nomirror
${cdf(BEST, 'Best vs best: round-trip latency')}
${histogram(BEST, 'best.dat', 'Best vs best: end-to-end throughput')}
${cdf(WINDOW, `Window of ${args.window}: round-trip latency`)}
${histogram(WINDOW, 'window.dat', `Window of ${args.window}: end-to-end throughput`)}
unset multiplot
`;
  fs.writeFileSync(path.join(data, 'chart.gp'), script);
  execFileSync('gnuplot', [path.join(data, 'chart.gp')]);
}

main().catch(async (err) => {
  console.error(`bench: ${err.stack || err}`);
  process.exit(1);
});
