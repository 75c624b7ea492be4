'use strict';
// The peer's worker: a Node Bull processor running the same jobs as
// jq-worker (sqlite-jobs.js; pg-jobs.js for a PostgreSQL URL).
//
//   node bull-worker.js REDIS_URL QUEUE CONCURRENCY NAME=PATH|NAME=postgresql://...
//
// Prints "ready" once it listens; SIGTERM closes the queue and exits 0.

const Queue = require('bull');
const { sqliteJobs } = require('./sqlite-jobs');
const { pgJobs } = require('./pg-jobs');

const [url, queueName, concurrencyText, dbSpec] = process.argv.slice(2);
const isPostgres = /^[^=]*=postgres(ql)?:\/\//.test(dbSpec);
const jobs = isPostgres ? pgJobs(dbSpec, Number(concurrencyText)) : sqliteJobs(dbSpec);
const queue = new Queue(queueName, url);
queue.process(Number(concurrencyText), async (job) => jobs.run(job.data));
queue.isReady().then(() => console.log('ready'));
process.on('SIGTERM', async () => {
  await queue.close();
  await jobs.close();
  process.exit(0);
});
