'use strict';
// Job lifecycle across the two implementations:
//  1. run order of a mixed wait list (priority, lifo, plain; added by a Bull
//     producer and by jq-submit) is the same for a Node Bull worker and for
//     jq-worker, and is Bull's rule;
//  2. a job whose jq-worker was SIGKILLed is recovered by a Node Bull
//     worker's stalled check;
//  3. a job whose Node Bull worker was SIGKILLed is recovered by jq-worker's
//     stalled check;
//  4. a job that stalls more often than jq-worker --max-stalled allows fails
//     with Bull's reason.
// docs/bull-layout.md sections 3.1 (addJob), 3.6 (stalled check), 4.3 (counts).

const { spawn } = require('node:child_process');
const h = require('./helpers');

const { expect } = h;
const DB = h.tmpPath(`lifecycle-${process.pid}.sqlite`);

// A statement that runs for several seconds here (measured: 6.5 s with the
// sqlite3 shell, 13 s inside jq-worker on a loaded machine), so a worker is
// still in it when it is killed. Each case checks that the job had not ended.
const SLOW_SQL =
  'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 30000000) SELECT count(*) FROM c';
const STALL_ARGS = ['--lock-duration', '2s', '--stalled-interval', '1s'];
const BULL_STALL_SETTINGS = { settings: { lockDuration: 2000, stalledInterval: 1000 } };
const STALLED_REASON = 'job stalled more than allowable limit'; // the hash's failedReason
const STALLED_EVENT = 'job stalled more than maxStalledCount'; // the `failed` event's val

// What the current case uses, for the failure hook and the final cleanup.
let current = { queues: [], workers: [], children: [] };
const recovery = {}; // measured kill -> completed/failed times, ms

h.onFailure(async () => {
  for (const w of current.workers) {
    console.log(`# jq-worker ${h.show(w.argv)} exited ${h.show(w.exited)}; stderr:\n${w.stderr.replace(/^/gm, '#   ')}`);
  }
  for (const c of current.children) {
    console.log(`# node child worker stdout: ${h.show(c.stdout)} stderr: ${h.show(c.stderr)}`);
  }
  if (current.queues.length > 0) await h.dumpQueue(current.queues[0], console.log); // the producer
});

h.onCleanup(async () => {
  for (const c of current.children) if (c.exited === null) c.child.kill('SIGKILL');
  for (const w of current.workers) if (!w.exited) await h.stopWorker(w);
});

// A fresh case: stops what the previous one left running.
async function begin(base) {
  for (const c of current.children) if (c.exited === null) c.child.kill('SIGKILL');
  for (const w of current.workers) if (!w.exited) await h.stopWorker(w);
  const name = h.uniqueName(base);
  const producer = h.openQueue(name);
  current = { queues: [producer], workers: [], children: [] };
  return { name, producer, key: (suffix) => `bull:${name}:${suffix}` };
}

async function startJqWorker(name, args) {
  const w = await h.startWorker({ queue: name, dbPath: DB, args });
  current.workers.push(w);
  return w;
}

async function killJqWorker(w) {
  w.child.kill('SIGKILL');
  const at = Date.now();
  const st = await h.within(w.exit, 10000, 'the SIGKILLed jq-worker to exit');
  expect.equal(st, { code: null, signal: 'SIGKILL' }, 'jq-worker exit status after SIGKILL');
  return at;
}

const ZERO = { waiting: 0, active: 0, completed: 0, failed: 0, delayed: 0, paused: 0 };

// Bull's getJobCounts() and `jq-inspect counts --json` agree, and equal `expected`.
async function checkCounts(queue, expected, step) {
  const bull = await queue.getJobCounts();
  const jq = await h.inspectCounts(queue.name);
  expect.equal(jq, bull, `${step}: jq-inspect counts --json vs Bull getJobCounts()`);
  expect.equal(bull, { ...ZERO, ...expected }, `${step}: Bull getJobCounts()`);
}

async function submitNoWait(name, extra) {
  const r = await h.submit(['--redis', h.REDIS_URL, '-q', name, '--db', 'app', '--no-wait', ...extra]);
  expect.exitCode(r, 0, 'jq-submit --no-wait exit code');
  const id = r.stdout.trim();
  expect.ok(id.length > 0 && !/\s/.test(id), `jq-submit --no-wait prints one job id: ${h.show(r.stdout)}`);
  return id;
}

