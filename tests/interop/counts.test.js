'use strict';
// One queue with jobs in every state, made by both sides (Bull producer and
// worker, jq-submit and jq-worker): at each step `jq-inspect counts --json`
// equals Bull's getJobCounts(), and both equal what the step expects.

const crypto = require('node:crypto');
const h = require('./helpers');

const { expect } = h;
const QUEUE = h.uniqueName('interop-counts');
const DB = h.tmpPath(`counts-${process.pid}.sqlite`);

const queue = h.openQueue(QUEUE); // producer side
let worker = null; // jq-worker
const ids = {}; // job ids by role, for diagnosis and state checks

h.onFailure(async () => {
  console.log(`# job ids: ${h.show(ids)}`);
  if (worker) console.log(`# jq-worker stderr:\n${worker.stderr.replace(/^/gm, '#   ')}`);
  await h.dumpQueue(queue, console.log);
});
h.onCleanup(() => h.stopWorker(worker));

const ZERO = { waiting: 0, active: 0, completed: 0, failed: 0, delayed: 0, paused: 0 };

// Both views must agree, and match `expected` (fields not given are 0).
async function checkCounts(expected, step) {
  const bull = await queue.getJobCounts();
  const jq = await h.inspectCounts(QUEUE);
  expect.equal(jq, bull, `${step}: jq-inspect counts --json vs Bull getJobCounts()`);
  expect.equal(bull, { ...ZERO, ...expected }, `${step}: Bull getJobCounts()`);
}

async function submitNoWait(extra) {
  const r = await h.submit(['--redis', h.REDIS_URL, '-q', QUEUE, '--db', 'app', '--no-wait', ...extra]);
  expect.exitCode(r, 0, 'jq-submit --no-wait exit code');
  const id = r.stdout.trim();
  expect.ok(id.length > 0 && !/\s/.test(id), `jq-submit --no-wait prints one job id: ${h.show(r.stdout)}`);
  return id;
}

async function stateOf(id) {
  const job = await queue.getJob(id);
  return job ? job.getState() : null;
}

h.test('empty queue', async () => {
  await checkCounts({}, 'empty queue');
});

h.test('a Node Bull worker holds a job active, then completes it', async () => {
  const job = await queue.add({ db: 'app', sql: 'select 1' });
  ids.held = job.id;
  await checkCounts({ waiting: 1 }, 'one Bull job waiting');

  let release;
  const released = new Promise((resolve) => (release = resolve));
  const nodeWorker = h.openQueue(QUEUE);
  let running = false;
  nodeWorker.process(async () => {
    running = true;
    await released;
    return { held: true };
  });
  try {
    await h.waitFor(() => running, { what: 'the Node worker to start the job' });
    await checkCounts({ active: 1 }, 'Node worker processing');
    release();
    await h.waitFor(async () => (await queue.getCompletedCount()) === 1, { what: 'the held job to complete' });
    await checkCounts({ completed: 1 }, 'held job completed');
  } finally {
    release();
    await h.closeQueue(nodeWorker);
  }
});

h.test('waiting jobs from a Bull producer (jq and seed payloads)', async () => {
  ids.bullOk1 = (await queue.add({ db: 'app', sql: 'select 1' })).id;
  const uuid = crypto.randomUUID();
  ids.bullOk2 = (await queue.add({ id: uuid, dbname: 'app', sql: 'select ?', value: [2] }, { jobId: uuid })).id;
  await checkCounts({ waiting: 2, completed: 1 }, 'after 2 Bull adds');
});

h.test('waiting jobs from jq-submit --no-wait', async () => {
  ids.jqOk1 = await submitNoWait(['--sql', 'select 1']);
  ids.jqOk2 = await submitNoWait(['--sql', 'select ?', '--param', '2']);
  expect.equal(await stateOf(ids.jqOk1), 'waiting', 'Bull getState() of a jq-submit job');
  await checkCounts({ waiting: 4, completed: 1 }, 'after 2 jq-submit --no-wait');
});

