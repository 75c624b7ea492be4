'use strict';
// A Node Bull producer with the seed's payload shape
//   queue.add({id, dbname, sql, value}, {jobId: id})
// is served by the real jq-worker, and job.finished() gives the reply.

const crypto = require('node:crypto');
const h = require('./helpers');

const { expect } = h;
const QUEUE = h.uniqueName('interop-seed');
const DB = h.tmpPath(`seed-${process.pid}.sqlite`);
const FINISH_MS = 15000;

const queue = h.openQueue(QUEUE);
let worker = null;

h.onFailure(async () => {
  if (worker) console.log(`# jq-worker stderr:\n${worker.stderr.replace(/^/gm, '#   ')}`);
  await h.dumpQueue(queue, console.log);
});
h.onCleanup(async () => {
  await h.stopWorker(worker);
});

async function ensureWorker() {
  if (!worker || worker.exited) {
    worker = await h.startWorker({ queue: QUEUE, dbPath: DB });
  }
  return worker;
}

// The seed's job: data {id, dbname, sql, value}, custom job id = data.id.
async function addSeedJob(sql, value, opts = {}) {
  const id = crypto.randomUUID();
  const data = { id, dbname: 'app', sql };
  if (value !== undefined) data.value = value;
  const job = await queue.add(data, { jobId: id, ...opts });
  expect.equal(job.id, id, 'Bull job id is the custom UUID');
  return job;
}

const finished = (job, what) => h.within(job.finished(), FINISH_MS, `job.finished() of ${what} (job ${job.id})`);

h.test('jq-worker starts and logs ready', async () => {
  await ensureWorker();
});

h.test('create table t with a seed-shaped Bull job', async () => {
  await ensureWorker();
  const job = await addSeedJob('create table t (id integer primary key, title text)');
  const reply = await finished(job, 'create table');
  expect.ok(reply && typeof reply === 'object', `reply is an object: ${h.show(reply)}`);
  expect.equal(reply.rows, [], 'create table reply rows');
  expect.equal(reply.columns, [], 'create table reply columns');
});

h.test('seed insert: finished() resolves with {columns, rows, changes: 1, last_insert_rowid}', async () => {
  await ensureWorker();
  const job = await addSeedJob('insert into t values (?, ?)', [1, 'x']);
  const reply = await finished(job, 'insert');
  expect.equal(reply, { columns: [], rows: [], changes: 1, last_insert_rowid: 1 }, 'insert reply');

  // What Bull itself reads back from the job hash.
  const stored = await queue.getJob(job.id);
  expect.ok(stored, `job ${job.id} still exists`);
  expect.equal(await stored.getState(), 'completed', 'Bull job state');
  expect.equal(stored.returnvalue, reply, 'Bull job.returnvalue (hash field returnvalue)');
  expect.equal(stored.data, { id: job.id, dbname: 'app', sql: 'insert into t values (?, ?)', value: [1, 'x'] },
    'job data is left as the producer wrote it');
  expect.ok(typeof stored.finishedOn === 'number' && stored.finishedOn > 0, `finishedOn set: ${stored.finishedOn}`);
  expect.ok(typeof stored.processedOn === 'number' && stored.processedOn > 0, `processedOn set: ${stored.processedOn}`);
  // finished() after completion takes the hash path (isFinished -> HGETALL).
  expect.equal(await finished(stored, 'insert, again'), reply, 'finished() on a completed job');
});

h.test('seed select: finished() resolves with rows [[1, "x"]]', async () => {
  await ensureWorker();
  const job = await addSeedJob('select id, title from t where id = ?', [1]);
  const reply = await finished(job, 'select');
  expect.equal(reply.columns, ['id', 'title'], 'select reply columns');
  expect.equal(reply.rows, [[1, 'x']], 'select reply rows');
  expect.ok(Number.isInteger(reply.changes), `select reply has integer changes: ${h.show(reply)}`);
  expect.ok(Number.isInteger(reply.last_insert_rowid), `select reply has integer last_insert_rowid: ${h.show(reply)}`);
});