// The job is the only one in active and its lock exists; returns the lock value.
async function waitActiveLocked(q, id, what, extra = async () => true) {
  return h.waitFor(async () => {
    const [active, lock] = await Promise.all([q.producer.client.lrange(q.key('active'), 0, -1), q.producer.client.get(q.key(`${id}:lock`))]);
    return active.length === 1 && active[0] === id && lock !== null && (await extra(lock)) ? lock : null;
  }, { timeoutMs: 20000, what });
}

function envelopeOf(result, what) {
  const lines = result.stdout.split('\n').filter((l) => l.trim() !== '');
  expect.equal(lines.length, 1, `${what}: stdout is one JSON line (stdout ${h.show(result.stdout)}, stderr ${h.show(result.stderr)})`);
  return h.parseJson(lines[0], `${what} envelope`);
}

// Settle a promise into {value} or {error} so it can be awaited later without
// an unhandled rejection.
function settle(promise) {
  return promise.then((value) => ({ value }), (error) => ({ error }));
}

// ---------------------------------------------------------------------------
// 1. Order

// Jobs in the order they are added: side (bull|jq), kind, tag. Every lifo job
// comes after every prioritized one: Bull places a prioritized job by
// counting from the tail of wait, so a prioritized job added after a lifo job
// would overtake it (docs/bull-layout.md 3.1) and the rule below would not hold.
const MIX = [
  { side: 'bull', tag: 'B-plain-1' },
  { side: 'jq', tag: 'J-p3', priority: 3 },
  { side: 'jq', tag: 'J-plain-1' },
  { side: 'bull', tag: 'B-p3', priority: 3 },
  { side: 'bull', tag: 'B-p1', priority: 1 },
  { side: 'jq', tag: 'J-p1', priority: 1 },
  { side: 'jq', tag: 'J-p2', priority: 2 },
  { side: 'bull', tag: 'B-plain-2' },
  { side: 'bull', tag: 'B-lifo-1', lifo: true },
  { side: 'jq', tag: 'J-lifo-1', lifo: true },
  { side: 'jq', tag: 'J-plain-2' },
  { side: 'bull', tag: 'B-lifo-2', lifo: true },
];

// Bull's rule: lifo jobs first (the last added first), then prioritized jobs
// by ascending priority, FIFO among equal ones, then plain jobs FIFO.
function bullRule(mix) {
  const lifo = mix.filter((j) => j.lifo).reverse();
  const prio = mix
    .map((j, i) => ({ ...j, i }))
    .filter((j) => j.priority)
    .sort((a, b) => a.priority - b.priority || a.i - b.i);
  const plain = mix.filter((j) => !j.lifo && !j.priority);
  return [...lifo, ...prio, ...plain].map((j) => j.tag);
}

// Adds MIX to `q`; returns {tagById, waitTags}.
async function buildMix(q) {
  const tagById = {};
  for (const j of MIX) {
    let id;
    if (j.side === 'bull') {
      const opts = {};
      if (j.priority) opts.priority = j.priority;
      if (j.lifo) opts.lifo = true;
      id = String((await q.producer.add({ db: 'app', sql: 'select ?', params: [j.tag] }, opts)).id);
    } else {
      const extra = ['--sql', 'select ?', '--param', j.tag];
      if (j.priority) extra.push('--priority', String(j.priority));
      if (j.lifo) extra.push('--lifo');
      id = await submitNoWait(q.name, extra);
    }
    tagById[id] = j.tag;
  }
  const wait = await q.producer.client.lrange(q.key('wait'), 0, -1);
  const waitTags = wait.map((id) => tagById[id] || `?${id}`);
  await checkCounts(q.producer, { waiting: MIX.length }, `${q.name}: after adding the mix`);
  return { tagById, waitTags };
}

