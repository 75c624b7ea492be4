'use strict';
// The peers' processor: runs jq's jobs ({db, sql, params}) against one SQLite
// database with better-sqlite3 and returns jq's reply shape. Shared by the
// Bull 4 and BullMQ workers so both run exactly the same SQL as jq-worker.

const Database = require('better-sqlite3');

// A job runner for the database NAME=PATH. Statements are prepared once and
// reused, as jq-worker does.
function sqliteJobs(dbSpec) {
  const eq = dbSpec.indexOf('=');
  const dbName = dbSpec.slice(0, eq);
  const db = new Database(dbSpec.slice(eq + 1));
  db.pragma('journal_mode = WAL');
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

  return { run, close: () => db.close() };
}

module.exports = { sqliteJobs };
