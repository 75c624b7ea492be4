'use strict';
// servers: postgres mariadb
//
// The seed's producer, as it ran against MySQL: a Node Bull producer adds
//   {id, dbname: 'MySql', sql: 'INSERT INTO board VALUES(?,?,?)', value: [[…], […]], timeout}
// with jobId = id and waits with job.finished(). The real jq-worker serves it
// on a throwaway MariaDB (dbname MySql) and PostgreSQL (dbname pg, with the
// same `?` SQL), and the rows land once each.

const crypto = require('node:crypto');
const { execFileSync } = require('node:child_process');
const h = require('./helpers');

const { expect } = h;
const QUEUE = h.uniqueName('interop-seed-servers');
const FINISH_MS = 15000;
const PG_URL = process.env.PG_URL;
const MY_URL = process.env.MY_URL;

const queue = h.openQueue(QUEUE);
let worker = null;

h.onFailure(async () => {
  if (worker) console.log(`# jq-worker stderr:\n${worker.stderr.replace(/^/gm, '#   ')}`);
  await h.dumpQueue(queue, console.log);
});
h.onCleanup(async () => {
  await h.stopWorker(worker);
});

// SQL run outside jq, as the database's owner (PostgreSQL) or root (MariaDB):
// tables are made here, and rows are counted here, not through the queue.
function pgClient(sql) {
  return execFileSync('psql', ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', PG_URL, '-c', sql], {
    encoding: 'utf8',
  }).trim();
}
function myClient(sql) {
  return execFileSync(
    'mariadb',
    ['--no-defaults', `--socket=${process.env.MY_SOCKET}`, '-uroot', '--batch', '--skip-column-names',
      process.env.MY_DB, '-e', sql],
    { encoding: 'utf8' },
  ).trim();
}

// The seed's job: data {id, dbname, sql, value, timeout}, custom job id = data.id.
async function addSeedJob(dbname, sql, value) {
  const id = crypto.randomUUID();
  const data = { id, dbname, sql, timeout: 5000 };
  if (value !== undefined) data.value = value;
  const job = await queue.add(data, { jobId: id });
  expect.equal(job.id, id, 'Bull job id is the custom UUID');
  return job;
}

const finished = (job, what) => h.within(job.finished(), FINISH_MS, `job.finished() of ${what} (job ${job.id})`);

const BOARD = [
  [1, '2026-12-04', 'first line'],
  [2, '2026-12-05', 'second line'],
  [3, '2026-12-06', null],
];

h.test('both servers are up; the board tables are made outside jq', async () => {
  expect.ok(PG_URL && MY_URL, 'PG_URL and MY_URL are set by tests/interop/run');
  pgClient('create table board (line integer primary key, date date, title text)');
  myClient('create table board (line int primary key, date date, title text)');
});

h.test('jq-worker serves MySql (MariaDB) and pg (PostgreSQL) from one queue', async () => {
  worker = await h.startWorker({ queue: QUEUE, dbName: 'MySql', dbPath: MY_URL, args: ['--db', `pg=${PG_URL}`] });
});

for (const dbname of ['MySql', 'pg']) {
  h.test(`${dbname}: the seed's INSERT INTO board VALUES(?,?,?) with value as rows lands once`, async () => {
    const job = await addSeedJob(dbname, 'INSERT INTO board VALUES(?,?,?)', BOARD);
    const reply = await finished(job, `${dbname} insert`);
    expect.equal(reply.columns, [], `${dbname} insert reply columns`);
    expect.equal(reply.rows, [], `${dbname} insert reply rows`);
    expect.equal(reply.changes, 3, `${dbname} insert reply changes`);

    const stored = await queue.getJob(job.id);
    expect.equal(await stored.getState(), 'completed', 'Bull job state');
    expect.equal(stored.returnvalue, reply, 'Bull job.returnvalue');
  });

  h.test(`${dbname}: a select answers with the rows, dates as ISO 8601`, async () => {
    const job = await addSeedJob(dbname, 'SELECT line, date, title FROM board WHERE line >= ? ORDER BY line', [1]);
    const reply = await finished(job, `${dbname} select`);
    expect.equal(reply.columns, ['line', 'date', 'title'], `${dbname} select columns`);
    expect.equal(reply.rows, BOARD, `${dbname} select rows`);
  });

  h.test(`${dbname}: a duplicate key fails the job with the server's message and rolls the batch back`, async () => {
    const job = await addSeedJob(dbname, 'INSERT INTO board VALUES(?,?,?)', [[4, '2026-12-07', 'new'], [1, '2026-12-04', 'again']]);
    let reason = null;
    try {
      await finished(job, `${dbname} duplicate insert`);
    } catch (err) {
      reason = err.message;
    }
    expect.ok(reason && /duplicate/i.test(reason), `${dbname}: finished() rejects naming the duplicate: ${h.show(reason)}`);
    const stored = await queue.getJob(job.id);
    expect.equal(await stored.getState(), 'failed', 'Bull job state');
    expect.equal(stored.failedReason, reason, 'Bull job.failedReason');
  });
}

h.test('each server holds exactly the 3 rows of the seed job', async () => {
  expect.equal(pgClient('select count(*), min(line), max(line) from board'), '3|1|3', 'PostgreSQL board');
  expect.equal(myClient('select count(*), min(line), max(line) from board'), '3\t1\t3', 'MariaDB board');
});

h.test('counts agree with jq-inspect; no password in the worker\'s output', async () => {
  const bull = await queue.getJobCounts();
  expect.equal(bull, { waiting: 0, active: 0, completed: 4, failed: 2, delayed: 0, paused: 0 }, 'Bull getJobCounts()');
  expect.equal(await h.inspectCounts(QUEUE), bull, 'jq-inspect counts --json vs Bull getJobCounts()');
  const st = await h.stopWorker(worker);
  expect.equal(st, { code: 0, signal: null }, 'jq-worker exit status after SIGTERM');
  for (const url of [PG_URL, MY_URL]) {
    const password = decodeURIComponent(new URL(url).password);
    expect.ok(!worker.stderr.includes(password) && !worker.stdout.includes(password), 'password not in the worker log');
  }
});

h.main();
