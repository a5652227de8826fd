#!/usr/bin/env node
'use strict';
// Places orders (OrderPlaced) and cancels some (Cancelled).
//
// Every event carries an event id (placed:<id>, cancelled:<id>), so a retry
// after a lost reply or a restart stores nothing twice. A cancellation is
// EXPECT 0: it only lands while the order is still just placed; when
// payments_service got there first the server answers WRONGVERSION.
//
//   node orders_publisher.js --port 7000 --orders 100 --rate 50 [--prefix o] [--seed 1]
const swarmlog = require('../swarmlog');
const orders = require('./orders');

async function main() {
  const args = orders.cli({
    orders: { type: 'string', default: '100' },
    rate: { type: 'string', default: '50' },
    prefix: { type: 'string', default: 'o' },
    cancel: { type: 'string', default: '0.1' },
    'cancel-late': { type: 'string', default: '0.1' },
    seed: { type: 'string', default: String(Date.now() % 1e9) },
  });
  const rand = orders.rng(Number(args.seed));
  const n = Number(args.orders);
  const rate = Number(args.rate);
  const redis = orders.connect(args);
  const placed = [];
  const cancelled = new Set();
  let tooLate = 0;
  const start = Date.now();
  for (let i = 0; i < n; i++) {
    const id = `${args.prefix}${i}`;
    try {
      await orders.publishRetrying(redis, orders.orderKey(id),
        { amount: String(1 + Math.floor(rand() * 500)), customer: `c${1 + Math.floor(rand() * 20)}` },
        { tags: [orders.TAG], type: 'OrderPlaced', eventId: `placed:${id}`, expect: 'NOKEY' });
    } catch (err) {
      if (!(err instanceof swarmlog.WrongVersion)) throw err; // placed by an earlier run (same prefix)
    }
    placed.push(id);
    let victim = null;
    if (rand() < Number(args.cancel)) victim = id;
    else if (rand() < Number(args['cancel-late']) && placed.length > 1) {
      const recent = placed.slice(-10, -1);
      victim = recent[Math.floor(rand() * recent.length)];
    }
    if (victim !== null) {
      try {
        await orders.publishRetrying(redis, orders.orderKey(victim), { reason: 'customer' },
          { tags: [orders.TAG], type: 'Cancelled', eventId: `cancelled:${victim}`, expect: 0 });
        cancelled.add(victim); // a repeat answers the stored event
      } catch (err) {
        if (!(err instanceof swarmlog.WrongVersion)) throw err;
        tooLate += 1; // already paid: nothing stored
      }
    }
    if (rate > 0) {
      const delay = start + ((i + 1) * 1000) / rate - Date.now();
      if (delay > 0) await orders.sleep(delay);
    }
  }
  console.log(`orders_publisher: placed ${placed.length}, cancelled ${cancelled.size}, too late to cancel ${tooLate}`);
  redis.disconnect();
}

main().catch((err) => {
  console.error('orders_publisher:', err);
  process.exit(1);
});
