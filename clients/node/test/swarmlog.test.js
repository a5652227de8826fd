#!/usr/bin/env node
'use strict';
// The helpers of clients/node/swarmlog.js against a running server
// (tests/lib/with-server exports SWARMLOG_PORT). Exits nonzero on the first
// failure; 77 (skipped) when the npm packages are missing outside CI.
//   tests/lib/with-server node clients/node/test/swarmlog.test.js
const assert = require('assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');

try {
  require.resolve('ioredis');
} catch {
  console.error('ioredis missing: run .ci/deps (npm ci in clients/node)');
  process.exit(process.env.CI === 'true' ? 1 : 77);
}
const Redis = require('ioredis');
const swarmlog = require('../swarmlog');
const { OffsetMap } = swarmlog;

const PORT = Number(process.env.SWARMLOG_PORT);
const PASSWORD = process.env.SWARMLOG_PASSWORD || undefined;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(pred, ms, what) {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function offsetMapTests() {
  const m = OffsetMap.parse(Buffer.from('{"b-0":3,"a-0":7}'));
  assert.equal(m.toString(), '{"a-0":7,"b-0":3}', 'serialized sorted, compact');
  m.merge('{"a-0":2,"c-0":0}').merge({ 'b-0': 9 });
  assert.deepEqual(m.toJSON(), { 'a-0': 7, 'b-0': 9, 'c-0': 0 }, 'merge is a pointwise maximum');
  for (const bad of ['[]', '{"a":-1}', '{"a":true}', '{"a":1.5}', 'x', '{"a":"1"}', 'null']) {
    assert.throws(() => OffsetMap.parse(bad), Error, `parse ${bad}`);
  }
  assert.ok(OffsetMap.coerce(null).equals({}), 'null is the empty map');
  assert.ok(m.covers({ stream: 'a-0', offset: 7 }) && !m.covers({ stream: 'a-0', offset: 8 }) &&
    !m.covers({ stream: 'x-0', offset: 0 }), 'covers');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'swarmlog-node-unit.'));
  const file = path.join(dir, 'cursor.json');
  assert.ok((await OffsetMap.load(file)).equals({}), 'a missing file loads as the empty map');
  await m.save(file);
  assert.ok((await OffsetMap.load(file)).equals(m), 'save/load round trip');
  await new OffsetMap({ 'z-0': 1 }).save(file);
  assert.deepEqual((await OffsetMap.load(file)).toJSON(), { 'z-0': 1 }, 'save replaces');
  assert.deepEqual(fs.readdirSync(dir), ['cursor.json'], 'no temp files left behind');
  fs.rmSync(dir, { recursive: true });
}

