'use strict';
// jq-inspect agrees with Bull: on one queue with jobs in every state, made by
// both jq-submit and a Node Bull producer (run by jq-worker and held active by
// a Node Bull worker), `jq-inspect counts --json` equals Bull's
// getJobCounts() and `jq-inspect show ID --json` gives Bull's job.getState()
// for every job. That stays true after each action done by jq-inspect (pause,
// resume, retry, remove, promote, clean), and Bull sees each action's
// effects (isPaused(), global events, getState(), getJob()).

const crypto = require('node:crypto');
const h = require('./helpers');

const { expect } = h;
const QUEUE = h.uniqueName('interop-inspect');
const DB = h.tmpPath(`inspect-${process.pid}.sqlite`);

const queue = h.openQueue(QUEUE); // producer side and Bull's view
const events = []; // Bull global events seen by `queue`
let jqWorker = null;
let nodeWorker = null; // {q, release, running}
const ids = {}; // job ids by role

h.onFailure(async () => {
  console.log(`# job ids: ${h.show(ids)}`);
  console.log(`# Bull global events: ${h.show(events)}`);
  if (jqWorker) console.log(`# jq-worker stderr:\n${jqWorker.stderr.replace(/^/gm, '#   ')}`);
  await h.dumpQueue(queue, console.log);
});
h.onCleanup(async () => {
  if (nodeWorker) {
    nodeWorker.release();
    await h.closeQueue(nodeWorker.q);
  }
  await h.stopWorker(jqWorker);
});

function jqInspect(args, opts) {
  return h.inspect(['--redis', h.REDIS_URL, '-q', QUEUE, ...args], opts);
}

