'use strict';
// The order workflow shared by the examples and the test: event types, the
// per-order state machine and the fold of events into order states.
//
// Each order is a key `order:<id>` tagged `orders`; its events:
// OrderPlaced -> PaymentReceived -> Shipped, or OrderPlaced -> Cancelled.
const { parseArgs } = require('util');
const Redis = require('ioredis');
const swarmlog = require('../swarmlog');

const TAG = 'orders';
const TYPES = ['OrderPlaced', 'PaymentReceived', 'Shipped', 'Cancelled'];
// status -> { event type -> next status }
const TRANSITIONS = {
  null: { OrderPlaced: 'placed' },
  placed: { PaymentReceived: 'paid', Cancelled: 'cancelled' },
  paid: { Shipped: 'shipped' },
};
const TERMINAL = ['shipped', 'cancelled'];

const orderKey = (id) => `order:${id}`;
const orderId = (key) => (key.startsWith('order:') ? key.slice('order:'.length) : key);

// applied: the "stream:offset" of every event applied, in order; it is what
// the test compares with the log (no event twice, none skipped).
const newOrder = () => ({ status: null, amount: null, applied: [], anomalies: 0 });

// Fold one event into an order's state (changed in place).
function apply(order, ev) {
  const next = (TRANSITIONS[order.status] || {})[ev.type];
  if (next === undefined) order.anomalies += 1; // an event this state cannot take
  else order.status = next;
  if (ev.type === 'OrderPlaced') order.amount = ev.payload.amount;
  order.applied.push(`${ev.stream}:${ev.offset}`);
  return order;
}

// Order states from events in log order: { id: state }.
function fold(events) {
  const orders = {};
  for (const ev of events) {
    if (!ev.key.startsWith('order:')) continue;
    const id = orderId(ev.key);
    apply(orders[id] || (orders[id] = newOrder()), ev);
  }
  return orders;
}

// Command-line options: the connection's plus `options`.
function cli(options) {
  const { values } = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: process.env.SWARMLOG_PORT || '6379' },
      ...options,
    },
  });
  return values;
}

function connect(args) {
  return new Redis({ host: args.host, port: Number(args.port), password: process.env.SWARMLOG_PASSWORD || undefined,
    maxRetriesPerRequest: null });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// swarmlog.publish, retried on connection errors: safe because every publish
// in this workflow carries an event id (a repeat stores nothing).
async function publishRetrying(redis, key, fields, opts, attempts = 20) {
  for (let i = 0; ; i++) {
    try {
      return await swarmlog.publish(redis, key, fields, opts);
    } catch (err) {
      if (err instanceof swarmlog.ReplyError || i === attempts - 1) throw err;
      await sleep(Math.min(50 * 2 ** i, 1000));
    }
  }
}

// A small seeded generator (mulberry32), so runs can be repeated.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

module.exports = { rng, TAG, TYPES, TRANSITIONS, TERMINAL, orderKey, orderId, newOrder, apply, fold, cli, connect, sleep,
  publishRetrying };
