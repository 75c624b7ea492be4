'use strict';
// The peer's worker: a Node Bull processor running the same jobs as
// jq-worker ({db, sql, params}) against SQLite with better-sqlite3, and
// returning jq's reply shape. Statements are prepared once and reused.
//
//   node bull-worker.js REDIS_URL QUEUE CONCURRENCY NAME=PATH
//
// Prints "ready" once it listens; SIGTERM closes the queue and exits 0.

const Queue = require('bull');
const Database = require('better-sqlite3');

const [url, queueName, concurrencyText, dbSpec] = process.argv.slice(2);
const eq = dbSpec.indexOf('=');
const dbName = dbSpec.slice(0, eq);
const db = new Database(dbSpec.slice(eq + 1));
db.pragma('synchronous = NORMAL'); // as jq-worker --synchronous normal
const statements = new Map();

function run(data) {
  if (data.db !== dbName) {
    throw new Error(`unknown database '${data.db}'`);
  }
  let statement = statements.get(data.sql);
  if (!statement) {
    statement = db.prepare(data.sql);
    statements.set(data.sql, statement);
  }
  const params = data.params || [];
  if (statement.reader) {
    const rows = statement.raw(true).all(...params);
    const columns = statement.columns().map((c) => c.name);
    return { columns, rows, changes: 0, last_insert_rowid: 0 };
  }
  const info = statement.run(...params);
  return { columns: [], rows: [], changes: info.changes, last_insert_rowid: Number(info.lastInsertRowid) };
}

const queue = new Queue(queueName, url);
queue.process(Number(concurrencyText), async (job) => run(job.data));
queue.isReady().then(() => console.log('ready'));
process.on('SIGTERM', async () => {
  await queue.close();
  db.close();
  process.exit(0);
});
