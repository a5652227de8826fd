#!/usr/bin/env node
'use strict';
// The order workflow under fire: exactly-once projection across SIGKILLs.
//
// Runs against the server started by tests/lib/with-server (SWARMLOG_PORT):
// 1. starts payments_service and orders_publisher (two publishing processes);
// 2. while orders keep arriving, runs the projection (rotating through its
//    read, subscribe and query modes) and SIGKILLs it at random points after
//    it made progress, restarting it each time;
// 3. waits for the publisher to finish and every order to reach a terminal
//    state, stops payments_service, lets the projection catch up;
// 4. checks the projection's state file against a fold of one full EV.QUERY
//    of the log: per order the status, the amount and the exact list of
//    events applied (stream:offset, in order: none twice, none skipped), no
//    anomalies, its saved offset map equal to the query's; plus the
//    workflow's invariants (paid-then-shipped or cancelled, unique event ids).
//
// Exits nonzero on failure; 77 (skipped) when the npm packages are missing
// outside CI. Run:
//   tests/lib/with-server node clients/node/test/orders.test.js [--seed N]
const path = require('path');
const fs = require('fs');
const os = require('os');
const { spawn } = require('child_process');
const { parseArgs } = require('util');

try {
  require.resolve('ioredis');
} catch {
  console.error('ioredis missing: run .ci/deps (npm ci in clients/node)');
  process.exit(process.env.CI === 'true' ? 1 : 77);
}
const Redis = require('ioredis');
const swarmlog = require('../swarmlog');
const orders = require('../examples/orders');

const EXAMPLES = path.join(__dirname, '..', 'examples');
const PORT = Number(process.env.SWARMLOG_PORT);
const children = [];

function fail(msg) {
  console.log(`FAIL orders.test: ${msg}`);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  process.exit(1);
}

function check(cond, msg) {
  if (!cond) fail(typeof msg === 'function' ? msg() : msg);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(pred, timeoutMs, what, intervalMs = 20) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > deadline) fail(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

function run(script, ...args) {
  const child = spawn(process.execPath, [path.join(EXAMPLES, script), '--port', String(PORT), ...args],
    { stdio: ['ignore', 'inherit', 'inherit'] });
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  children.push(child);
  return child;
}

const running = (c) => c.exitCode === null && c.signalCode === null;

async function waitExit(child, timeoutMs, what) {
  let timer;
  const r = await Promise.race([child.exited, new Promise((resolve) => { timer = setTimeout(() => resolve(null), timeoutMs); })]);
  clearTimeout(timer);
  if (r === null) fail(`${what} did not exit within ${timeoutMs / 1000} s`);
  return r;
}

function loadState(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if (err.code === 'ENOENT') return { offsets: {}, orders: {} };
    throw err; // the file is replaced atomically: it must always parse
  }
}

const committed = (file) => swarmlog.OffsetMap.coerce(loadState(file).offsets);
const total = (m) => [...m.map.values()].reduce((a, v) => a + v + 1, 0);

