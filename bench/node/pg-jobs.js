'use strict';
// The peer's processor for a PostgreSQL database: jq's jobs ({db, sql,
// params}) run with the `pg` package's pool, one client per job in flight,
// in jq's reply shape. Each SQL text is a named prepared statement (`?`
// written as $n once), and each job is one statement in autocommit: less
// than jq-worker does (its job's transaction also records the reply in the
// ledger that makes a write exactly-once), so this peer is at its best.

const { Pool, types } = require('pg');

// bigint as a number, as jq replies (exact to 2^53 here; the bench stays far below).
types.setTypeParser(20, Number);

function pgJobs(dbSpec, concurrency) {
  const eq = dbSpec.indexOf('=');
  const dbName = dbSpec.slice(0, eq);
  const pool = new Pool({ connectionString: dbSpec.slice(eq + 1), max: concurrency });
  const statements = new Map();

  function statementOf(sql) {
    let statement = statements.get(sql);
    if (!statement) {
      let n = 0;
      statement = { name: `s${statements.size}`, text: sql.replace(/\?/g, () => `$${(n += 1)}`) };
      statements.set(sql, statement);
    }
    return statement;
  }

  async function run(data) {
    if (data.db !== dbName) {
      throw new Error(`unknown database '${data.db}'`);
    }
    const { name, text } = statementOf(data.sql);
    const res = await pool.query({ name, text, values: data.params || [], rowMode: 'array' });
    const reads = res.command === 'SELECT';
    return {
      columns: res.fields.map((f) => f.name),
      rows: res.rows,
      changes: reads ? 0 : res.rowCount,
      last_insert_rowid: null,
    };
  }

  return { run, close: () => pool.end() };
}

module.exports = { pgJobs };
