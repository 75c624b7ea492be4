'use strict';
// The BullMQ peer's worker: a BullMQ Worker running the same jobs as
// jq-worker (sqlite-jobs.js).
//
//   node bullmq-worker.js REDIS_URL QUEUE CONCURRENCY NAME=PATH
//
// Prints "ready" once it listens; SIGTERM closes the worker and exits 0.

const { Worker } = require('bullmq');
const { sqliteJobs } = require('./sqlite-jobs');
const { connection } = require('./peer');

const [url, queueName, concurrencyText, dbSpec] = process.argv.slice(2);
const jobs = sqliteJobs(dbSpec);
const worker = new Worker(queueName, async (job) => jobs.run(job.data),
  { connection: connection(url), concurrency: Number(concurrencyText) });
worker.waitUntilReady().then(() => console.log('ready'));
process.on('SIGTERM', async () => {
  await worker.close();
  jobs.close();
  process.exit(0);
});
