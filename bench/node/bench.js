'use strict';
// make bench: jq and Node Bull side by side on one Redis, in one run.
//
//   node bench.js --redis URL --bin DIR --work DIR --out DIR [--jobs 20000]
//                 [--runs 3] [--latency 2000] [--once 30] [--window 64]
//
// Each figure is the median of --runs runs, with the spread (min-max). The
// sides take turns within each run, so a noisy moment hits both. Writes
// OUT/DATE.md and OUT/DATE.png and prints the table.

const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const readline = require('readline');
const Redis = require('ioredis');

const args = parseArgs(process.argv.slice(2), {
  jobs: 20000, runs: 3, latency: 2000, once: 30, window: 64,
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
  for (const key of ['redis', 'bin', 'work', 'out']) {
    if (!out[key]) throw new Error(`missing --${key}`);
  }
  return out;
}

function log(text) {
  process.stderr.write(`bench: ${text}\n`);
}

// ---- processes ----------------------------------------------------------

// Run a command to its end; resolves {code, stdout, ms}. Rejects on a
// non-zero exit.
function run(cmd, argv, { input, stdoutFile } = {}) {
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
        reject(new Error(`${path.basename(cmd)} ${argv.join(' ')}: exit ${code}\n${stderr}`));
      } else {
        resolve({ code, stdout, ms });
      }
    });
  });
}

// A long-running worker; `ready` resolves when `isReady()` says so.
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

// Peak resident memory (VmHWM) of a running process, in MiB.
function peakRssMiB(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)[1]);
  return kb / 1024;
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

// ---- the two sides --------------------------------------------------------

const QUEUE = 'bench';
const DB = 'bench';

const sides = {
  jq: {
    worker(concurrency, dbPath) {
      return startWorker(path.join(args.bin, 'jq-worker'), [
        '--redis', args.redis, '-q', QUEUE, '--db', `${DB}=${dbPath}`,
        '-c', String(concurrency), '--synchronous', 'normal', '--quiet']);
    },
    async batch(file) {
      const r = await run(path.join(args.bin, 'jq-submit'), [
        '--redis', args.redis, '-q', QUEUE, '--stdin', '-j', String(args.window)],
      { input: file, stdoutFile: path.join(work, 'jq-replies.jsonl') });
      return r.ms; // exit 0: every job completed
    },
    latency(count) {
      return jqLatency(count);
    },
    once: [path.join(args.bin, 'jq-submit'), ['--redis', args.redis, '-q', QUEUE,
      '--db', DB, '--sql', 'select ?', '--param', '1', '--format', 'json']],
  },
  bull: {
    worker(concurrency, dbPath) {
      return startWorker(node, [path.join(here, 'bull-worker.js'), args.redis, QUEUE,
        String(concurrency), `${DB}=${dbPath}`]);
    },
    async batch(file, jobs) {
      const r = await run(node, [path.join(here, 'bull-producer.js'), 'batch', args.redis,
        QUEUE, file, String(args.window)]);
      const counts = JSON.parse(r.stdout);
      if (counts.completed !== jobs) {
        throw new Error(`bull: ${counts.completed} of ${jobs} completed (${counts.failed} failed)`);
      }
      return r.ms;
    },
    async latency(count) {
      const r = await run(node, [path.join(here, 'bull-producer.js'), 'latency', args.redis,
        QUEUE, String(count), DB, 'select ?']);
      return r.stdout.trim().split('\n').map(Number);
    },
    once: [node, [path.join(here, 'bull-producer.js'), 'once', args.redis, QUEUE, DB, 'select ?']],
  },
};

// jq-submit --stdin -j 1 driven one line at a time: each round trip is the
// time from writing a job line to reading its reply line.
function jqLatency(count) {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(args.bin, 'jq-submit'), [
      '--redis', args.redis, '-q', QUEUE, '--stdin', '-j', '1'],
    { stdio: ['pipe', 'pipe', 'inherit'] });
    const samples = [];
    let start = 0n;
    const next = () => {
      start = process.hrtime.bigint();
      child.stdin.write(`{"db":"${DB}","sql":"select ?","params":[${samples.length}]}\n`);
    };
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (!line.includes('"completed"')) reject(new Error(`jq-submit: ${line}`));
      if (samples.length < count) next(); else child.stdin.end();
    });
    child.on('close', (code) => (code === 0 ? resolve(samples) : reject(new Error(`jq-submit exit ${code}`))));
    next();
  });
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
async function throughputRun(side, kind, concurrency) {
  await redis.flushall();
  const db = freshDatabase(kind, side);
  const worker = sides[side].worker(concurrency, db);
  const warmup = 500;
  await sides[side].batch(jobsFile(kind, warmup, 'warmup.jsonl'), warmup);
  await redis.config('RESETSTAT');
  const ms = await sides[side].batch(jobsFile(kind, args.jobs, 'jobs.jsonl'), args.jobs);
  const calls = await redisCalls();
  const rss = peakRssMiB(worker.pid);
  await worker.stop();
  if (kind === 'insert') {
    const rows = rowCount(db);
    if (rows !== warmup + args.jobs) throw new Error(`${side}: ${rows} rows, expected ${warmup + args.jobs}`);
  }
  return { rate: args.jobs / (ms / 1000), commandsPerJob: calls / args.jobs, rss };
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function latencyRun(side) {
  await redis.flushall();
  const worker = sides[side].worker(1, freshDatabase('select', side));
  await sides[side].latency(100); // warm-up
  const samples = await sides[side].latency(args.latency);
  await worker.stop();
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    samples: sorted,
    p50: percentile(sorted, 50), p90: percentile(sorted, 90),
    p99: percentile(sorted, 99), max: sorted[sorted.length - 1],
  };
}