async function main() {
  const { values: args } = parseArgs({
    options: {
      seed: { type: 'string', default: String(Math.floor(Math.random() * 2 ** 30)) },
      orders: { type: 'string', default: '400' },
      rate: { type: 'string', default: '50' },
      'min-kills': { type: 'string', default: '8' },
    },
  });
  console.log(`orders.test: seed ${args.seed}`);
  const rand = orders.rng(Number(args.seed));
  const uniform = (lo, hi) => lo + rand() * (hi - lo);
  const nOrders = Number(args.orders);
  const minKills = Number(args['min-kills']);
  const redis = new Redis({ host: '127.0.0.1', port: PORT, password: process.env.SWARMLOG_PASSWORD || undefined });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'swarmlog-node-orders.'));
  const stateFile = path.join(tmp, 'projection.json');
  const started = Date.now();
  const present = async () => (await swarmlog.offsets(redis)).present;

  const pay = run('payments_service.js', '--cursor', path.join(tmp, 'payments.offsets'));
  const pub = run('orders_publisher.js', '--orders', args.orders, '--rate', args.rate, '--seed', args.seed);

  // 2. kill the projection again and again while events keep arriving.
  const modes = ['read', 'subscribe', 'query'];
  let kills = 0;
  let killsWhilePublishing = 0;
  let killsBehind = 0;
  let last = new swarmlog.OffsetMap();
  while (running(pub) || kills < minKills) {
    check(Date.now() - started < 40000, `the kill loop ran past 40 s (${kills} kills)`);
    check(pub.exitCode === null || pub.exitCode === 0, `orders_publisher failed: ${pub.exitCode}`);
    check(running(pay), `payments_service died: ${pay.exitCode} ${pay.signalCode}`);
    const mode = modes[kills % modes.length];
    const proj = run('projection.js', '--state', stateFile, '--mode', mode, '--work-ms', '1');
    // Progress first (its cursor moves, or there is nothing left to do)...
    await waitUntil(async () => !committed(stateFile).equals(last) ||
      (!running(pub) && committed(stateFile).equals(await present())), 20000,
    `the projection (${mode}) to make progress`);
    // ...then a random moment within the next ~0.6 s.
    await sleep(uniform(0, 600));
    const publishing = running(pub);
    const atKill = await present();
    proj.kill('SIGKILL');
    const r = await waitExit(proj, 10000, 'killed projection');
    check(r.signal === 'SIGKILL', () => `projection (${mode}) exited before it was killed: ${JSON.stringify(r)}`);
    kills += 1;
    if (publishing) killsWhilePublishing += 1;
    last = committed(stateFile);
    const behind = total(atKill) - total(last);
    if (behind > 0) killsBehind += 1;
    console.log(`orders.test: kill ${kills} (${mode}): committed ${total(last)} events, ${behind} behind the log` +
      `${publishing ? ', publishing' : ''}`);
    await sleep(uniform(0, 300)); // down for a while: a backlog builds up
  }
  const pr = await waitExit(pub, 30000, 'orders_publisher');
  check(pr.code === 0, () => `orders_publisher failed: ${JSON.stringify(pr)}`);
  check(killsWhilePublishing >= 5, `only ${killsWhilePublishing} kills landed while events kept arriving`);
  check(killsBehind >= 3, `only ${killsBehind} kills landed with the projection behind the log`);

  // 3. every order settles; then the payments service stops.
  await waitUntil(async () => {
    const st = orders.fold((await swarmlog.query(redis, { where: orders.TAG })).events);
    return Object.keys(st).length === nOrders && Object.values(st).every((o) => orders.TERMINAL.includes(o.status));
  }, 20000, 'every order to be shipped or cancelled', 100);
  pay.kill('SIGTERM');
  const payr = await waitExit(pay, 10000, 'payments_service');
  check(payr.code === 0, () => `payments_service failed: ${JSON.stringify(payr)}`);
  const final = run('projection.js', '--state', stateFile, '--mode', modes[Math.floor(rand() * 3)], '--until-caught-up');
  const fr = await waitExit(final, 20000, 'the final projection run');
  check(fr.code === 0, () => `projection failed: ${JSON.stringify(fr)}`);

  // 4. the projection equals the fold of one full query of the log.
  const { offsets: logMap, events } = await swarmlog.query(redis, { where: orders.TAG });
  check(events.length === total(logMap), `the full query returned ${events.length} events for map ${logMap}`);
  const expected = orders.fold(events);
  const state = loadState(stateFile);
  const got = state.orders;
  check(swarmlog.OffsetMap.coerce(state.offsets).equals(logMap),
    () => `projection cursor ${JSON.stringify(state.offsets)} != log ${logMap}`);
  const gotIds = Object.keys(got).sort();
  const wantIds = Object.keys(expected).sort();
  check(JSON.stringify(gotIds) === JSON.stringify(wantIds), () => `orders differ: ${gotIds.length} projected, ` +
    `${wantIds.length} in the log`);
  const applied = Object.values(got).reduce((a, o) => a + o.applied.length, 0);
  check(applied === events.length, `the projection applied ${applied} events, the log has ${events.length}`);
  for (const [id, want] of Object.entries(expected)) {
    const have = got[id];
    check(JSON.stringify(have.applied) === JSON.stringify(want.applied),
      () => `order ${id}: applied ${have.applied}, the log has ${want.applied} (twice or skipped)`);
    check(JSON.stringify(have) === JSON.stringify(want),
      () => `order ${id}: projected ${JSON.stringify(have)}, log fold ${JSON.stringify(want)}`);
    check(want.anomalies === 0, `order ${id}: impossible event sequence in the log`);
  }

  // The workflow's invariants, from the same query.
  const seqs = {};
  for (const ev of events) (seqs[orders.orderId(ev.key)] ||= []).push(ev.type);
  const ok = ['OrderPlaced,PaymentReceived,Shipped', 'OrderPlaced,Cancelled'];
  const bad = Object.entries(seqs).filter(([, s]) => !ok.includes(s.join(',')));
  check(bad.length === 0, () => `orders with an impossible history: ${JSON.stringify(bad.slice(0, 5))}`);
  const ids = events.map((e) => e.eventid);
  check(!ids.includes(null) && new Set(ids).size === ids.length, 'event ids missing or repeated');
  const status = {};
  for (const o of Object.values(expected)) status[o.status] = (status[o.status] || 0) + 1;
  check(status.shipped > 0 && status.cancelled > 0, () => `expected shipped and cancelled orders: ${JSON.stringify(status)}`);
  console.log(`orders.test: OK — ${nOrders} orders (${JSON.stringify(status)}), ${events.length} events, ${kills} kills ` +
    `(${killsWhilePublishing} while publishing, ${killsBehind} behind), ${((Date.now() - started) / 1000).toFixed(1)} s`);
  redis.disconnect();
  fs.rmSync(tmp, { recursive: true, force: true });
}

main().catch((err) => fail(err && err.stack ? err.stack : String(err)));
