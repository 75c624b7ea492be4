'use strict';
// The peer's submitter: adds jobs to a Bull queue and awaits each one's
// job.finished(), as a Node app using Bull for request/response would.
//
//   node bull-producer.js batch REDIS_URL QUEUE FILE WINDOW
//     every line of FILE (JSON job data) as a job, WINDOW in flight (as
//     jq-submit --stdin -j WINDOW); prints {"completed", "failed"}.
//   node bull-producer.js latency REDIS_URL QUEUE COUNT DB SQL
//     COUNT sequential round trips of SQL with parameter i; prints the
//     latencies in ms, one per line.
//   node bull-producer.js once REDIS_URL QUEUE DB SQL
//     one job, as a one-shot script would: prints the reply.

const fs = require('fs');
const readline = require('readline');
const Queue = require('bull');

async function roundTrip(queue, data) {
  const job = await queue.add(data);
  return job.finished();
}

async function batch(queue, file, window) {
  const lines = readline.createInterface({ input: fs.createReadStream(file) });
  let completed = 0;
  let failed = 0;
  const inFlight = new Set();
  for await (const line of lines) {
    if (line.trim() === '') continue;
    const p = roundTrip(queue, JSON.parse(line)).then(
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

async function latency(queue, count, db, sql) {
  const out = [];
  for (let i = 0; i < count; i += 1) {
    const start = process.hrtime.bigint();
    await roundTrip(queue, { db, sql, params: [i] });
    out.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  console.log(out.join('\n'));
}

async function main() {
  const [mode, url, queueName, ...rest] = process.argv.slice(2);
  const queue = new Queue(queueName, url);
  if (mode === 'batch') {
    await batch(queue, rest[0], Number(rest[1]));
  } else if (mode === 'latency') {
    await latency(queue, Number(rest[0]), rest[1], rest[2]);
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