// Run jq-inspect ARGS --json, expect exit `code`, return the JSON lines.
async function inspectJson(args, code = 0) {
  const r = await jqInspect([...args, '--json']);
  expect.exitCode(r, code, `jq-inspect ${args.join(' ')}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => h.parseJson(l, `jq-inspect ${args.join(' ')} stdout`));
}

async function submitNoWait(extra) {
  const r = await h.submit(['--redis', h.REDIS_URL, '-q', QUEUE, '--db', 'app', '--no-wait', ...extra]);
  expect.exitCode(r, 0, 'jq-submit --no-wait exit code');
  return r.stdout.trim();
}

async function bullState(id) {
  const job = await queue.getJob(id);
  return job ? job.getState() : null;
}

// Both sides agree on the counts and on every known job's state; returns
// Bull's counts.
async function checkAgreement(step) {
  const bull = await queue.getJobCounts();
  const [jq] = await inspectJson(['counts']);
  expect.equal(jq, bull, `${step}: jq-inspect counts --json vs Bull getJobCounts()`);
  for (const [role, id] of Object.entries(ids)) {
    const want = await bullState(id);
    const r = await jqInspect(['show', id, '--json']);
    if (want === null) {
      // Bull's getJob() is null: no hash. jq-inspect says "no such job"
      // (3) unless the id is still listed somewhere.
      expect.exitCode(r, 3, `${step}: jq-inspect show ${role} (${id}) of a job Bull does not have`);
      continue;
    }
    expect.exitCode(r, 0, `${step}: jq-inspect show ${role} (${id})`);
    const shown = h.parseJson(r.stdout.trim(), 'show --json');
    expect.equal(shown.state, want, `${step}: state of ${role} (${id}), jq-inspect vs Bull getState()`);
  }
  return bull;
}

h.test('jobs in every state, from jq-submit and a Bull producer', async () => {
  queue.on('global:paused', () => events.push('paused'));
  queue.on('global:resumed', () => events.push('resumed'));
  queue.on('global:waiting', (id) => events.push(`waiting:${id}`));
  await queue.isReady();

  // Finished by jq-worker: completed and failed, both sides.
  jqWorker = await h.startWorker({ queue: QUEUE, dbPath: DB });
  ids.bullDone = String((await queue.add({ db: 'app', sql: 'select 1' })).id);
  ids.bullFailed = String((await queue.add({ db: 'app', sql: 'select * from nope' })).id);
  ids.jqDone = await submitNoWait(['--sql', 'select 2']);
  ids.jqFailed = await submitNoWait(['--sql', 'select * from nope']);
  await h.waitFor(async () => {
    const c = await queue.getJobCounts();
    return c.completed === 2 && c.failed === 2;
  }, { what: 'jq-worker to finish 4 jobs' });
  await h.stopWorker(jqWorker);
  jqWorker = null;

  // Delayed, both sides.
  ids.bullDelayed = String((await queue.add({ db: 'app', sql: 'select 3' }, { delay: 600000 })).id);
  ids.jqDelayed = await submitNoWait(['--sql', 'select 4', '--delay', '10m']);

  // Active: held by a Node Bull worker (concurrency 2), both sides.
  let release;
  const released = new Promise((resolve) => (release = resolve));
  const running = new Set();
  const q = h.openQueue(QUEUE);
  q.process(2, async (job) => {
    running.add(String(job.id));
    if (/-- hold$/.test(job.data.sql)) await released;
    return { ranBy: 'node' };
  });
  nodeWorker = { q, release, running };
  ids.bullActive = String((await queue.add({ db: 'app', sql: 'select 5 -- hold' })).id);
  ids.jqActive = await submitNoWait(['--sql', 'select 6 -- hold']);
  await h.waitFor(() => running.has(String(ids.bullActive)), { what: 'the Node worker to take the Bull job' });
  await h.waitFor(() => running.size >= 2, { what: 'the Node worker to take two jobs' });

  // Waiting, both sides; a bare hash is 'stuck'.
  ids.bullWaiting = String((await queue.add({ db: 'app', sql: 'select 7' })).id);
  ids.jqWaiting = await submitNoWait(['--sql', 'select 8']);
  ids.stuck = `stuck-${crypto.randomBytes(3).toString('hex')}`;
  await queue.client.hset(`bull:${QUEUE}:${ids.stuck}`, 'name', '__default__', 'data', '{}', 'opts', '{}',
    'timestamp', String(Date.now()), 'delay', '0', 'priority', '0');

  const counts = await checkAgreement('every state');
  expect.equal(counts, { waiting: 2, active: 2, completed: 2, failed: 2, delayed: 2, paused: 0 },
    'Bull getJobCounts() with every state');
  expect.equal(await bullState(ids.stuck), 'stuck', 'Bull getState() of a bare hash');
}, { timeoutMs: 90000 });

h.test('list --json pages as Bull getJobs() does', async () => {
  for (const [state, getter] of [['waiting', 'getWaiting'], ['active', 'getActive'], ['delayed', 'getDelayed'],
    ['completed', 'getCompleted'], ['failed', 'getFailed']]) {
    const bull = (await queue[getter](0, 9)).map((j) => String(j.id));
    const jq = (await inspectJson(['list', '--state', state, '--limit', '10'])).map((r) => r.id);
    expect.equal(jq, bull, `jq-inspect list --state ${state} vs Bull ${getter}()`);
  }
});

h.test('jq-inspect pause: Bull sees the queue paused', async () => {
  const [r] = await inspectJson(['pause']);
  expect.equal([r.result, r.jobsMoved], ['paused', 2], 'jq-inspect pause result');
  expect.equal(await queue.isPaused(), true, 'Bull queue.isPaused() after jq-inspect pause');
  await h.waitFor(() => events.includes('paused'), { what: 'Bull global:paused event' });
  // A Bull producer now adds to paused, as Bull does for its own pause.
  ids.bullWhilePaused = String((await queue.add({ db: 'app', sql: 'select 9' })).id);
  const counts = await checkAgreement('after jq-inspect pause');
  expect.equal([counts.waiting, counts.paused], [0, 3], 'waiting and paused after pause');
  expect.equal(await bullState(ids.jqWaiting), 'paused', 'Bull getState() of a waiting jq job after pause');
});

h.test('jq-inspect resume: Bull sees the queue running', async () => {
  const [r] = await inspectJson(['resume']);
  expect.equal([r.result, r.jobsMoved], ['resumed', 3], 'jq-inspect resume result');
  expect.equal(await queue.isPaused(), false, 'Bull queue.isPaused() after jq-inspect resume');
  await h.waitFor(() => events.includes('resumed'), { what: 'Bull global:resumed event' });
  const counts = await checkAgreement('after jq-inspect resume');
  expect.equal([counts.waiting, counts.paused], [3, 0], 'waiting and paused after resume');
});

h.test('Bull pause, jq-inspect resume (and the reverse) agree too', async () => {
  await queue.pause();
  const [q] = await inspectJson(['queues']).then((rows) => rows.filter((row) => row.queue === QUEUE));
  expect.equal(q.isPaused, true, 'jq-inspect queues isPaused after Bull pause()');
  await checkAgreement('after Bull pause()');
  const [r] = await inspectJson(['resume']);
  expect.equal(r.result, 'resumed', 'jq-inspect resume after Bull pause()');
  expect.equal(await queue.isPaused(), false, 'Bull isPaused() after Bull pause + jq-inspect resume');
  await checkAgreement('after jq-inspect resume of a Bull pause');

  const [p] = await inspectJson(['pause']);
  expect.equal(p.result, 'paused', 'jq-inspect pause');
  await queue.resume();
  expect.equal(await queue.isPaused(), false, 'Bull isPaused() after jq-inspect pause + Bull resume()');
  const [after] = await inspectJson(['queues']).then((rows) => rows.filter((row) => row.queue === QUEUE));
  expect.equal([after.isPaused, after.waiting, after.paused], [false, 3, 0],
    'jq-inspect queues after jq-inspect pause + Bull resume()');
  await checkAgreement('after Bull resume() of a jq-inspect pause');
});

h.test('jq-inspect retry: Bull getState() is waiting', async () => {
  const dry = await inspectJson(['retry', ids.jqFailed, ids.bullFailed, '--dry-run']);
  expect.equal(dry.map((r) => r.result), ['would_retry', 'would_retry'], 'retry --dry-run');
  expect.equal(await bullState(ids.jqFailed), 'failed', 'Bull getState() after retry --dry-run');
  const rows = await inspectJson(['retry', ids.jqFailed, ids.bullFailed]);
  expect.equal(rows.map((r) => r.result), ['retried', 'retried'], 'retry results');
  for (const id of [ids.jqFailed, ids.bullFailed]) {
    expect.equal(await bullState(id), 'waiting', `Bull getState() of ${id} after jq-inspect retry`);
    const job = await queue.getJob(id);
    expect.ok(!job.failedReason && !job.finishedOn && !job.processedOn && job.retriedOn > 0,
      `Bull job ${id} after retry: no failedReason, finishedOn, processedOn; retriedOn set: ` +
        h.show([job.failedReason, job.finishedOn, job.processedOn, job.retriedOn]));
    expect.equal(job.attemptsMade, 1, `Bull job ${id}: attemptsMade kept`);
    await h.waitFor(() => events.includes(`waiting:${id}`), { what: `Bull global:waiting for ${id}` });
  }
  const counts = await checkAgreement('after jq-inspect retry');
  expect.equal([counts.waiting, counts.failed], [5, 0], 'waiting and failed after retry');
  // Not failed any more: refused, exit 1, as Bull's job.retry() refuses.
  const again = await inspectJson(['retry', ids.jqFailed], 1);
  expect.equal(again[0].result, 'not_failed', 'second retry');
});

h.test('jq-inspect remove: refused for a locked active job, Bull loses the others', async () => {
  const locked = await inspectJson(['remove', ids.bullActive], 1);
  expect.equal(locked[0].result, 'locked', 'remove of a job a Node worker holds');
  expect.equal(await bullState(ids.bullActive), 'active', 'Bull getState() of the held job after remove');
  const rows = await inspectJson(['remove', ids.bullWaiting, ids.jqDone]);
  expect.equal(rows.map((r) => r.result), ['removed', 'removed'], 'remove results');
  expect.equal(await queue.getJob(ids.bullWaiting), null, 'Bull getJob() of a removed waiting job');
  expect.equal(await queue.getJob(ids.jqDone), null, 'Bull getJob() of a removed completed job');
  const counts = await checkAgreement('after jq-inspect remove');
  expect.equal([counts.waiting, counts.completed], [4, 1], 'waiting and completed after remove');
});

h.test('jq-inspect promote: Bull getState() is waiting; -1 when not delayed', async () => {
  const refused = await inspectJson(['promote', ids.jqWaiting], 1);
  expect.equal(refused[0].result, 'not_delayed', 'promote of a waiting job');
  const rows = await inspectJson(['promote', ids.bullDelayed, ids.jqDelayed]);
  expect.equal(rows.map((r) => r.result), ['promoted', 'promoted'], 'promote results');
  for (const id of [ids.bullDelayed, ids.jqDelayed]) {
    expect.equal(await bullState(id), 'waiting', `Bull getState() of ${id} after jq-inspect promote`);
    expect.equal((await queue.getJob(id)).delay, 0, `Bull job ${id}.delay after promote`);
  }
  const counts = await checkAgreement('after jq-inspect promote');
  expect.equal([counts.waiting, counts.delayed], [6, 0], 'waiting and delayed after promote');
});

h.test('jq-inspect clean: Bull sees the old completed jobs gone', async () => {
  const dry = await inspectJson(['clean', '--state', 'completed', '--grace', '0', '--dry-run']);
  expect.equal(dry.map((r) => r.id), [String(ids.bullDone)], 'clean --dry-run');
  expect.equal(await queue.getCompletedCount(), 1, 'Bull completed count after clean --dry-run');
  const rows = await inspectJson(['clean', '--state', 'completed', '--grace', '0']);
  expect.equal(rows.map((r) => [r.id, r.result]), [[String(ids.bullDone), 'removed']], 'clean results');
  expect.equal(await queue.getJob(ids.bullDone), null, 'Bull getJob() of a cleaned job');
  const counts = await checkAgreement('after jq-inspect clean');
  expect.equal(counts.completed, 0, 'completed after clean');
});

h.test('the Node worker finishes everything left; both sides agree at the end', async () => {
  nodeWorker.release();
  await h.waitFor(async () => {
    const c = await queue.getJobCounts();
    return c.waiting === 0 && c.active === 0;
  }, { what: 'the Node worker to run the rest', timeoutMs: 30000 });
  const counts = await checkAgreement('at the end');
  expect.equal(counts, { waiting: 0, active: 0, completed: 8, failed: 0, delayed: 0, paused: 0 },
    'Bull getJobCounts() at the end');
  expect.equal(await bullState(ids.jqFailed), 'completed', 'the retried jq job, run by the Node worker');
}, { timeoutMs: 60000 });

h.main();