// `count` one-shot calls from a shell, each its own process: wall time and
// CPU time (user + system) per call, from /usr/bin/time.
async function onceRun(side) {
  await redis.flushall();
  const worker = sides[side].worker(1, freshDatabase('select', side));
  const [cmd, argv] = sides[side].once;
  await run(cmd, argv); // warm-up (and the worker is listening)
  const timeFile = path.join(work, 'time.txt');
  let wall = 0;
  let cpu = 0;
  let rss = 0;
  for (let i = 0; i < args.once; i += 1) {
    await run('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, cmd, ...argv]);
    const [e, u, s, m] = fs.readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number);
    wall += e * 1000;
    cpu += (u + s) * 1000;
    rss = Math.max(rss, m / 1024);
  }
  await worker.stop();
  return { wall: wall / args.once, cpu: cpu / args.once, rss };
}

function redisBenchmark() {
  const url = new URL(args.redis);
  const out = execFileSync('redis-benchmark', ['-h', url.hostname, '-p', url.port, '-q',
    '-n', '200000', '-c', '50', '-t', 'set,get,lpush,rpop', '--csv'], { encoding: 'utf8' });
  const rows = [];
  for (const line of out.trim().split('\n').slice(1)) {
    const cells = line.split(',').map((c) => c.replace(/"/g, ''));
    rows.push({ test: cells[0], rps: Number(cells[1]), p50: Number(cells[5]) });
  }
  return rows;
}

// ---- statistics and report --------------------------------------------------

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// {median, min, max} of field `key` over runs.
function summary(runs, key) {
  const values = runs.map((r) => r[key]);
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
    betterSqlite3: pkg('better-sqlite3'),
  };
}

async function main() {
  fs.mkdirSync(work, { recursive: true });
  fs.mkdirSync(args.out, { recursive: true });
  const results = { throughput: {}, latency: {}, once: {} };
  const order = ['jq', 'bull'];

  for (const kind of ['select', 'insert']) {
    for (const concurrency of [1, 16]) {
      const key = `${kind} c${concurrency}`;
      results.throughput[key] = { jq: [], bull: [] };
      for (let r = 0; r < args.runs; r += 1) {
        for (const side of order) {
          const res = await throughputRun(side, kind, concurrency);
          results.throughput[key][side].push(res);
          log(`${key} run ${r + 1} ${side}: ${fmt(res.rate, 0)} jobs/s, ${fmt(res.commandsPerJob, 2)} commands/job, worker ${fmt(res.rss, 1)} MiB`);
        }
      }
    }
  }
  for (const side of order) results.latency[side] = [];
  for (let r = 0; r < args.runs; r += 1) {
    for (const side of order) {
      const res = await latencyRun(side);
      results.latency[side].push(res);
      log(`latency run ${r + 1} ${side}: p50 ${fmt(res.p50, 3)} ms, p99 ${fmt(res.p99, 3)} ms`);
    }
  }
  for (const side of order) results.once[side] = [];
  for (let r = 0; r < args.runs; r += 1) {
    for (const side of order) {
      const res = await onceRun(side);
      results.once[side].push(res);
      log(`one-shot run ${r + 1} ${side}: ${fmt(res.wall, 1)} ms wall, ${fmt(res.cpu, 1)} ms CPU per call`);
    }
  }
  await redis.flushall();
  log('redis-benchmark');
  const ceiling = redisBenchmark();

  const date = new Date().toISOString().slice(0, 10);
  const report = writeReport(results, ceiling, versions(), date);
  writeChart(results, date);
  process.stdout.write(report);
  await redis.quit();
}

// Ratio column: how many times better jq is (higher-is-better figures as
// jq/bull, lower-is-better as bull/jq).
function ratio(jq, bull, higherIsBetter) {
  const r = higherIsBetter ? jq / bull : bull / jq;
  return `${fmt(r, 1)}×`;
}

function writeReport(results, ceiling, v, date) {
  const lines = [];
  const row = (what, jq, bull, r, target) => lines.push(`| ${what} | ${jq} | ${bull} | ${r} | ${target} |`);
  lines.push(`# jq vs Node Bull, ${date}`, '');
  lines.push(`Commit ${v.commit}; ${v.cpu}, ${v.cores} cores; Redis ${v.redis} (no persistence); `
    + `Node ${v.node}, bull ${v.bull}, better-sqlite3 ${v.betterSqlite3}. `
    + `Each figure: median of ${args.runs} runs (min–max). Ratio: how many times better jq is.`, '');
  lines.push('| measure | jq | Bull | ratio | target |', '| --- | ---: | ---: | ---: | --- |');
  for (const [key, per] of Object.entries(results.throughput)) {
    const jq = summary(per.jq, 'rate');
    const bull = summary(per.bull, 'rate');
    const target = key === 'select c16' ? '≥ 5×' : '';
    row(`throughput, ${key} (jobs/s)`, cell(jq, 0), cell(bull, 0), ratio(jq.median, bull.median, true), target);
  }
  for (const p of ['p50', 'p90', 'p99', 'max']) {
    const jq = summary(results.latency.jq, p);
    const bull = summary(results.latency.bull, p);
    row(`latency ${p} (ms)`, cell(jq, 3), cell(bull, 3), ratio(jq.median, bull.median, false), p === 'p50' ? '≥ 5×' : '');
  }
  for (const [key, label, target] of [['wall', 'wall', '≥ 20×'], ['cpu', 'CPU', '≥ 20×'], ['rss', 'peak RSS (MiB)', '']]) {
    const jq = summary(results.once.jq, key);
    const bull = summary(results.once.bull, key);
    row(`one-shot call, ${label}${key === 'rss' ? '' : ' (ms)'}`, cell(jq, 1), cell(bull, 1), ratio(jq.median, bull.median, false), target);
  }
  for (const [key, per] of Object.entries(results.throughput)) {
    const jq = summary(per.jq, 'rss');
    const bull = summary(per.bull, 'rss');
    row(`worker peak RSS, ${key} (MiB)`, cell(jq, 1), cell(bull, 1), ratio(jq.median, bull.median, false), key === 'select c16' ? '≥ 5×' : '');
  }
  for (const [key, per] of Object.entries(results.throughput)) {
    const jq = summary(per.jq, 'commandsPerJob');
    const bull = summary(per.bull, 'commandsPerJob');
    row(`Redis commands per job, ${key}`, cell(jq, 2), cell(bull, 2), ratio(jq.median, bull.median, false), '≥ 1×');
  }
  lines.push('', 'Redis alone on this machine (redis-benchmark, 50 clients, no pipelining):', '');
  lines.push('| command | requests/s | p50 (ms) |', '| --- | ---: | ---: |');
  for (const c of ceiling) lines.push(`| ${c.test} | ${fmt(c.rps, 0)} | ${fmt(c.p50, 3)} |`);
  lines.push('', `![latency and throughput](${date}.png)`, '');
  const text = `${lines.join('\n')}\n`;
  fs.writeFileSync(path.join(args.out, `${date}.md`), text);
  return text;
}

function writeChart(results, date) {
  const data = path.join(work, 'chart');
  fs.mkdirSync(data, { recursive: true });
  for (const side of ['jq', 'bull']) {
    // Latency distribution: every sample of every run, as a CDF.
    const all = results.latency[side].flatMap((r) => r.samples).sort((a, b) => a - b);
    fs.writeFileSync(path.join(data, `${side}.cdf`),
      all.map((ms, i) => `${ms} ${(100 * (i + 1)) / all.length}`).join('\n'));
  }
  const bars = Object.entries(results.throughput).map(([key, per]) =>
    `"${key}" ${summary(per.jq, 'rate').median} ${summary(per.bull, 'rate').median}`);
  fs.writeFileSync(path.join(data, 'throughput.dat'), bars.join('\n'));
  const png = path.join(args.out, `${date}.png`);
  const script = `
set terminal pngcairo size 1200,480 font ",10"
set output "${png}"
set multiplot layout 1,2
set title "Round-trip latency, one caller (CDF)"
set logscale x
set xlabel "ms"
set ylabel "% of round trips"
set key bottom right
set grid
plot "${data}/jq.cdf" using 1:2 with lines lw 2 title "jq", \\
     "${data}/bull.cdf" using 1:2 with lines lw 2 title "Node Bull"
unset logscale x
set title "End-to-end throughput (jobs/s, median)"
set xlabel ""
set ylabel "jobs/s"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]
set xtics nomirror
set key top right
plot "${data}/throughput.dat" using 2:xtic(1) title "jq", "" using 3 title "Node Bull"
unset multiplot
`;
  fs.writeFileSync(path.join(data, 'chart.gp'), script);
  execFileSync('gnuplot', [path.join(data, 'chart.gp')]);
}

main().catch(async (err) => {
  console.error(`bench: ${err.stack || err}`);
  process.exit(1);
});
