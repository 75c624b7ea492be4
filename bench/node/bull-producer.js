'use strict';
// The peer's submitter: adds jobs to a Bull queue and awaits each reply, as
// a Node app using Bull for request/response would. WAY is how jobs are
// added and replies awaited: `finished` is one add and Bull's job.finished()
// per job (the documented way); `listener` is one add per job and one
// global:completed/global:failed listener for all jobs, matched by id (no
// per-job listener, no missed event); `bulk` is the listener with addBulk
// in batches of 1,000 (Bull's best case, batch mode only).
//
//   node bull-producer.js batch REDIS_URL QUEUE WAY FILE WINDOW
//     every line of FILE (JSON job data) as a job, WINDOW in flight (as
//     jq-submit --stdin -j WINDOW); prints {"completed", "failed"}.
//   node bull-producer.js latency REDIS_URL QUEUE WAY COUNT DB SQL
//     COUNT sequential round trips of SQL with parameter i; prints the
//     latencies in ms, one per line.
//   node bull-producer.js once REDIS_URL QUEUE DB SQL
//     one job with job.finished(), as a one-shot script would: prints the
//     reply.

const Queue = require('bull');
const { replyBook, readJobs, bulkBatch, latency } = require('./peer');

async function roundTrip(queue, data) {
  const job = await queue.add(data);
  return job.finished();
}

// The reply book fed by one global listener for every job's end.
async function listen(queue) {
  const book = replyBook();
  queue.on('global:completed', (jobId, value) => book.settle(jobId, true, JSON.parse(value)));
  queue.on('global:failed', (jobId, reason) => book.settle(jobId, false, reason));
  await queue._registerEvent('global:completed');
  await queue._registerEvent('global:failed');
  return book;
}

async function roundTripper(queue, way) {
  if (way === 'finished') return (data) => roundTrip(queue, data);
  if (way !== 'listener') throw new Error(`unknown way ${way}`);
  const book = await listen(queue);
  return (data) => {
    const jobId = book.nextId();
    const done = book.expect(jobId);
    return queue.add(data, { jobId }).then(() => done);
  };
}

// One add per job, WINDOW in flight.
async function oneByOne(trip, jobs, window) {
  const counts = { completed: 0, failed: 0 };
  const inFlight = new Set();
  for (const data of jobs) {
    const p = trip(data).then(
      () => { counts.completed += 1; },
      () => { counts.failed += 1; }
    ).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= window) {
      await Promise.race(inFlight);
    }
  }
  await Promise.all(inFlight);
  return counts;
}

async function batch(queue, way, file, window) {
  const jobs = readJobs(file);
  if (way !== 'bulk') return oneByOne(await roundTripper(queue, way), jobs, window);
  const addBulk = (datas, ids) => queue.addBulk(datas.map((data, k) => ({ data, opts: { jobId: ids[k] } })));
  return bulkBatch(await listen(queue), addBulk, jobs, window);
}

async function main() {
  const [mode, url, queueName, ...rest] = process.argv.slice(2);
  const queue = new Queue(queueName, url);
  if (mode === 'batch') {
    console.log(JSON.stringify(await batch(queue, rest[0], rest[1], Number(rest[2]))));
  } else if (mode === 'latency') {
    const trip = await roundTripper(queue, rest[0]);
    console.log((await latency(trip, Number(rest[1]), rest[2], rest[3])).join('\n'));
  } else if (mode === 'once') {
    console.log(JSON.stringify(await roundTrip(queue, { db: rest[0], sql: rest[1], params: [1] })));
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  await queue.close();
}

main().catch((err) => {
  console.error(`bull-producer: ${err.stack || err}`);
  process.exit(1);
});
