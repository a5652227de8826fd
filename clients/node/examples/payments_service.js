#!/usr/bin/env node
'use strict';
// Reacts to OrderPlaced: takes the payment (PaymentReceived), then ships
// (Shipped). Runs until SIGTERM/SIGINT.
//
// At-least-once with idempotent effects: it reads OrderPlaced events with
// EV.READ BLOCK from a cursor file it saves after each batch, and for each
// order runs the optimistic-concurrency loop of docs/event-log.md: read the
// order's events (its revision), decide, EV.ADD ... EXPECT <revision> with an
// event id (paid:<id>, shipped:<id>); on WRONGVERSION read again. A batch
// seen twice after a crash, or a cancellation racing the payment, changes
// nothing.
//
//   node payments_service.js --port 7000 --cursor /tmp/payments.offsets
const swarmlog = require('../swarmlog');
const orders = require('./orders');

// Drive one order to a terminal state; resolves to it.
async function advance(redis, key) {
  const id = orders.orderId(key);
  for (;;) {
    const { events, revision } = await swarmlog.keyEvents(redis, key);
    const state = orders.fold(events)[id] || orders.newOrder();
    try {
      if (state.status === 'placed') {
        await orders.publishRetrying(redis, key, { amount: state.amount },
          { tags: [orders.TAG], type: 'PaymentReceived', eventId: `paid:${id}`, expect: revision });
      } else if (state.status === 'paid') {
        await orders.publishRetrying(redis, key, { carrier: 'swarm-post' },
          { tags: [orders.TAG], type: 'Shipped', eventId: `shipped:${id}`, expect: revision });
      } else {
        return state.status;
      }
    } catch (err) {
      if (!(err instanceof swarmlog.WrongVersion)) throw err;
      // someone else wrote to the order meanwhile: read again
    }
  }
}

async function main() {
  const args = orders.cli({ cursor: { type: 'string' } });
  if (!args.cursor) throw new Error('--cursor FILE is required');
  let stopping = false;
  process.on('SIGTERM', () => { stopping = true; });
  process.on('SIGINT', () => { stopping = true; });
  const redis = orders.connect(args);
  let cursor = await swarmlog.OffsetMap.load(args.cursor);
  let handled = 0;
  for await (const batch of swarmlog.readLoop(redis, cursor,
    { where: orders.TAG, types: ['OrderPlaced'], count: 100, blockMs: 300 })) {
    for (const ev of batch.events) {
      await advance(redis, ev.key);
      handled += 1;
    }
    if (!batch.offsets.equals(cursor)) {
      await batch.offsets.save(args.cursor);
      cursor = batch.offsets;
    }
    if (stopping) break;
  }
  console.log(`payments_service: handled ${handled} orders`);
  redis.disconnect();
}

main().catch((err) => {
  console.error('payments_service:', err);
  process.exit(1);
});
