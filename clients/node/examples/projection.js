#!/usr/bin/env node
'use strict';
// Folds the order events into current order states, exactly once.
//
// The states and the offset map live in one JSON file, { offsets, orders },
// replaced atomically (temp file, fsync, rename, directory fsync) after each
// batch: the events' effects and the cursor past them are on disk together
// or not at all. Killed at any point, the projection restarts from the file:
// the map that goes with the state: nothing applied twice, nothing skipped.
//
//   node projection.js --port 7000 --state orders.json [--mode read|subscribe|query] [--until-caught-up]
//
// Modes: read (EV.READ BLOCK loop, the default), subscribe (EV.SUBSCRIBE),
// query (EV.QUERY pages, then polls). --until-caught-up exits once the
// projection has everything stored when it checks.
const fsp = require('fs').promises;
const swarmlog = require('../swarmlog');
const orders = require('./orders');

async function loadState(file) {
  try {
    const s = JSON.parse(await fsp.readFile(file, 'utf8'));
    return { offsets: swarmlog.OffsetMap.coerce(s.offsets), orders: s.orders };
  } catch (err) {
    if (err.code === 'ENOENT') return { offsets: new swarmlog.OffsetMap(), orders: {} };
    throw err;
  }
}

async function saveState(file, state) {
  await swarmlog.atomicWriteFile(file, JSON.stringify({ offsets: state.offsets, orders: state.orders }));
}

async function* batches(redis, mode, cursor) {
  const opts = { where: orders.TAG, count: 200 };
  if (mode === 'read') yield* swarmlog.readLoop(redis, cursor, { ...opts, blockMs: 300 });
  else if (mode === 'subscribe') yield* swarmlog.subscribe(redis, cursor, { ...opts, maxBatch: 200, idleMs: 300 });
  else {
    let cur = cursor;
    for (;;) {
      for await (const batch of swarmlog.pages(redis, cur, opts)) {
        cur = batch.offsets;
        yield batch;
      }
      await orders.sleep(200);
    }
  }
}

// Stands for real work per event: blocks for `ms`.
function work(ms) {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

async function main() {
  const args = orders.cli({
    state: { type: 'string' },
    mode: { type: 'string', default: 'read' },
    'until-caught-up': { type: 'boolean', default: false },
    'work-ms': { type: 'string', default: '0' },
  });
  if (!args.state) throw new Error('--state FILE is required');
  if (!['read', 'subscribe', 'query'].includes(args.mode)) throw new Error(`bad --mode ${args.mode}`);
  let stopping = false;
  process.on('SIGTERM', () => { stopping = true; });
  process.on('SIGINT', () => { stopping = true; });
  const workMs = Number(args['work-ms']);
  const state = await loadState(args.state);
  const redis = orders.connect(args);
  let applied = 0;
  for await (const batch of batches(redis, args.mode, state.offsets)) {
    if (batch.events.length || !batch.offsets.equals(state.offsets)) {
      for (const ev of batch.events) {
        work(workMs);
        const id = orders.orderId(ev.key);
        orders.apply(state.orders[id] || (state.orders[id] = orders.newOrder()), ev);
      }
      state.offsets = batch.offsets;
      await saveState(args.state, state); // the state and its map, in one atomic write
      applied += batch.events.length;
    }
    if (stopping || (args['until-caught-up'] && batch.caughtUp && !batch.events.length)) break;
  }
  console.log(`projection: applied ${applied} events, at ${state.offsets}`);
  redis.disconnect();
}

main().catch((err) => {
  console.error('projection:', err);
  process.exit(1);
});
