'use strict';
// Jobs from the real jq-submit are processed by Node Bull workers, and
// jq-submit prints what the Node worker returned (or threw).

const h = require('./helpers');

const { expect } = h;
const QUEUE = h.uniqueName('interop-node-worker');
const SUBMIT_TIMEOUT = '20s';

const queue = h.openQueue(QUEUE); // producer side: counts and job look-ups
let nodeWorker = null;

h.onFailure(() => h.dumpQueue(queue, console.log));

function submit(extra) {
  return h.submit(['--redis', h.REDIS_URL, '-q', QUEUE, '--db', 'app', '--format', 'json',
    '--timeout', SUBMIT_TIMEOUT, ...extra], { timeoutMs: 40000 });
}

function envelopeOf(result, what) {
  const lines = result.stdout.split('\n').filter((l) => l.trim() !== '');
  expect.equal(lines.length, 1, `${what}: stdout is one JSON line (stdout ${h.show(result.stdout)})`);
  return h.parseJson(lines[0], `${what} envelope`);
}

// Start a Node Bull worker on QUEUE; `seen` collects the jobs it was given.
async function startNodeWorker(handler) {
  await stopNodeWorker();
  const q = h.openQueue(QUEUE);
  const seen = [];
  q.process(async (job) => {
    seen.push({ id: job.id, name: job.name, data: job.data, opts: job.opts, attemptsMade: job.attemptsMade });
    return handler(job);
  });
  return { q, seen };
}

async function stopNodeWorker() {
  if (nodeWorker) {
    await h.closeQueue(nodeWorker.q);
    nodeWorker = null;
  }
}

h.test('jq-submit job is run by a Node Bull worker; jq-submit prints its return value', async () => {
  nodeWorker = await startNodeWorker(async (job) => ({ echo: job.data.sql, n: 42 }));
  const r = await submit(['--sql', 'select 1']);
  expect.exitCode(r, 0, 'jq-submit exit code');
  const env = envelopeOf(r, 'jq-submit');
  expect.equal(env.status, 'completed', 'envelope status');
  expect.equal(env.result, { echo: 'select 1', n: 42 }, 'envelope result');
  expect.equal(env.error, null, 'envelope error');
  expect.ok(typeof env.id === 'string' && env.id.length > 0, `envelope id is a string: ${h.show(env.id)}`);

  const seen = nodeWorker.seen;
  expect.equal(seen.length, 1, 'jobs the Node worker ran');
  expect.equal(seen[0].id, env.id, 'Node worker job.id vs envelope id');
  expect.equal(seen[0].name, '__default__', 'Node worker job.name');
  expect.equal(seen[0].data.db, 'app', 'job.data.db');
  expect.equal(seen[0].data.sql, 'select 1', 'job.data.sql');
  expect.ok(Number.isInteger(seen[0].opts.attempts) && seen[0].opts.attempts >= 1,
    `job.opts.attempts is a positive integer: ${h.show(seen[0].opts)}`);
  expect.ok(Number.isInteger(seen[0].opts.timestamp), `job.opts.timestamp is an integer: ${h.show(seen[0].opts)}`);

  const job = await queue.getJob(env.id);
  expect.ok(job, `Bull getJob(${env.id})`);
  expect.equal(await job.getState(), 'completed', 'Bull job state');
  expect.equal(job.returnvalue, { echo: 'select 1', n: 42 }, 'Bull job.returnvalue');
});

h.test('jq-submit parameters and UTF-8 text reach the Node worker intact', async () => {
  const sql = "select 'héllo ✓ \"quoted\"' where ? = ?";
  const r = await submit(['--sql', sql, '--param', '7', '--param', 'abc', '--param', 'null', '--param', '1.5']);
  expect.exitCode(r, 0, 'jq-submit exit code');
  const env = envelopeOf(r, 'jq-submit');
  expect.equal(env.result, { echo: sql, n: 42 }, 'envelope result');
  const last = nodeWorker.seen[nodeWorker.seen.length - 1];
  expect.equal(last.id, env.id, 'Node worker job.id vs envelope id');
  expect.equal(last.data.params, [7, 'abc', null, 1.5], 'job.data.params as the Node worker sees them');
  await stopNodeWorker();
});

h.test('Node worker throws Error("boom"): jq-submit exits 1 with status failed', async () => {
  nodeWorker = await startNodeWorker(async () => {
    throw new Error('boom');
  });
  const r = await submit(['--sql', 'select 2']);
  expect.exitCode(r, 1, 'jq-submit exit code');
  const env = envelopeOf(r, 'jq-submit');
  expect.equal(env.status, 'failed', 'envelope status');
  expect.equal(env.result, null, 'envelope result');
  expect.ok(env.error && typeof env.error === 'object', `envelope error is an object: ${h.show(env.error)}`);
  expect.equal(env.error.message, 'boom', 'envelope error.message');
  expect.equal(env.attempts, 1, 'envelope attempts');
  expect.includes(r.stderr, `jq-submit: error: job ${env.id} failed: boom`, 'jq-submit stderr');

  const job = await queue.getJob(env.id);
  expect.ok(job, `Bull getJob(${env.id})`);
  expect.equal(await job.getState(), 'failed', 'Bull job state');
  expect.equal(job.failedReason, 'boom', 'Bull job.failedReason');
});

h.test('jq-submit --attempts 2: Bull retries, jq-submit waits for the final failure', async () => {
  const r = await submit(['--sql', 'select 3', '--attempts', '2']);
  expect.exitCode(r, 1, 'jq-submit exit code');
  const env = envelopeOf(r, 'jq-submit');
  expect.equal(env.status, 'failed', 'envelope status');
  expect.equal(env.error && env.error.message, 'boom', 'envelope error.message');
  expect.equal(env.attempts, 2, 'envelope attempts');
  const runs = nodeWorker.seen.filter((s) => s.id === env.id);
  expect.equal(runs.length, 2, 'times the Node worker ran the job');
  expect.equal(runs[0].opts.attempts, 2, 'job.opts.attempts');
  const job = await queue.getJob(env.id);
  expect.equal(job.attemptsMade, 2, 'Bull job.attemptsMade');
  await stopNodeWorker();
});

h.test('Bull getJobCounts() equals jq-inspect counts --json', async () => {
  const bull = await queue.getJobCounts();
  expect.equal(bull, { waiting: 0, active: 0, completed: 2, failed: 2, delayed: 0, paused: 0 }, 'Bull getJobCounts()');
  expect.equal(await h.inspectCounts(QUEUE), bull, 'jq-inspect counts --json vs Bull getJobCounts()');
});

h.main();
