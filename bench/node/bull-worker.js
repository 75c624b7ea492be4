'use strict';
// The peer's worker: a Node Bull processor running the same jobs as
// jq-worker (sqlite-jobs.js).
//
//   node bull-worker.js REDIS_URL QUEUE CONCURRENCY NAME=PATH
//
// Prints "ready" once it listens; SIGTERM closes the queue and exits 0.

const Queue = require('bull');
const { sqliteJobs } = require('./sqlite-jobs');

const [url, queueName, concurrencyText, dbSpec] = process.argv.slice(2);
const jobs = sqliteJobs(dbSpec);
const queue = new Queue(queueName, url);
queue.process(Number(concurrencyText), async (job) => jobs.run(job.data));
queue.isReady().then(() => console.log('ready'));
process.on('SIGTERM', async () => {
  await queue.close();
  jobs.close();
  process.exit(0);
});