h.test('run order of a mixed wait list: Node Bull worker and jq-worker agree, and follow Bull\'s rule', async () => {
  const expected = bullRule(MIX);
  console.log(`# expected run order: ${expected.join(' ')}`);

  // Node Bull worker, concurrency 1.
  const qa = await begin('interop-lifecycle-order-node');
  const a = await buildMix(qa);
  console.log(`# ${qa.name} wait (head..tail): ${a.waitTags.join(' ')}`);
  const nodeOrder = [];
  const nodeWorker = h.openQueue(qa.name);
  current.queues.push(nodeWorker);
  nodeWorker.process(1, async (job) => {
    nodeOrder.push(String(job.id));
    return { tag: job.data.params[0] };
  });
  await h.waitFor(async () => (await qa.producer.getCompletedCount()) === MIX.length, {
    what: `the Node worker to complete ${MIX.length} jobs`,
  });
  await h.closeQueue(nodeWorker);
  const nodeTags = nodeOrder.map((id) => a.tagById[id] || `?${id}`);
  console.log(`# Node Bull worker run order: ${nodeTags.join(' ')}`);
  await checkCounts(qa.producer, { completed: MIX.length }, 'Node worker done');
  expect.equal(nodeTags, expected, 'Node Bull worker run order vs Bull\'s rule');
  expect.equal(a.waitTags, [...expected].reverse(), 'wait list (head..tail) before the Node worker ran');

  // The same mix, run by jq-worker -c 1.
  const qb = await begin('interop-lifecycle-order-jq');
  const b = await buildMix(qb);
  console.log(`# ${qb.name} wait (head..tail): ${b.waitTags.join(' ')}`);
  expect.equal(b.waitTags, a.waitTags, 'wait list of the second queue vs the first (same adds)');
  const worker = await startJqWorker(qb.name, ['-c', '1']);
  await h.waitFor(async () => (await qb.producer.getCompletedCount()) === MIX.length, {
    what: `jq-worker to complete ${MIX.length} jobs`,
  });
  expect.equal(await h.stopWorker(worker), { code: 0, signal: null }, 'jq-worker exit status after SIGTERM');
  const logOrder = [...worker.stderr.matchAll(/job (\S+) completed in/g)].map((m) => m[1]);
  const jqTags = logOrder.map((id) => b.tagById[id] || `?${id}`);
  console.log(`# jq-worker run order (log): ${jqTags.join(' ')}`);
  await checkCounts(qb.producer, { completed: MIX.length }, 'jq-worker done');

  // The log order must agree with processedOn (ms, so equal values are ties).
  const processedOn = [];
  for (const id of logOrder) {
    const job = await qb.producer.getJob(id);
    expect.ok(job, `Bull getJob(${id})`);
    expect.equal(job.returnvalue && job.returnvalue.rows, [[b.tagById[id]]], `returnvalue rows of ${b.tagById[id]}`);
    processedOn.push(Number(job.processedOn));
  }
  for (let i = 1; i < processedOn.length; i += 1) {
    expect.ok(processedOn[i] >= processedOn[i - 1],
      `processedOn follows the log order: ${h.show(jqTags)} has processedOn ${h.show(processedOn)}`);
  }
  expect.equal(jqTags, nodeTags, 'jq-worker run order vs Node Bull worker run order');
});

// ---------------------------------------------------------------------------
// 2. Stalled recovery, jq-worker killed -> Node Bull worker

h.test('jq-worker SIGKILLed mid-job: a Node Bull worker\'s stalled check recovers the job', async () => {
  const q = await begin('interop-lifecycle-jq-to-bull');
  const id = `jq-to-bull-${process.pid}`;
  const worker = await startJqWorker(q.name, STALL_ARGS);
  // The waiting jq-submit adds the job and stays waiting across the kill.
  const waiting = h.submit(['--redis', h.REDIS_URL, '-q', q.name, '--db', 'app', '--sql', SLOW_SQL,
    '--job-id', id, '--timeout', '60s', '--format', 'json'], { timeoutMs: 70000 });
  let submitEnded = null;
  waiting.then((res) => (submitEnded = res));
  await waitActiveLocked(q, id, 'jq-worker to hold the slow job (active + lock)', async () => {
    if (submitEnded) expect.exitCode(submitEnded, 'still waiting', 'the waiting jq-submit ended early');
    return true;
  });
  const job = await q.producer.getJob(id);
  expect.ok(job, `Bull getJob(${id})`);
  const finished = settle(job.finished());
  await checkCounts(q.producer, { active: 1 }, 'jq-worker running the slow job');

  const killedAt = await killJqWorker(worker);
  expect.ok(!/completed|failed in/.test(worker.stderr),
    `the slow job must still be running when jq-worker is killed; its stderr: ${h.show(worker.stderr)}`);
  expect.equal(await q.producer.client.lrange(q.key('active'), 0, -1), [id], 'active right after the kill');

  const nodeWorker = h.openQueue(q.name, BULL_STALL_SETTINGS);
  current.queues.push(nodeWorker);
  const seen = [];
  nodeWorker.process(async (j) => {
    seen.push(String(j.id));
    return { recovered: true };
  });
  const fin = await h.within(finished, 30000, 'Bull job.finished() after the kill');
  expect.equal(fin, { value: { recovered: true } }, 'Bull job.finished() outcome');
  const r = await h.within(waiting, 30000, 'the waiting jq-submit to end');
  expect.exitCode(r, 0, 'waiting jq-submit exit code');
  const env = envelopeOf(r, 'waiting jq-submit');
  expect.equal([env.id, env.status, env.result, env.error], [id, 'completed', { recovered: true }, null],
    'jq-submit envelope [id, status, result, error]');

  const hash = await q.producer.client.hgetall(q.key(id));
  recovery.jqToBull = Number(hash.finishedOn) - killedAt;
  console.log(`# recovery jq-worker killed -> completed by Node Bull worker: ${recovery.jqToBull} ms`);
  expect.equal(seen, [id], 'jobs the Node Bull worker ran');
  expect.equal(hash.returnvalue, '{"recovered":true}', 'hash returnvalue');
  expect.equal(hash.stalledCounter, '1', 'hash stalledCounter');
  expect.equal(await (await q.producer.getJob(id)).getState(), 'completed', 'Bull getState()');
  await checkCounts(q.producer, { completed: 1 }, 'after recovery');
  await h.closeQueue(nodeWorker);
});

