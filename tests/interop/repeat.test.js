'use strict';
// Bull's repeatable jobs, added by a Node producer, run under jq-worker as
// under a Node worker: jq-worker adds each next run when it takes the
// current one, with Bull's ids and keys, until removeRepeatable(), the limit
// or the end date stops them.

const crypto = require('node:crypto');
const h = require('./helpers');

const { expect } = h;

const fixture = h.workerPerTest(h.tmpPath(`repeat-${process.pid}.sqlite`));

const md5 = (text) => crypto.createHash('md5').update(text).digest('hex');

async function completedIds() {
  const jobs = await fixture.queue.getCompleted(0, -1);
  return jobs.map((job) => String(job.id)).sort();
}

// Every completed run has the id Bull gives it: repeat:<md5>:<millis>.
function expectBullIds(ids, repeatKey, what) {
  const prefix = `repeat:${md5(`__default__:${md5(repeatKey)}`)}:`;
  for (const id of ids) {
    expect.ok(id.startsWith(prefix) && /^\d+$/.test(id.slice(prefix.length)),
      `${what}: run id ${id} is Bull's ${prefix}<millis>`);
  }
}

h.test('repeat every 1000 ms: >= 4 runs in 5 s with Bull ids; removeRepeatable stops them', async () => {
  await fixture.setUp('interop-repeat-every');
  await fixture.queue.add({ db: 'app', sql: 'select 1' }, { repeat: { every: 1000 } });
  await h.sleep(5000);
  const ids = await completedIds();
  console.log(`# every 1000 ms: ${ids.length} runs in 5 s`);
  expect.ok(ids.length >= 4, `at least 4 runs in 5 s, got ${ids.length}`);
  expectBullIds(ids, '__default__:::1000', 'every');
  const millis = ids.map((id) => Number(id.split(':')[2])).sort((a, b) => a - b);
  for (let i = 1; i < millis.length; i += 1) {
    expect.equal(millis[i] - millis[i - 1], 1000, `run ${i} is 1000 ms after run ${i - 1}`);
  }
  const repeatable = await fixture.queue.getRepeatableJobs();
  expect.equal(repeatable.map((r) => [r.key, r.every]), [['__default__:::1000', 1000]],
    'getRepeatableJobs() [key, every]');

  await fixture.queue.removeRepeatable({ every: 1000 });
  await h.sleep(1500); // a run taken just before the removal may finish
  const afterRemoval = (await completedIds()).length;
  await h.sleep(2500);
  expect.equal((await completedIds()).length, afterRemoval, 'runs after removeRepeatable()');
  expect.equal(await fixture.queue.getRepeatableJobs(), [], 'getRepeatableJobs() after the removal');
}, { timeoutMs: 30000 });

h.test('repeat cron every second in a time zone: >= 4 runs in 5 s', async () => {
  await fixture.setUp('interop-repeat-cron');
  const repeat = { cron: '* * * * * *', tz: 'Europe/Berlin' };
  await fixture.queue.add({ db: 'app', sql: 'select 2' }, { repeat });
  await h.sleep(5000);
  const ids = await completedIds();
  console.log(`# cron every second: ${ids.length} runs in 5 s`);
  expect.ok(ids.length >= 4, `at least 4 runs in 5 s, got ${ids.length}`);
  expectBullIds(ids, '__default__:::Europe/Berlin:* * * * * *', 'cron');
  await fixture.queue.removeRepeatable(repeat);
}, { timeoutMs: 30000 });

h.test('repeat with a limit of 3 runs 3 times', async () => {
  await fixture.setUp('interop-repeat-limit');
  await fixture.queue.add({ db: 'app', sql: 'select 3' }, { repeat: { every: 300, limit: 3 } });
  await h.sleep(3000);
  const ids = await completedIds();
  expect.equal(ids.length, 3, 'runs of a repeat limited to 3');
  const counts = (await fixture.queue.getCompleted(0, -1)).map((job) => job.opts.repeat.count).sort();
  expect.equal(counts, [1, 2, 3], 'opts.repeat.count of the runs');
}, { timeoutMs: 30000 });

h.main();