h.test('failing SQL: finished() rejects with SQLite\'s message', async () => {
  await ensureWorker();
  const job = await addSeedJob('select * from nope');
  await expect.rejectsWith(finished(job, 'failing select'), 'no such table: nope', 'finished() of a failing job');

  const stored = await queue.getJob(job.id);
  expect.ok(stored, `failed job ${job.id} still exists`);
  expect.equal(await stored.getState(), 'failed', 'Bull job state');
  expect.equal(stored.failedReason, 'no such table: nope', 'Bull job.failedReason');
  expect.equal(stored.attemptsMade, 1, 'Bull job.attemptsMade');
  expect.ok(Array.isArray(stored.stacktrace), `job.stacktrace is an array: ${h.show(stored.stacktrace)}`);
  // The hash path (job already in the failed zset) must agree.
  await expect.rejectsWith(finished(stored, 'failing select, again'), 'no such table: nope',
    'finished() on an already failed job');
});

h.test('seed value that is an array of arrays runs as rows', async () => {
  await ensureWorker();
  const job = await addSeedJob('insert into t values (?, ?)', [[2, 'y'], [3, 'z']]);
  const reply = await finished(job, 'rows insert');
  expect.equal(reply, { columns: [], rows: [], changes: 2, last_insert_rowid: 3 }, 'rows insert reply');

  const check = await addSeedJob('select id, title from t order by id');
  expect.equal((await finished(check, 'select all')).rows, [[1, 'x'], [2, 'y'], [3, 'z']], 'table t after rows insert');
});

h.test('seed options {removeOnComplete: true, timeout: 5000}: finished() called before completion resolves', async () => {
  // No worker while the job is added and finished() is called, so the call
  // is certainly made before the job completes.
  await h.stopWorker(worker);
  const job = await addSeedJob('insert into t values (?, ?)', [4, 'w'], { removeOnComplete: true, timeout: 5000 });
  const pending = finished(job, 'removeOnComplete insert');
  await h.sleep(200); // let finished() subscribe and run its first check
  expect.equal(await job.getState(), 'waiting', 'job state before a worker runs');
  await ensureWorker();
  const reply = await pending;
  expect.equal(reply, { columns: [], rows: [], changes: 1, last_insert_rowid: 4 }, 'removeOnComplete insert reply');
  expect.equal(await queue.getJob(job.id), null, 'job hash removed (removeOnComplete: true)');
  expect.equal(await queue.client.zscore(`bull:${QUEUE}:completed`, job.id), null, 'job not in the completed zset');
});

h.test('failing job with {removeOnFail: true}: finished() rejects through the failed event', async () => {
  await h.stopWorker(worker);
  const job = await addSeedJob('insert into nope values (?)', [1], { removeOnFail: true, timeout: 5000 });
  const pending = finished(job, 'removeOnFail failing insert');
  pending.catch(() => {}); // checked below
  await h.sleep(200);
  await ensureWorker();
  await expect.rejectsWith(pending, 'no such table: nope', 'finished() of a removeOnFail job');
  expect.equal(await queue.getJob(job.id), null, 'job hash removed (removeOnFail: true)');
  expect.equal(await queue.client.zscore(`bull:${QUEUE}:failed`, job.id), null, 'job not in the failed zset');
});

h.test('counts agree with jq-inspect, and jq-worker exits 0 on SIGTERM leaving nothing active', async () => {
  await ensureWorker();
  const bull = await queue.getJobCounts();
  // completed: create, insert, select, rows insert, select all; failed: one.
  expect.equal(bull, { waiting: 0, active: 0, completed: 5, failed: 1, delayed: 0, paused: 0 }, 'Bull getJobCounts()');
  expect.equal(await h.inspectCounts(QUEUE), bull, 'jq-inspect counts --json vs Bull getJobCounts()');
  const st = await h.stopWorker(worker);
  expect.equal(st, { code: 0, signal: null }, 'jq-worker exit status after SIGTERM');
  expect.equal(await queue.client.llen(`bull:${QUEUE}:active`), 0, 'LLEN active after the worker stopped');
});

h.main();
