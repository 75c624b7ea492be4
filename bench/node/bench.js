'use strict';
// make bench: jq and Node Bull side by side on one Redis, in one run.
//
//   node bench.js --redis URL --redis-pid PID --bin DIR --work DIR --out DIR
//                 [--jobs 20000] [--runs 3] [--latency 2000] [--once 30]
//                 [--window 64]
//
// Each figure is the median of --runs runs, with the spread (min-max). The
// sides take turns within each run, so a noisy moment hits both. Writes
// OUT/DATE.md and OUT/DATE.png and prints the table.

const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const Redis = require('ioredis');

const args = parseArgs(process.argv.slice(2), {
  jobs: 20000, runs: 3, latency: 2000, once: 30, window: 64, 'redis-pid': 0,
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
        reject(new Error(`${path.basename(cmd)} ${argv.join(' ')}: exit ${code}\n${stderr}`));
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
      { input: file, stdoutFile: path.join(work, 'jq-replies.jsonl'), timed: true });
      return r; // exit 0: every job completed
    },
    latency(count) {
      return jqLatency(count);
    },
    once: [path.join(args.bin, 'jq-submit'), ['--redis', args.redis, '-q', QUEUE,
      '--db', DB, '--sql', 'select ?', '--param', '1', '--format', 'json']],
  },
  bull: bullSide('finished'),
  listener: bullSide('listener'),
};

// Node Bull: the same worker; WAY is how the producer awaits replies (see
// bull-producer.js).
function bullSide(way) {
  const producer = path.join(here, 'bull-producer.js');
  return {
    worker(concurrency, dbPath) {
      return startWorker(node, [path.join(here, 'bull-worker.js'), args.redis, QUEUE,
        String(concurrency), `${DB}=${dbPath}`]);
    },
    async batch(file, jobs) {
      const r = await run(node, [producer, 'batch', args.redis, QUEUE, way, file, String(args.window)],
        { timed: true });
      const counts = JSON.parse(r.stdout);
      if (counts.completed !== jobs) {
        throw new Error(`bull: ${counts.completed} of ${jobs} completed (${counts.failed} failed)`);
      }
      return r;
    },
    async latency(count) {
      const r = await run(node, [producer, 'latency', args.redis, QUEUE, way, String(count), DB, 'select ?']);
      return r.stdout.trim().split('\n').map(Number);
    },
    once: [node, [producer, 'once', args.redis, QUEUE, DB, 'select ?']],
  };
}

