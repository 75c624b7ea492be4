'use strict';
// Shared helpers for the interop tests (tests/interop/*.test.js).
//
// The `run` script starts a throwaway redis-server and passes REDIS_URL,
// TMPDIR_JQ and JQ_SUBMIT/JQ_WORKER/JQ_INSPECT in the environment. A test file
// registers cases with test(name, fn) and calls main(); main() runs them in
// order, prints `ok`/`not ok` per case and closes with the line
// `N passed, M failed`, then exits non-zero if anything failed.

const assert = require('node:assert');
const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const path = require('node:path');
const util = require('node:util');
const Queue = require('bull');

function requireEnv(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set (run this file through tests/interop/run)`);
  }
  return value;
}

const REDIS_URL = requireEnv('REDIS_URL');
const TMPDIR = requireEnv('TMPDIR_JQ');
const TOOLS = {
  submit: requireEnv('JQ_SUBMIT'),
  worker: requireEnv('JQ_WORKER'),
  inspect: requireEnv('JQ_INSPECT'),
};

// Environment for the jq tools: the ambient JQ_* defaults are removed so
// that only the flags a test passes count.
function toolEnv(extra) {
  const env = { ...process.env, ...extra };
  delete env.JQ_REDIS_URL;
  delete env.JQ_QUEUE;
  delete env.JQ_PREFIX;
  return env;
}

// ---------------------------------------------------------------------------
// Small utilities

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function show(value) {
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value);
  } catch {
    return util.inspect(value, { depth: 6 });
  }
}

// A queue name nobody else uses: `<base>-<pid>-<random>`.
function uniqueName(base) {
  return `${base}-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
}

function tmpPath(name) {
  return path.join(TMPDIR, name);
}

// Resolve with `promise`, or reject after `ms` saying what was awaited.
function within(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Poll `probe` until it returns a truthy value; returns that value.
async function waitFor(probe, { timeoutMs = 15000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------
// Assertions with messages that show both sides as JSON.

function fail(label, detail) {
  const err = new assert.AssertionError({ message: `${label}: ${detail}` });
  Error.captureStackTrace(err, fail);
  throw err;
}

const expect = {
  // Deep strict equality (node:assert semantics).
  equal(actual, expected, label) {
    try {
      assert.deepStrictEqual(actual, expected);
    } catch {
      fail(label, `expected ${show(expected)}, got ${show(actual)}`);
    }
  },
  ok(value, label) {
    if (!value) fail(label, `expected a truthy value, got ${show(value)}`);
  },
  match(text, regexp, label) {
    if (typeof text !== 'string' || !regexp.test(text)) {
      fail(label, `expected text matching ${regexp}, got ${show(text)}`);
    }
  },
  includes(text, part, label) {
    if (typeof text !== 'string' || !text.includes(part)) {
      fail(label, `expected text containing ${show(part)}, got ${show(text)}`);
    }
  },
  // A finished tool run must have exited with `code`; shows its output if not.
  exitCode(result, code, label) {
    if (result.code !== code) {
      fail(
        label,
        `expected exit code ${code}, got ${result.code === null ? `signal ${result.signal}` : result.code}` +
          `${result.timedOut ? ' (killed after the helper timeout)' : ''}\n` +
          `  command: ${result.command}\n  stdout: ${show(result.stdout)}\n  stderr: ${show(result.stderr)}`,
      );
    }
  },
  // `promise` must reject with an Error whose message equals `message`.
  async rejectsWith(promise, message, label) {
    let settled;
    try {
      settled = { value: await promise };
    } catch (err) {
      if (!(err instanceof Error)) fail(label, `expected an Error, got rejection with ${show(err)}`);
      if (err.message !== message) {
        fail(label, `expected rejection with message ${show(message)}, got ${show(err.message)}`);
      }
      return err;
    }
    fail(label, `expected rejection with message ${show(message)}, but it resolved with ${show(settled.value)}`);
  },
};

// Parse JSON printed by a tool; a parse error names the text.
function parseJson(text, what) {
  try {
    return JSON.parse(text);
  } catch (err) {
    fail(what, `not valid JSON (${err.message}): ${show(text)}`);
  }
}

// ---------------------------------------------------------------------------
// Processes

const children = new Set();

// Run tool `name` (submit, worker, inspect) or an absolute path with `args`.
// Resolves with {code, signal, stdout, stderr, timedOut, command}; the process
// is killed with SIGKILL after `timeoutMs`.
function runTool(name, args, { timeoutMs = 30000, env } = {}) {
  const bin = TOOLS[name] || name;
  const command = [bin, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
  return new Promise((resolve) => {
    const child = spawn(bin, args, { env: toolEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code: null, signal: null, stdout, stderr: stderr + `spawn failed: ${err.message}`, timedOut, command });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr, timedOut, command });
    });
  });
}

