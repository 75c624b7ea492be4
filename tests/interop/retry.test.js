'use strict';
// An operator's retry of a failed job runs it once more under jq-worker,
// even after the caller who submitted it gave up: by Bull's job.retry()
// (what Arena's Retry button calls), by bull-board's JSON API and by
// `jq-inspect retry`. `jq-submit --wait ID` then prints the new reply.

const { execFileSync } = require('node:child_process');
const h = require('./helpers');

const { expect } = h;

const DB = h.tmpPath(`retry-${process.pid}.sqlite`);
const fixture = h.workerPerTest(DB);

function sqlite(sql) {
  return execFileSync('sqlite3', [DB, sql], { encoding: 'utf8' }).trim();
}

function envelopeOf(result, what) {
  const lines = result.stdout.split('\n').filter((l) => l.trim() !== '');
  expect.equal(lines.length, 1, `${what}: stdout is one JSON line (stdout ${h.show(result.stdout)})`);
  return h.parseJson(lines[0], `${what} envelope`);
}

// A job that fails because its table is missing, submitted by a caller who
// waits 2 s; returns its id once its deadline has passed.
async function failedAndGivenUp(name, table) {
  const r = await h.submit(['--redis', h.REDIS_URL, '-q', name, '--db', 'app', '--format', 'json',
    '--timeout', '2s', '--sql', `insert into ${table}(n) values (?) returning n`, '--param', '7']);
  expect.exitCode(r, 1, 'the first jq-submit (missing table)');
  const env = envelopeOf(r, 'the first jq-submit');
  expect.equal([env.status, env.error && env.error.message], ['failed', `no such table: ${table}`],
    'first envelope [status, error.message]');
  // The caller's deadline passes; then the table is made.
  await h.sleep(2500);
  sqlite(`create table ${table}(n integer)`);
  return env.id;
}

// `jq-submit --wait ID`: the retried run's reply.
async function waitForReply(name, id) {
  const r = await h.submit(['--redis', h.REDIS_URL, '-q', name, '--wait', id, '--format', 'json',
    '--timeout', '20s'], { timeoutMs: 30000 });
  expect.exitCode(r, 0, 'jq-submit --wait after the retry');
  const env = envelopeOf(r, 'jq-submit --wait');
  expect.equal([env.id, env.status, env.result && env.result.rows], [id, 'completed', [[7]]],
    'the retried run [id, status, rows]');
}

h.test('Bull job.retry() of a job whose caller gave up runs it again; --wait prints the reply', async () => {
  const name = await fixture.setUp('interop-retry-bull');
  const id = await failedAndGivenUp(name, 'late_bull');
  const job = await fixture.queue.getJob(id);
  expect.equal(await job.getState(), 'failed', 'state before the retry');
  await job.retry();
  await waitForReply(name, id);
  expect.equal(sqlite('select count(*), sum(n) from late_bull'), '1|7', 'rows of late_bull');
  const again = await fixture.queue.getJob(id);
  expect.equal(await again.getState(), 'completed', 'Bull getState() after the retry');
  expect.equal(again.returnvalue.rows, [[7]], 'Bull returnvalue.rows');
});

h.test('jq-inspect retry of a job whose caller gave up runs it again, and says what it did', async () => {
  const name = await fixture.setUp('interop-retry-inspect');
  const id = await failedAndGivenUp(name, 'late_inspect');
  const r = await h.inspect(['--redis', h.REDIS_URL, '-q', name, 'retry', id, '--json']);
  expect.exitCode(r, 0, 'jq-inspect retry');
  expect.equal(h.parseJson(r.stdout.trim(), 'jq-inspect retry --json').result, 'retried', 'retry result');
  await waitForReply(name, id);
  expect.equal(sqlite('select count(*), sum(n) from late_inspect'), '1|7', 'rows of late_inspect');
  // Nothing to retry: a completed job (exit 1) and an unknown id (exit 3).
  const again = await h.inspect(['--redis', h.REDIS_URL, '-q', name, 'retry', id, '--json']);
  expect.exitCode(again, 1, 'jq-inspect retry of a completed job');
  expect.equal(h.parseJson(again.stdout.trim(), 'second retry --json').result, 'not_failed',
    'second retry result');
  const unknown = await h.inspect(['--redis', h.REDIS_URL, '-q', name, 'retry', 'no-such-job']);
  expect.exitCode(unknown, 3, 'jq-inspect retry of an unknown id');
});

// bull-board's JSON API, as its Retry button calls it.
async function withBullBoard(name, body) {
  const express = require('express');
  const { createBullBoard } = require('@bull-board/api');
  const { BullAdapter } = require('@bull-board/api/bullAdapter');
  const { ExpressAdapter } = require('@bull-board/express');
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath('/ui');
  createBullBoard({ queues: [new BullAdapter(fixture.queue)], serverAdapter });
  const app = express();
  app.use('/ui', serverAdapter.getRouter());
  const server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  try {
    return await body(`http://127.0.0.1:${server.address().port}/ui/api/queues/${encodeURIComponent(name)}`);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

h.test('bull-board\'s Retry (PUT /api/queues/:queue/:id/retry) runs it again; --wait prints the reply', async () => {
  const name = await fixture.setUp('interop-retry-board');
  const id = await failedAndGivenUp(name, 'late_board');
  await withBullBoard(name, async (api) => {
    const res = await fetch(`${api}/${encodeURIComponent(id)}/retry`, { method: 'PUT' });
    expect.equal(res.status, 204, `bull-board retry status (body ${h.show(await res.text())})`);
  });
  await waitForReply(name, id);
  expect.equal(sqlite('select count(*), sum(n) from late_board'), '1|7', 'rows of late_board');
});

h.main();