h.test('jobs that will fail, from both sides', async () => {
  ids.bullFail = (await queue.add({ db: 'app', sql: 'select * from nope' })).id;
  ids.jqFail = await submitNoWait(['--sql', 'select * from nope']);
  await checkCounts({ waiting: 6, completed: 1 }, 'after 2 failing jobs');
});

h.test('delayed jobs from both sides', async () => {
  const before = Date.now();
  ids.bullDelayed = (await queue.add({ db: 'app', sql: 'select 1' }, { delay: 60000 })).id;
  ids.jqDelayed = await submitNoWait(['--sql', 'select 1', '--delay', '60s']);
  const after = Date.now();
  expect.equal(await stateOf(ids.jqDelayed), 'delayed', 'Bull getState() of a jq-submit --delay job');
  const score = Number(await queue.client.zscore(`bull:${QUEUE}:delayed`, ids.jqDelayed));
  const due = Math.floor(score / 4096);
  expect.ok(due >= before + 60000 - 1000 && due <= after + 60000 + 1000,
    `jq-submit --delay 60s: delayed score ${score} decodes to due ${due}, expected about ${before + 60000}`);
  await checkCounts({ waiting: 6, completed: 1, delayed: 2 }, 'after 2 delayed jobs');
});

h.test('queue.pause() moves waiting jobs to paused', async () => {
  await queue.pause();
  await checkCounts({ paused: 6, completed: 1, delayed: 2 }, 'paused');
});

h.test('jobs added while paused go to paused, from both sides', async () => {
  ids.jqWhilePaused = await submitNoWait(['--sql', 'select 1']);
  ids.bullWhilePaused = (await queue.add({ db: 'app', sql: 'select 1' })).id;
  expect.equal(await stateOf(ids.jqWhilePaused), 'paused', 'Bull getState() of a jq-submit job added while paused');
  expect.equal(await queue.client.exists(`bull:${QUEUE}:wait`), 0, 'wait list must not exist while paused');
  await checkCounts({ paused: 8, completed: 1, delayed: 2 }, 'added while paused');
});

h.test('queue.resume() moves them back to waiting', async () => {
  await queue.resume();
  await checkCounts({ waiting: 8, completed: 1, delayed: 2 }, 'resumed');
});

h.test('jq-worker runs the waiting jobs: some complete, some fail', async () => {
  worker = await h.startWorker({ queue: QUEUE, dbPath: DB });
  await h.waitFor(async () => {
    const c = await queue.getJobCounts();
    return c.waiting === 0 && c.active === 0 && c.completed + c.failed === 9;
  }, { what: 'jq-worker to finish 8 jobs' });
  await checkCounts({ completed: 7, failed: 2, delayed: 2 }, 'after jq-worker ran');
  expect.equal(await stateOf(ids.jqFail), 'failed', 'state of the failing jq-submit job');
  expect.equal(await stateOf(ids.bullFail), 'failed', 'state of the failing Bull job');
  expect.equal(await stateOf(ids.bullOk2), 'completed', 'state of the seed-shaped Bull job');
  expect.equal(await stateOf(ids.bullDelayed), 'delayed', 'state of the delayed Bull job');
});

h.test('a paused queue is not served by a running jq-worker', async () => {
  await queue.pause();
  ids.jqPausedWithWorker = await submitNoWait(['--sql', 'select 1']);
  await h.sleep(1500);
  expect.equal(await stateOf(ids.jqPausedWithWorker), 'paused', 'state of a job submitted while paused');
  await checkCounts({ paused: 1, completed: 7, failed: 2, delayed: 2 }, 'paused with a running jq-worker');
  await queue.resume();
  await h.waitFor(async () => (await queue.getCompletedCount()) === 8, { what: 'the job to complete after resume' });
  await checkCounts({ completed: 8, failed: 2, delayed: 2 }, 'resumed with a running jq-worker');
});

h.test('jq-worker stops on SIGTERM; counts unchanged', async () => {
  const st = await h.stopWorker(worker);
  expect.equal(st, { code: 0, signal: null }, 'jq-worker exit status after SIGTERM');
  await checkCounts({ completed: 8, failed: 2, delayed: 2 }, 'after jq-worker stopped');
});

h.main();