const submit = (args, opts) => runTool('submit', args, opts);
const inspect = (args, opts) => runTool('inspect', args, opts);

// `jq-inspect counts --json` for `queue`, parsed.
async function inspectCounts(queue) {
  const r = await inspect(['--redis', REDIS_URL, '-q', queue, 'counts', '--json']);
  expect.exitCode(r, 0, 'jq-inspect counts --json');
  return parseJson(r.stdout.trim(), 'jq-inspect counts --json stdout');
}

// Start jq-worker in the background: `--redis URL -q QUEUE --db app=PATH`
// plus `args`. Resolves once its stderr says "ready".
function startWorker({ queue, dbPath, dbName = 'app', args = [], readyTimeoutMs = 15000 }) {
  const argv = ['--redis', REDIS_URL, '-q', queue, '--db', `${dbName}=${dbPath}`, ...args];
  const child = spawn(TOOLS.worker, argv, { env: toolEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const worker = {
    child,
    argv,
    stdout: '',
    stderr: '',
    exited: null, // {code, signal} once it has exited
  };
  worker.exit = new Promise((resolve) => {
    child.on('error', (err) => {
      worker.stderr += `spawn failed: ${err.message}\n`;
      worker.exited = { code: null, signal: null };
      children.delete(child);
      resolve(worker.exited);
    });
    child.on('close', (code, signal) => {
      worker.exited = { code, signal };
      children.delete(child);
      resolve(worker.exited);
    });
  });
  child.stdout.setEncoding('utf8').on('data', (d) => (worker.stdout += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`jq-worker did not log "ready" within ${readyTimeoutMs} ms; stderr so far: ${show(worker.stderr)}`));
    }, readyTimeoutMs);
    child.stderr.setEncoding('utf8').on('data', (d) => {
      worker.stderr += d;
      if (/ready/i.test(worker.stderr)) {
        clearTimeout(timer);
        resolve(worker);
      }
    });
    worker.exit.then((st) => {
      clearTimeout(timer);
      reject(
        new Error(
          `jq-worker exited before it was ready (code ${st.code}, signal ${st.signal}); ` +
            `argv ${show(argv)}; stderr: ${show(worker.stderr)}`,
        ),
      );
    });
  });
}

// Send SIGTERM to a worker and wait for it to exit. Resolves with
// {code, signal}; a worker still running after `timeoutMs` is killed and the
// promise rejects.
async function stopWorker(worker, { timeoutMs = 20000 } = {}) {
  if (!worker) return null;
  if (worker.exited) return worker.exited;
  worker.child.kill('SIGTERM');
  try {
    return await within(worker.exit, timeoutMs, 'jq-worker to exit after SIGTERM');
  } catch (err) {
    worker.child.kill('SIGKILL');
    await worker.exit;
    throw new Error(`${err.message}; stderr: ${show(worker.stderr)}`);
  }
}

// ---------------------------------------------------------------------------
// Bull queues

const queues = new Set();

// `new Queue(name, REDIS_URL)` with Bull's default prefix `bull`; closed by main().
function openQueue(name, opts) {
  const queue = opts ? new Queue(name, REDIS_URL, opts) : new Queue(name, REDIS_URL);
  queue.on('error', (err) => console.error(`# bull queue ${name} error: ${err.message}`));
  queues.add(queue);
  return queue;
}

async function closeQueue(queue) {
  queues.delete(queue);
  await within(queue.close(), 20000, `bull queue ${queue.name} to close`);
}