async function serverTests(redis, tag) {
  const k = `k${tag}`;
  const p0 = await swarmlog.publish(redis, k, { n: '0', bin: Buffer.from([0xff, 0, 0x78]) },
    { tags: [tag, `t:${tag}`], type: 'A', eventId: `e0${tag}`, expect: 'NOKEY' });
  assert.equal(typeof p0.offset, 'number');
  assert.deepEqual(await swarmlog.publish(redis, k, { n: 'other' }, { type: 'A', eventId: `e0${tag}`, expect: 5 }), p0,
    'a repeated event id answers the stored position');
  await assert.rejects(swarmlog.publish(redis, k, { n: 'x' }, { expect: 3 }),
    (e) => e instanceof swarmlog.WrongVersion && e instanceof swarmlog.ReplyError && e.expected === 3 &&
      e.revision === 0 && e.name === 'WrongVersion', 'EXPECT 3');
  await assert.rejects(swarmlog.publish(redis, k, { n: 'x' }, { expect: 'NOKEY' }),
    (e) => e instanceof swarmlog.WrongVersion && e.expected === 'NOKEY' && e.revision === 0, 'NOKEY');
  await assert.rejects(swarmlog.publish(redis, k, {}), /at least one field/);
  for (let i = 1; i < 6; i++) {
    await swarmlog.publish(redis, k, [['n', String(i)]], { tags: [tag], type: i % 2 ? 'B' : 'A', expect: i - 1 });
  }
  const ke = await swarmlog.keyEvents(redis, k);
  assert.deepEqual([ke.events.length, ke.revision], [6, 5], 'keyEvents and revision');

  const { offsets: m, events } = await swarmlog.query(redis, { where: tag });
  assert.deepEqual(events.map((e) => e.payload.n), ['0', '1', '2', '3', '4', '5'], 'query all');
  const ev = events[0];
  assert.deepEqual([ev.key, ev.type, ev.eventid, ev.tags[0], ev.stream, ev.offset],
    [k, 'A', `e0${tag}`, k, p0.stream, p0.offset], 'event fields');
  assert.equal(events[1].eventid, null, 'no event id');
  assert.equal(m.get(p0.stream), events[5].offset, 'returned map ends at the last event');
  const bin = (await swarmlog.query(redis, { where: tag, count: 1, buffers: true })).events[0];
  assert.deepEqual(bin.payload.bin, Buffer.from([0xff, 0, 0x78]), 'binary payload with buffers: true');
  assert.equal(bin.key, k, 'strings stay strings with buffers: true');
  const seen = [];
  let cur = new OffsetMap();
  for (;;) {
    const page = await swarmlog.query(redis, { where: tag, from: cur, count: 2 });
    if (!page.events.length) break;
    seen.push(...page.events.map((e) => e.payload.n));
    cur = page.offsets;
  }
  assert.deepEqual(seen, ['0', '1', '2', '3', '4', '5'], 'paging with the returned map');
  assert.deepEqual((await swarmlog.query(redis, { where: tag, types: ['B'] })).events.map((e) => e.payload.n),
    ['1', '3', '5'], 'TYPES');
  assert.deepEqual((await swarmlog.query(redis, { where: tag, types: 'A', order: 'LAMPORTDESC', count: 2 }))
    .events.map((e) => e.payload.n), ['4', '2'], 'LAMPORTDESC');
  const sizes = [];
  for await (const b of swarmlog.pages(redis, null, { where: tag, count: 4 })) sizes.push([b.events.length, b.caughtUp]);
  assert.deepEqual(sizes, [[4, false], [2, true]], 'pages');

  // read: from a cursor; a timeout keeps the cursor; BLOCK wakes.
  const mid = new OffsetMap().merge(events[2]);
  const r1 = await swarmlog.read(redis, { from: mid, where: tag });
  assert.deepEqual(r1.events.map((e) => e.payload.n), ['3', '4', '5'], 'read after a cursor');
  const t0 = Date.now();
  const r2 = await swarmlog.read(redis, { from: r1.offsets, where: tag, block: 100 });
  assert.ok(r2.offsets.equals(r1.offsets) && r2.events.length === 0 && Date.now() - t0 >= 90, 'read timeout');
  setTimeout(() => swarmlog.publish(redis, k, { n: '6' }, { tags: [tag] }), 200);
  for await (const b of swarmlog.readLoop(redis, r1.offsets, { where: tag, blockMs: 5000 })) {
    assert.deepEqual(b.events.map((e) => e.payload.n), ['6'], 'readLoop wakes on a new event');
    assert.ok(b.offsets.covers(b.events[0]), "the batch's cursor covers its events");
    break;
  }

  // subscribe: history, the boundary, live; resume from a cursor.
  const clients = async () => Number(/connected_clients:(\d+)/.exec(await redis.info('clients'))[1]);
  // Only this test's connection once readLoop's own one has gone.
  await waitUntil(async () => (await clients()) === 1, 5000, "readLoop's connection to close");
  const before = 1;
  const sub = swarmlog.subscribe(redis, mid, { where: tag, maxBatch: 2, idleMs: 200 });
  const got = [];
  let b;
  do {
    b = (await sub.next()).value;
    got.push(...b.events.map((e) => e.payload.n));
  } while (!b.caughtUp);
  const atBoundary = b.offsets;
  assert.deepEqual(got, ['3', '4', '5', '6'], 'subscribe history from a cursor');
  await swarmlog.publish(redis, k, { n: '7' }, { tags: [tag] });
  await swarmlog.publish(redis, `other${tag}`, { n: 'x' });
  do b = (await sub.next()).value; while (!b.events.length);
  assert.deepEqual(b.events.map((e) => e.payload.n), ['7'], 'subscribe live');
  assert.deepEqual((await sub.next()).value.events, [], 'idle batch');
  await sub.return();
  await waitUntil(async () => (await clients()) === before, 5000, 'the subscription to close');
  assert.ok(b.offsets.covers(b.events[0]) && !atBoundary.covers(b.events[0]), 'subscribe cursors');
  assert.deepEqual((await swarmlog.query(redis, { where: tag, from: b.offsets })).events, [],
    "nothing after the subscription's cursor");

  const nd = await swarmlog.node(redis);
  const { present, toReplicate } = await swarmlog.offsets(redis);
  assert.equal(present.get(nd.stream) + 1, nd.events, 'node/offsets');
  assert.equal(toReplicate.size, 0);
  await assert.rejects(swarmlog.query(redis, { where: '((' }), swarmlog.ReplyError, 'bad WHERE');
  await assert.rejects(swarmlog.subscribe(redis, null, { where: '((' }).next(), swarmlog.ReplyError,
    'bad WHERE subscribe');
}

async function main() {
  await offsetMapTests();
  const redis = new Redis({ host: '127.0.0.1', port: PORT, password: PASSWORD });
  await serverTests(redis, 'one');
  redis.disconnect();
  console.log('swarmlog.test: OK');
}

main().catch((err) => {
  console.log('FAIL swarmlog.test:', err && err.stack ? err.stack : err);
  process.exit(1);
});
