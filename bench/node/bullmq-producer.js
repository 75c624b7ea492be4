'use strict';
// The BullMQ peer's submitter at its best: addBulk in batches of 1,000 and
// one QueueEvents listener for every job's end, matched by id.
//
//   node bullmq-producer.js batch REDIS_URL QUEUE FILE WINDOW
//     every line of FILE (JSON job data) as a job, WINDOW in flight; prints
//     {"completed", "failed"}.
//   node bullmq-producer.js latency REDIS_URL QUEUE COUNT DB SQL
//     COUNT sequential round trips (one add each) of SQL with parameter i;
//     prints the latencies in ms, one per line.

const { Queue, QueueEvents } = require('bullmq');
const Redis = require('ioredis');
const { replyBook, readJobs, bulkBatch, latency, connection } = require('./peer');

const NAME = 'sql';

// The reply book fed by one QueueEvents listener. It reads the events
// stream from its current end, taken before any add: QueueEvents' default
// ('$', from whenever its first read lands) could miss an early end.
async function listen(url, queue, opts) {
  const redis = new Redis(url);
  const last = await redis.xrevrange(queue.keys.events, '+', '-', 'COUNT', 1);
  await redis.quit();
  const events = new QueueEvents(queue.name, { ...opts, lastEventId: last.length ? last[0][0] : '0-0' });
  await events.waitUntilReady();
  const book = replyBook();
  events.on('completed', ({ jobId, returnvalue }) => book.settle(jobId, true, returnvalue));
  events.on('failed', ({ jobId, failedReason }) => book.settle(jobId, false, failedReason));
  return { book, events };
}

// Each job puts about 4 events in the stream (added, waiting, active,
// completed) and an event trimmed before the listener read it is a reply
// lost: the stream keeps twice that for a full window (BullMQ's default of
// 10,000 events is 2,500 jobs).
function eventsKept(window) {
  return Math.max(10000, 8 * window);
}

async function main() {
  const [mode, url, queueName, ...rest] = process.argv.slice(2);
  const opts = { connection: connection(url) };
  const window = mode === 'batch' ? Number(rest[1]) : 1;
  const queue = new Queue(queueName, { ...opts, streams: { events: { maxLen: eventsKept(window) } } });
  const { book, events } = await listen(url, queue, opts);
  if (mode === 'batch') {
    const addBulk = (datas, ids) =>
      queue.addBulk(datas.map((data, k) => ({ name: NAME, data, opts: { jobId: ids[k] } })));
    console.log(JSON.stringify(await bulkBatch(book, addBulk, readJobs(rest[0]), window)));
  } else if (mode === 'latency') {
    const trip = (data) => {
      const jobId = book.nextId();
      const done = book.expect(jobId);
      return queue.add(NAME, data, { jobId }).then(() => done);
    };
    console.log((await latency(trip, Number(rest[0]), rest[1], rest[2])).join('\n'));
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  await events.close();
  await queue.close();
}

main().catch((err) => {
  console.error(`bullmq-producer: ${err.stack || err}`);
  process.exit(1);
});
