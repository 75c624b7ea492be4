'use strict';
// The peer's submitter: adds jobs to a Bull queue and awaits each reply, as
// a Node app using Bull for request/response would. WAY is how a reply is
// awaited: `finished` is Bull's job.finished() (the documented way);
// `listener` is one global:completed/global:failed listener for all jobs,
// matched by id (Bull's best case: no per-job listener, no missed event).
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

const fs = require('fs');
const readline = require('readline');
const Queue = require('bull');

async function roundTrip(queue, data) {
  const job = await queue.add(data);
  return job.finished();
}

// One listener for every job's end; ids are chosen before the add, so an
// end that comes before add() returns is not missed.
async function listenerRoundTrips(queue) {
  const waiting = new Map();
  const settle = (ok) => (jobId, value) => {
    const entry = waiting.get(String(jobId));
    if (!entry) return;
    waiting.delete(String(jobId));
    if (ok) entry.resolve(JSON.parse(value)); else entry.reject(new Error(value));
  };
  queue.on('global:completed', settle(true));
  queue.on('global:failed', settle(false));
  await queue._registerEvent('global:completed');
  await queue._registerEvent('global:failed');
  let next = 0;
  return (data) => {
    next += 1;
    const jobId = `${process.pid}-${next}`;
    const done = new Promise((resolve, reject) => waiting.set(jobId, { resolve, reject }));
    return queue.add(data, { jobId }).then(() => done);
  };
}

async function roundTripper(queue, way) {
  if (way === 'finished') return (data) => roundTrip(queue, data);
  if (way === 'listener') return listenerRoundTrips(queue);
  throw new Error(`unknown way ${way}`);
}

async function batch(trip, file, window) {
  const lines = readline.createInterface({ input: fs.createReadStream(file) });
  let completed = 0;
  let failed = 0;
  const inFlight = new Set();
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const p = trip(JSON.parse(line)).then(
      () => { completed += 1; },
      () => { failed += 1; }
    ).finally(() => inFlight.delete(p));
    inFlight.add(p);
    if (inFlight.size >= window) {
      await Promise.race(inFlight);
    }
  }
  await Promise.all(inFlight);
  console.log(JSON.stringify({ completed, failed }));
}

async function latency(trip, count, db, sql) {
  const out = [];
  for (let i = 0; i < count; i += 1) {
    const start = process.hrtime.bigint();
    await trip({ db, sql, params: [i] });
    out.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  console.log(out.join('\n'));
}

async function main() {
  const [mode, url, queueName, ...rest] = process.argv.slice(2);
  const queue = new Queue(queueName, url);
  if (mode === 'batch') {
    await batch(await roundTripper(queue, rest[0]), rest[1], Number(rest[2]));
  } else if (mode === 'latency') {
    await latency(await roundTripper(queue, rest[0]), Number(rest[1]), rest[2], rest[3]);
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