// ---------------------------------------------------------------------------
// 3. Stalled recovery, Node Bull worker killed -> jq-worker

// A Node Bull worker in its own process that never finishes a job; prints
// "active <id>" when it starts one.
const CHILD_SCRIPT = `
const Queue = require('bull');
const q = new Queue(process.env.LC_QUEUE, process.env.REDIS_URL,
  { settings: { lockDuration: 2000, stalledInterval: 1000 } });
q.on('error', (e) => process.stderr.write('queue error: ' + e.message + '\\n'));
q.process(async (job) => {
  process.stdout.write('active ' + job.id + '\\n');
  await new Promise(() => {});
});
process.stdout.write('started\\n');
`;

function spawnNodeWorker(name) {
  const child = spawn(process.execPath, ['-e', CHILD_SCRIPT], {
    cwd: __dirname,
    env: { ...process.env, LC_QUEUE: name },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const c = { child, stdout: '', stderr: '', exited: null };
  child.stdout.setEncoding('utf8').on('data', (d) => (c.stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (c.stderr += d));
  c.exit = new Promise((resolve) => {
    child.on('close', (code, signal) => {
      c.exited = { code, signal };
      resolve(c.exited);
    });
  });
  current.children.push(c);
  return c;
}

h.test('Node Bull worker SIGKILLed mid-job: jq-worker\'s stalled check recovers the job', async () => {
  const q = await begin('interop-lifecycle-bull-to-jq');
  const tag = 'bull-to-jq';
  const job = await q.producer.add({ db: 'app', sql: 'select ?', params: [tag] });
  const id = String(job.id);
  const finished = settle(job.finished());
  // jq-submit attaches to the existing job and waits for it.
  const waiting = h.submit(['--redis', h.REDIS_URL, '-q', q.name, '--db', 'app', '--sql', 'select ?',
    '--param', tag, '--job-id', id, '--timeout', '60s', '--format', 'json'], { timeoutMs: 70000 });

  const child = spawnNodeWorker(q.name);
  await h.waitFor(() => child.stdout.includes(`active ${id}\n`) || child.exited, {
    timeoutMs: 20000, what: 'the child Node worker to start the job',
  });
  expect.equal(child.exited, null, 'child Node worker still running');
  await waitActiveLocked(q, id, 'the child Node worker to hold the job (active + lock)');
  await checkCounts(q.producer, { active: 1 }, 'child Node worker holding the job');

  child.child.kill('SIGKILL');
  const killedAt = Date.now();
  expect.equal((await h.within(child.exit, 10000, 'the child to exit')).signal, 'SIGKILL', 'child exit signal');
  expect.equal(await q.producer.client.lrange(q.key('active'), 0, -1), [id], 'active right after the kill');
  await checkCounts(q.producer, { active: 1 }, 'right after the kill');

  const worker = await startJqWorker(q.name, STALL_ARGS);
  const reply = { columns: ['?'], rows: [[tag]], changes: 0, last_insert_rowid: 0 };
  const fin = await h.within(finished, 30000, 'Bull job.finished() after the kill');
  expect.equal(fin, { value: reply }, 'Bull job.finished() outcome');
  const r = await h.within(waiting, 30000, 'the waiting jq-submit to end');
  expect.exitCode(r, 0, 'waiting jq-submit exit code');
  const env = envelopeOf(r, 'waiting jq-submit');
  expect.equal([env.id, env.status, env.result, env.error], [id, 'completed', reply, null],
    'jq-submit envelope [id, status, result, error]');

  const hash = await q.producer.client.hgetall(q.key(id));
  recovery.bullToJq = Number(hash.finishedOn) - killedAt;
  console.log(`# recovery Node Bull worker killed -> completed by jq-worker: ${recovery.bullToJq} ms`);
  expect.equal(JSON.parse(hash.returnvalue), reply, 'hash returnvalue');
  expect.equal(hash.stalledCounter, '1', 'hash stalledCounter');
  expect.match(worker.stderr, new RegExp(`job ${id} completed in`), 'jq-worker log line for the job');
  expect.equal(await (await q.producer.getJob(id)).getState(), 'completed', 'Bull getState()');
  await checkCounts(q.producer, { completed: 1 }, 'after recovery');
  expect.equal(await h.stopWorker(worker), { code: 0, signal: null }, 'jq-worker exit status after SIGTERM');
});

// ---------------------------------------------------------------------------
// 4. maxStalled

h.test('a job that stalls twice under jq-worker --max-stalled 1 fails with Bull\'s reason', async () => {
  const q = await begin('interop-lifecycle-max-stalled');
  const args = [...STALL_ARGS, '--max-stalled', '1'];
  const id = await submitNoWait(q.name, ['--sql', SLOW_SQL]);
  const finished = settle((await q.producer.getJob(id)).finished());

  // First stall.
  const w1 = await startJqWorker(q.name, args);
  const lock1 = await waitActiveLocked(q, id, 'jq-worker 1 to hold the job');
  await checkCounts(q.producer, { active: 1 }, 'jq-worker 1 running the job');
  await killJqWorker(w1);
  expect.ok(!/completed|failed in/.test(w1.stderr), `jq-worker 1 must not have finished the job: ${h.show(w1.stderr)}`);

  // jq-worker 2 requeues it (stalledCounter 1) and runs it; second stall.
  const w2 = await startJqWorker(q.name, args);
  await waitActiveLocked(q, id, 'jq-worker 2 to recover and hold the job', async (lock) =>
    lock !== lock1 && (await q.producer.client.hget(q.key(id), 'stalledCounter')) === '1');
  await checkCounts(q.producer, { active: 1 }, 'jq-worker 2 running the job');
  const killedAt = await killJqWorker(w2);
  expect.ok(!/completed|failed in/.test(w2.stderr), `jq-worker 2 must not have finished the job: ${h.show(w2.stderr)}`);

  // jq-worker 3's stalled check fails it.
  const w3 = await startJqWorker(q.name, args);
  await h.waitFor(async () => (await q.producer.client.zscore(q.key('failed'), id)) !== null, {
    timeoutMs: 20000, what: 'the job to be failed by jq-worker 3',
  });
  const hash = await q.producer.client.hgetall(q.key(id));
  recovery.maxStalled = Number(hash.finishedOn) - killedAt;
  console.log(`# second kill -> failed by jq-worker 3: ${recovery.maxStalled} ms`);
  expect.equal(hash.failedReason, STALLED_REASON, 'hash failedReason');
  expect.equal(hash.stalledCounter, '2', 'hash stalledCounter');
  expect.equal(hash.attemptsMade, undefined, 'hash attemptsMade (a stall is not an attempt)');
  expect.equal(hash.finishedOn, await q.producer.client.zscore(q.key('failed'), id), 'finishedOn vs failed zset score');
  expect.equal(await (await q.producer.getJob(id)).getState(), 'failed', 'Bull getState()');
  const fin = await h.within(finished, 15000, 'Bull job.finished() to settle');
  expect.ok(fin.error instanceof Error && [STALLED_EVENT, STALLED_REASON].includes(fin.error.message),
    `Bull job.finished() rejects with a stalled reason; got ${h.show(fin.error ? fin.error.message : fin)}`);
  await checkCounts(q.producer, { failed: 1 }, 'after the second stall');
  expect.equal(await h.stopWorker(w3), { code: 0, signal: null }, 'jq-worker 3 exit status after SIGTERM');
});

h.onCleanup(() => console.log(`# measured times (ms): ${h.show(recovery)}`));

h.main();