// Print every key of `queue` (prefix bull) with its contents, for diagnosis.
async function dumpQueue(queue, out = console.error) {
  const client = queue.client;
  const pattern = `bull:${queue.name}:*`;
  const keys = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  keys.sort();
  out(`# redis keys ${pattern} (${keys.length}):`);
  for (const key of keys) {
    const type = await client.type(key);
    let value;
    if (type === 'hash') value = await client.hgetall(key);
    else if (type === 'list') value = await client.lrange(key, 0, -1);
    else if (type === 'zset') value = await client.zrange(key, 0, -1, 'WITHSCORES');
    else if (type === 'set') value = await client.smembers(key);
    else if (type === 'string') value = await client.get(key);
    const ttl = await client.pttl(key);
    out(`#   ${key} [${type}${ttl >= 0 ? ` pttl=${ttl}` : ''}] ${show(value)}`);
  }
}

// ---------------------------------------------------------------------------
// The runner

const cases = [];
const failureHooks = [];
const cleanupHooks = [];

function test(name, fn, { timeoutMs = 60000 } = {}) {
  cases.push({ name, fn, timeoutMs });
}

// `fn` runs after each failed case (e.g. dumpQueue) to help diagnosis.
function onFailure(fn) {
  failureHooks.push(fn);
}

// `fn` runs once at the end, before the queues are closed.
function onCleanup(fn) {
  cleanupHooks.push(fn);
}

// For a file whose tests each want a fresh queue with one jq-worker on a
// SQLite file at `dbPath`: `await fixture.setUp(base)` stops the previous
// worker and returns the new queue's name; `fixture.queue` is its Bull
// queue. A failed test dumps that queue; the last worker stops at the end.
function workerPerTest(dbPath) {
  const fixture = { worker: null, queue: null };
  onFailure(() => fixture.queue && dumpQueue(fixture.queue, console.log));
  onCleanup(() => stopWorker(fixture.worker));
  fixture.setUp = async (base) => {
    await stopWorker(fixture.worker);
    const name = uniqueName(base);
    fixture.queue = openQueue(name);
    fixture.worker = await startWorker({ queue: name, dbPath });
    return name;
  };
  return fixture;
}

function indent(text) {
  return String(text)
    .split('\n')
    .map((line) => `#   ${line}`)
    .join('\n');
}

async function main() {
  let passed = 0;
  let failed = 0;
  let n = 0;
  for (const c of cases) {
    n += 1;
    const started = Date.now();
    try {
      await within(Promise.resolve().then(c.fn), c.timeoutMs, `test "${c.name}"`);
      passed += 1;
      console.log(`ok ${n} - ${c.name} (${Date.now() - started} ms)`);
    } catch (err) {
      failed += 1;
      console.log(`not ok ${n} - ${c.name} (${Date.now() - started} ms)`);
      console.log(indent(err && err.stack ? err.stack : show(err)));
      for (const hook of failureHooks) {
        try {
          await within(Promise.resolve().then(hook), 10000, 'failure hook');
        } catch (hookErr) {
          console.log(`# failure hook failed: ${hookErr.message}`);
        }
      }
    }
  }
  for (const hook of cleanupHooks) {
    try {
      await within(Promise.resolve().then(hook), 30000, 'cleanup hook');
    } catch (err) {
      failed += 1;
      console.log(`not ok - cleanup: ${err.message}`);
    }
  }
  for (const child of children) child.kill('SIGKILL');
  for (const queue of [...queues]) {
    try {
      await closeQueue(queue);
    } catch (err) {
      console.log(`# closing bull queue ${queue.name}: ${err.message}`);
    }
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
  // Do not hang on a stray handle: leave 5 s after the summary at the latest.
  setTimeout(() => process.exit(process.exitCode), 5000).unref();
}

process.on('unhandledRejection', (err) => {
  console.log(`# unhandled rejection: ${err && err.stack ? err.stack : show(err)}`);
});

module.exports = {
  Queue,
  REDIS_URL,
  TMPDIR,
  TOOLS,
  sleep,
  show,
  uniqueName,
  tmpPath,
  within,
  waitFor,
  expect,
  parseJson,
  runTool,
  submit,
  inspect,
  inspectCounts,
  startWorker,
  stopWorker,
  openQueue,
  closeQueue,
  dumpQueue,
  test,
  onFailure,
  onCleanup,
  workerPerTest,
  main,
};
