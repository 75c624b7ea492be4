'use strict';
// What the Node producers share: replies awaited by job id through one
// listener, the batch and latency loops, and BullMQ's connection options.

const fs = require('fs');

// Jobs per addBulk call on the "best" sides.
const BULK = 1000;

// Replies awaited by job id and settled by one shared listener, so no job
// needs a listener of its own. Ids are chosen before the add, so an end that
// comes before the add returns is not missed.
function replyBook() {
  const waiting = new Map();
  let next = 0;
  return {
    nextId() {
      next += 1;
      return `${process.pid}-${next}`;
    },
    expect(jobId) {
      return new Promise((resolve, reject) => waiting.set(jobId, { resolve, reject }));
    },
    settle(jobId, ok, value) {
      const entry = waiting.get(String(jobId));
      if (!entry) return;
      waiting.delete(String(jobId));
      if (ok) entry.resolve(value); else entry.reject(new Error(value));
    },
  };
}

// Every line of FILE as job data.
function readJobs(file) {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

// All of `jobs` through addBulk(datas, ids) in batches of BULK, at most
// `window` in flight; resolves {completed, failed}. A batch goes when there
// is room for all of it, as a producer that batches would do.
async function bulkBatch(book, addBulk, jobs, window) {
  const size = Math.min(BULK, window);
  let inFlight = 0;
  let wake = () => {};
  const counts = { completed: 0, failed: 0 };
  const replies = [];
  for (let i = 0; i < jobs.length; i += size) {
    const datas = jobs.slice(i, i + size);
    while (inFlight + datas.length > window) {
      await new Promise((resolve) => { wake = resolve; });
    }
    const ids = datas.map(() => book.nextId());
    for (const id of ids) {
      replies.push(book.expect(id).then(() => { counts.completed += 1; }, () => { counts.failed += 1; })
        .finally(() => { inFlight -= 1; wake(); }));
    }
    inFlight += datas.length;
    await addBulk(datas, ids);
  }
  await Promise.all(replies);
  return counts;
}

// COUNT sequential round trips of SQL with parameter i; the latencies in ms.
// One untimed round trip goes first, as jq's caller does (its first job
// also waits for jq-submit to connect): the Queue has connected by then, and
// its first add has loaded the scripts.
async function latency(trip, count, db, sql) {
  await trip({ db, sql, params: [-1] });
  const out = [];
  for (let i = 0; i < count; i += 1) {
    const start = process.hrtime.bigint();
    await trip({ db, sql, params: [i] });
    out.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return out;
}

// BullMQ takes ioredis options, not a URL.
function connection(url) {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port || 6379), db: Number(u.pathname.slice(1) || 0) };
}

module.exports = { replyBook, readJobs, bulkBatch, latency, connection };