// jq-submit --stdin -j 1 driven one line at a time by a native caller
// (bench/driver/pipe_latency.cpp, built as build/bench/jq-bench-pipe): each
// round trip is the time from writing a job line to reading its reply line.
// A Node caller here would add its own stream overhead (about 0.15 ms a
// round trip on this kind of machine) to jq's figure, not Bull's.
async function jqLatency(count) {
  const driver = path.join(args.bin, '..', 'bench', 'jq-bench-pipe');
  const r = await run(driver, [String(count), DB, 'select ?', '--',
    path.join(args.bin, 'jq-submit'), '--redis', args.redis, '-q', QUEUE, '--stdin', '-j', '1']);
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
async function throughputRun(side, kind, concurrency) {
  await redis.flushall();
  const db = freshDatabase(kind, side);
  const worker = sides[side].worker(concurrency, db);
  const warmup = 500;
  await sides[side].batch(jobsFile(kind, warmup, 'warmup.jsonl'), warmup);
  await redis.config('RESETSTAT');
  const file = jobsFile(kind, args.jobs, 'jobs.jsonl');
  const workerCpu = cpuMsOf(worker.pid);
  const redisCpu = cpuMsOf(args['redis-pid']);
  const batch = await sides[side].batch(file, args.jobs);
  const perJob = (ms) => (ms * 1000) / args.jobs; // µs
  const cpu = {
    submitterCpu: perJob(batch.cpuMs),
    workerCpu: perJob(cpuMsOf(worker.pid) - workerCpu),
    redisCpu: perJob(cpuMsOf(args['redis-pid']) - redisCpu),
  };
  const { ms } = batch;
  const calls = await redisCalls();
  const rss = peakRssMiB(worker.pid);
  await worker.stop();
  if (kind === 'insert') {
    const rows = rowCount(db);
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

// --once one-shot calls from a shell, each its own process, timed as one
// loop by /usr/bin/time (CPU times have 10 ms resolution, so per call they
// are only meaningful summed): wall and CPU (user + system) per call, and
// the largest process's peak RSS.
async function onceRun(side) {
  await redis.flushall();
  const worker = sides[side].worker(1, freshDatabase('select', side));
  const [cmd, argv] = sides[side].once;
  await run(cmd, argv); // warm-up (and the worker is listening)
  const timeFile = path.join(work, 'time.txt');
  const loop = 'for ((i = 0; i < $0; i++)); do "$@" >/dev/null || exit 1; done';
  await run('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile,
    'bash', '-c', loop, String(args.once), cmd, ...argv]);
  const [e, u, s, m] = fs.readFileSync(timeFile, 'utf8').trim().split(/\s+/).map(Number);
  await worker.stop();
  return { wall: (e * 1000) / args.once, cpu: ((u + s) * 1000) / args.once, rss: m / 1024 };
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
  const all = ['jq', 'bull', 'listener'];
  const measure = async (into, sides, once, describe) => {
    for (const side of sides) into[side] = [];
    for (let r = 0; r < args.runs; r += 1) {
      for (const side of sides) {
        const res = await once(side);
        into[side].push(res);
        log(`${describe(res)} (run ${r + 1}, ${side})`);
      }
    }
  };

  for (const kind of ['select', 'insert']) {
    for (const concurrency of [1, 16]) {
      const key = `${kind} c${concurrency}`;
      results.throughput[key] = {};
      await measure(results.throughput[key], all, (side) => throughputRun(side, kind, concurrency),
        (res) => `${key}: ${fmt(res.rate, 0)} jobs/s, ${fmt(res.commandsPerJob, 2)} commands/job, `
          + `worker ${fmt(res.rss, 1)} MiB, CPU µs/job: submitter ${fmt(res.submitterCpu, 0)} `
          + `worker ${fmt(res.workerCpu, 0)} Redis ${fmt(res.redisCpu, 0)}`);
    }
  }
  await measure(results.latency, all, latencyRun,
    (res) => `latency: p50 ${fmt(res.p50, 3)} ms, p99 ${fmt(res.p99, 3)} ms`);
  await measure(results.once, ['jq', 'bull'], onceRun,
    (res) => `one-shot: ${fmt(res.wall, 1)} ms wall, ${fmt(res.cpu, 1)} ms CPU per call`);
  await redis.flushall();
  log('redis-benchmark');
  const ceiling = redisBenchmark();

  const date = new Date().toISOString().slice(0, 10);
  const report = writeReport(results, ceiling, versions(), date);
  writeChart(results, date);
  process.stdout.write(report);
  await redis.quit();
}

// How many times better jq is: jq/bull for higher-is-better figures,
// bull/jq for the rest.
function ratio(jq, bull, higherIsBetter) {
  const r = higherIsBetter ? jq / bull : bull / jq;
  return `${fmt(r, r < 10 ? 2 : 1)}×`;
}

function writeReport(results, ceiling, v, date) {
  const lines = [];
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
  lines.push(`# jq vs Node Bull, ${date}`, '');
  lines.push(`Commit ${v.commit}; ${v.cpu}, ${v.cores} cores; Redis ${v.redis} (no persistence); `
    + `Node ${v.node}, bull ${v.bull}, better-sqlite3 ${v.betterSqlite3}. `
    + `${args.jobs.toLocaleString('en-US')} jobs per throughput run, ${args.window} in flight; `
    + `${args.latency.toLocaleString('en-US')} round trips per latency run; ${args.once} calls per one-shot run. `
    + `Each figure: median of ${args.runs} runs (min–max). `
    + 'Ratio: how many times better jq is. "Bull" awaits `job.finished()`; '
    + '"Bull, one listener" matches one global listener\'s events by job id, Bull\'s best case. '
    + 'Latency: jq is one `jq-submit --stdin -j 1` fed line by line over pipes by a native caller '
    + '(bench/driver/pipe_latency.cpp); Bull is timed inside its producer process. '
    + 'CPU per job: user + system time over the measured batch of the submitter (jq-submit, or the '
    + 'Node producer), the worker and redis-server, divided by the jobs.', '');
  lines.push('| measure | jq | Bull | ratio | Bull, one listener | ratio | target |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const [key, per] of Object.entries(results.throughput)) {
    row(`throughput, ${key} (jobs/s)`, per, 'rate', 0, true, key === 'select c16' ? '≥ 5×' : '');
  }
  for (const p of ['p50', 'p90', 'p99', 'max']) {
    row(`latency ${p} (ms)`, results.latency, p, 3, false, p === 'p50' ? '≥ 5×' : '');
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
  const sides = ['jq', 'bull', 'listener'];
  for (const side of sides) {
    // Latency distribution: every sample of every run, as a CDF.
    const samples = results.latency[side].flatMap((r) => r.samples).sort((a, b) => a - b);
    fs.writeFileSync(path.join(data, `${side}.cdf`),
      samples.map((ms, i) => `${ms} ${(100 * (i + 1)) / samples.length}`).join('\n'));
  }
  const bars = Object.entries(results.throughput).map(([key, per]) =>
    `"${key}" ${sides.map((side) => summary(per[side], 'rate').median).join(' ')}`);
  fs.writeFileSync(path.join(data, 'throughput.dat'), bars.join('\n'));
  const png = path.join(args.out, `${date}.png`);
  const script = `
set terminal pngcairo size 1280,480 font ",10"
set output "${png}"
set multiplot layout 1,2
set title "Round-trip latency, one caller, ${args.runs} x ${args.latency} (CDF)"
set logscale x
set xlabel "ms (log scale)"
set ylabel "% of round trips"
set key bottom right
set grid
plot "${data}/jq.cdf" using 1:2 with lines lw 2 title "jq", \\
     "${data}/bull.cdf" using 1:2 with lines lw 2 title "Bull, job.finished()", \\
     "${data}/listener.cdf" using 1:2 with lines lw 2 title "Bull, one listener"
unset logscale x
set title "End-to-end throughput, ${args.jobs} jobs (jobs/s, median of ${args.runs})"
set xlabel ""
set ylabel "jobs/s"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]
set xtics nomirror
set key top right
plot "${data}/throughput.dat" using 2:xtic(1) title "jq", "" using 3 title "Bull, job.finished()", \\
     "" using 4 title "Bull, one listener"
unset multiplot
`;
  fs.writeFileSync(path.join(data, 'chart.gp'), script);
  execFileSync('gnuplot', [path.join(data, 'chart.gp')]);
}

main().catch(async (err) => {
  console.error(`bench: ${err.stack || err}`);
  process.exit(1);
});
