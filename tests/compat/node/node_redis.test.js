// node-redis (the "redis" package, pinned in package.json) against the
// server that tests/lib/with-server started: SWARMLOG_PORT.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { createClient, WatchError } = require('redis');

const port = Number(process.env.SWARMLOG_PORT);
const password = process.env.SWARMLOG_PASSWORD || undefined;
const T = { timeout: 20000 };

async function connect(extra = {}) {
  const c = createClient({
    socket: { host: '127.0.0.1', port, connectTimeout: 10000, reconnectStrategy: false },
    password,
    ...extra,
  });
  c.on('error', () => {}); // surfaced through the rejected promises instead
  await c.connect();
  return c;
}

for (const resp of [2, 3]) {
  test(`RESP${resp}: ping, echo, info`, T, async () => {
    const c = await connect({ RESP: resp });
    try {
      assert.equal(await c.ping(), 'PONG');
      assert.equal(await c.ping('hello'), 'hello');
      assert.equal(await c.echo('hi there'), 'hi there');
      const info = await c.info();
      assert.match(info, /redis_version:/);
      assert.match(await c.info('server'), /^# Server\r\n/);
    } finally {
      c.destroy();
    }
  });

  test(`RESP${resp}: client name and id`, T, async () => {
    const c = await connect({ RESP: resp, name: 'nr-client' });
    try {
      assert.equal(await c.clientGetName(), 'nr-client');
      assert.ok((await c.clientId()) > 0);
      const id = await c.sendCommand(['CLIENT', 'ID']);
      assert.equal(id, await c.clientId());
    } finally {
      c.destroy();
    }
  });

  test(`RESP${resp}: null name, config get, dbsize`, T, async () => {
    const c = await connect({ RESP: resp });
    try {
      assert.equal(await c.clientGetName(), null);
      const cfg = await c.configGet('port');
      assert.equal(cfg.port, String(port));
      assert.equal(await c.dbSize(), 0);
    } finally {
      c.destroy();
    }
  });

  test(`RESP${resp}: errors carry the server text`, T, async () => {
    const c = await connect({ RESP: resp });
    try {
      await assert.rejects(c.sendCommand(['NOSUCHCOMMAND', 'x']),
        { message: "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' " });
      assert.equal(await c.ping(), 'PONG');
    } finally {
      c.destroy();
    }
  });

  test(`RESP${resp}: pipelined pings`, T, async () => {
    const c = await connect({ RESP: resp });
    try {
      const res = await Promise.all(Array.from({ length: 1000 }, () => c.ping()));
      assert.equal(res.length, 1000);
      assert.ok(res.every((v) => v === 'PONG'));
    } finally {
      c.destroy();
    }
  });
}

test('RESP3: HELLO 3 reply is a map', T, async () => {
  const c = await connect({ RESP: 3 });
  try {
    const hello = await c.sendCommand(['HELLO', '3']);
    const get = (k) => (hello instanceof Map ? hello.get(k) : hello[k]);
    assert.equal(Number(get('proto')), 3);
    assert.equal(get('mode'), 'standalone');
    assert.equal(get('role'), 'master');
    assert.ok(Number(get('id')) > 0);
  } finally {
    c.destroy();
  }
});

test('quit closes cleanly', T, async () => {
  const c = await connect();
  assert.equal(await c.ping(), 'PONG');
  await c.close();
});

for (const resp of [2, 3]) {
  test(`RESP${resp}: multi/exec with stream commands`, T, async () => {
    const c = await connect({ RESP: resp });
    try {
      await c.del('nr:tx');
      const res = await c.multi().xAdd('nr:tx', '1-1', { f: 'v' }).xLen('nr:tx').exec();
      assert.deepEqual(res, ['1-1', 1]);
    } finally {
      c.destroy();
    }
  });
}

// ---- the compatibility matrix (docs/compat.md, column node-redis) ----
// node-redis 6 speaks RESP3 by default (DEFAULT_RESP = 3): every check runs
// with the default options and again with RESP: 2.

const PROTOCOLS = [
  { name: 'default (RESP3)', extra: {}, resp: 3 },
  { name: 'RESP2', extra: { RESP: 2 }, resp: 2 },
];

// Skips t (and returns true) against a server that is not swarmlog, e.g.
// under `with-server --redis`, which checks the rest of this file.
async function notSwarmlog(t) {
  const c = await connect();
  try {
    if ((await c.info('server')).includes('swarmlog_version:')) return false;
  } finally {
    c.destroy();
  }
  t.skip("swarmlog's EV commands");
  return true;
}

// Polls fn() every 5 ms until it is true; rejects after ms.
async function waitFor(fn, what, ms = 10000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((res) => setTimeout(res, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const blocked = (c, n) => async () => (await c.info('clients')).includes(`blocked_clients:${n}\r\n`);

// An EV reply with named parts: a Map/object in RESP3, a flat array in
// RESP2; as a plain object either way.
function named(reply) {
  if (reply instanceof Map) return Object.fromEntries(reply);
  if (!Array.isArray(reply)) return reply;
  assert.equal(reply.length % 2, 0, `not a flat map: ${JSON.stringify(reply)}`);
  const o = {};
  for (let i = 0; i < reply.length; i += 2) o[String(reply[i])] = reply[i + 1];
  return o;
}

const msg = (id, message) => ({ id, message });

for (const P of PROTOCOLS) {
  test(`${P.name}: the connection speaks RESP${P.resp}`, T, async () => {
    const c = await connect(P.extra);
    try {
      assert.equal(Number((await c.clientInfo()).resp), P.resp);
    } finally {
      c.destroy();
    }
  });

  test(`${P.name}: xAdd, xRange, xRevRange, xRead BLOCK`, T, async () => {
    const c = await connect(P.extra);
    const reader = await connect(P.extra);
    const k = `nr:st:${P.resp}`;
    try {
      await c.del(k);
      assert.equal(await c.xAdd(k, '1-1', { f: 'a' }), '1-1');
      assert.equal(await c.xAdd(k, '1-*', { f: 'b' }), '1-2');
      await assert.rejects(c.xAdd(k, '1-1', { f: 'c' }), /equal or smaller/);
      const third = await c.xAdd(k, '*', { f: 'c' }, { TRIM: { strategy: 'MAXLEN', strategyModifier: '=', threshold: 2 } });
      assert.equal(await c.xLen(k), 2);
      assert.deepEqual(await c.xRange(k, '-', '+'), [msg('1-2', { f: 'b' }), msg(third, { f: 'c' })]);
      assert.deepEqual(await c.xRange(k, '(1-2', '+'), [msg(third, { f: 'c' })]);
      assert.deepEqual(await c.xRevRange(k, '+', '-', { COUNT: 1 }), [msg(third, { f: 'c' })]);
      assert.deepEqual(await c.xRead({ key: k, id: '1-2' }, { COUNT: 5 }),
        [{ name: k, messages: [msg(third, { f: 'c' })] }]);

      const t0 = Date.now();
      assert.equal(await c.xRead({ key: k, id: '$' }, { BLOCK: 150 }), null);
      assert.ok(Date.now() - t0 >= 140);
      const p = reader.xRead({ key: k, id: '$' }, { BLOCK: 10000 });
      await waitFor(blocked(c, 1), 'the blocked XREAD');
      await c.xAdd(k, '9999999999999-1', { f: 'new' });
      assert.deepEqual(await p, [{ name: k, messages: [msg('9999999999999-1', { f: 'new' })] }]);
      await c.del(k);
    } finally {
      c.destroy();
      reader.destroy();
    }
  });

  test(`${P.name}: consumer groups: xReadGroup, xAck, xPending, xAutoClaim, xInfo*`, T, async () => {
    const c = await connect(P.extra);
    const reader = await connect(P.extra);
    const k = `nr:grp:${P.resp}`;
    try {
      await c.del(k);
      assert.equal(await c.xGroupCreate(k, 'g', '0', { MKSTREAM: true }), 'OK');
      for (const i of [1, 2, 3]) await c.xAdd(k, `${i}-1`, { n: String(i) });
      assert.deepEqual(await c.xReadGroup('g', 'alice', { key: k, id: '>' }, { COUNT: 2 }),
        [{ name: k, messages: [msg('1-1', { n: '1' }), msg('2-1', { n: '2' })] }]);
      assert.deepEqual(await c.xPending(k, 'g'),
        { pending: 2, firstId: '1-1', lastId: '2-1', consumers: [{ name: 'alice', deliveriesCounter: 2 }] });

      const info = await c.xInfoStream(k);
      assert.equal(info.length, 3);
      assert.equal(info.groups, 1);
      assert.equal(info['last-generated-id'], '3-1');
      assert.deepEqual(info['first-entry'], msg('1-1', { n: '1' }));
      const groups = await c.xInfoGroups(k);
      assert.deepEqual(groups.map((g) => [g.name, g.consumers, g.pending, g['last-delivered-id'], g['entries-read'], g.lag]),
        [['g', 1, 2, '2-1', 2, 1]]);
      const consumers = await c.xInfoConsumers(k, 'g');
      assert.deepEqual(consumers.map((x) => [x.name, x.pending]), [['alice', 2]]);
      assert.ok(consumers[0].idle >= 0);

      assert.equal(await c.xAck(k, 'g', ['1-1', '9-9']), 1);
      assert.deepEqual(await c.xAutoClaim(k, 'g', 'bob', 0, '0-0', { COUNT: 10 }),
        { nextId: '0-0', messages: [msg('2-1', { n: '2' })], deletedMessages: [] });
      const rows = await c.xPendingRange(k, 'g', '-', '+', 10);
      assert.deepEqual(rows.map((x) => [x.id, x.consumer, x.deliveriesCounter]), [['2-1', 'bob', 2]]);

      assert.deepEqual(await reader.xReadGroup('g', 'carol', { key: k, id: '>' }, { BLOCK: 10000 }),
        [{ name: k, messages: [msg('3-1', { n: '3' })] }]);
      const q = reader.xReadGroup('g', 'carol', { key: k, id: '>' }, { BLOCK: 10000 });
      await waitFor(blocked(c, 1), 'the blocked XREADGROUP');
      await c.xAdd(k, '4-1', { n: '4' });
      assert.deepEqual(await q, [{ name: k, messages: [msg('4-1', { n: '4' })] }]);
      assert.equal(await c.xAck(k, 'g', ['2-1', '3-1', '4-1']), 3);
      assert.equal((await c.xPending(k, 'g')).pending, 0);
      await c.del(k);
    } finally {
      c.destroy();
      reader.destroy();
    }
  });

  test(`${P.name}: pipelines, multi/exec and watch with stream and EV commands`, T, async (t) => {
    if (await notSwarmlog(t)) return;
    const c = await connect(P.extra);
    const k = `nr:pipe:${P.resp}`;
    try {
      await c.del(k);
      // commands issued in one tick are written together (auto-pipelining)
      const ids = await Promise.all(Array.from({ length: 100 }, (_, i) => c.xAdd(k, `${i + 1}-1`, { i: String(i + 1) })));
      assert.deepEqual(ids, Array.from({ length: 100 }, (_, i) => `${i + 1}-1`));
      // an explicit pipeline: multi() without MULTI/EXEC
      const piped = await c.multi().xLen(k).addCommand(['EV.ADD', k, 'TAGS', '1', 'nr-pipe', 'f', 'v'])
        .xRevRange(k, '+', '-', { COUNT: 1 }).execAsPipeline();
      assert.equal(piped[0], 100);
      const add = named(piped[1]);
      assert.ok(Number.isInteger(add.offset));
      assert.deepEqual(piped[2], [msg(add.id, { f: 'v' })]);

      const tx = await c.multi()
        .xAdd(k, '*', { f: 'tx' })
        .addCommand(['EV.ADD', k, 'TYPE', 'InTx', 'f', 'tx'])
        .xLen(k)
        .exec();
      assert.equal(tx.length, 3);
      assert.match(tx[0], /^\d+-\d+$/);
      assert.equal(named(tx[1]).offset, add.offset + 2);
      assert.equal(tx[2], 103);
      // a runtime error inside EXEC rejects exec() and carries every reply
      await assert.rejects(c.multi().xAdd(k, '1-1', { f: 'dup' }).xLen(k).exec(), (e) => {
        assert.deepEqual(e.errorIndexes, [0]);
        assert.match(String(e.replies[0].message), /equal or smaller/);
        assert.equal(e.replies[1], 103);
        return true;
      });
      // WATCH: a write from another connection makes EXEC answer null
      const other = await connect(P.extra);
      try {
        assert.equal(await c.watch(k), 'OK');
        await other.xAdd(k, '*', { f: 'other' });
        await assert.rejects(c.multi().xAdd(k, '*', { f: 'lost' }).exec(), WatchError);
        assert.equal(await c.xLen(k), 104);
      } finally {
        other.destroy();
      }
      await c.del(k);
    } finally {
      c.destroy();
    }
  });

  test(`${P.name}: EV.ADD, EV.QUERY, EV.READ BLOCK, EV.OFFSETS, EV.NODE via sendCommand`, T, async (t) => {
    if (await notSwarmlog(t)) return;
    const c = await connect(P.extra);
    const reader = await connect(P.extra);
    const k = `nr:orders:${P.resp}`;
    try {
      const rawNode = await c.sendCommand(['EV.NODE']);
      assert.equal(Array.isArray(rawNode), P.resp === 2, 'RESP2: flat array; RESP3: a map');
      const node = named(rawNode);
      assert.equal(node.stream, `${node.node}-0`);
      const present = named(await c.sendCommand(['EV.OFFSETS'])).present;
      const add = named(await c.sendCommand(['EV.ADD', k, 'TAGS', '2', 'region:eu', 'vip', 'TYPE', 'OrderPlaced',
        'EVENTID', `nr-${P.resp}`, 'amount', '10']));
      assert.deepEqual(Object.keys(add), ['stream', 'offset', 'lamport', 'timestamp', 'id']);
      assert.equal(add.stream, node.stream);
      assert.equal(add.offset, node.events);
      assert.equal(add.lamport, node.lamport + 1);
      const again = named(await c.sendCommand(['EV.ADD', k, 'EVENTID', `nr-${P.resp}`, 'amount', '10']));
      assert.equal(again.offset, add.offset);
      assert.equal(named(await c.sendCommand(['EV.NODE'])).events, node.events + 1);
      const offsets = named(await c.sendCommand(['EV.OFFSETS']));
      assert.equal(offsets.present, JSON.stringify({ [node.stream]: add.offset }));
      assert.equal(offsets.toReplicate, '{}');

      const [map, events] = await c.sendCommand(['EV.QUERY', 'WHERE', `${k} & region:eu & vip`, 'TYPES', '1', 'OrderPlaced', 'FROM', present]);
      assert.equal(map, offsets.present);
      assert.equal(events.length, 1);
      const ev = named(events[0]);
      assert.deepEqual([ev.stream, ev.offset, ev.key, ev.id, ev.tags, ev.type, ev.eventid, ev.payload],
        [node.stream, add.offset, k, add.id, [k, 'region:eu', 'vip'], 'OrderPlaced', `nr-${P.resp}`, ['amount', '10']]);
      await assert.rejects(c.sendCommand(['EV.QUERY', 'WHERE', '(']), /ERR/);

      assert.equal(await c.sendCommand(['EV.READ', 'WHERE', k, 'BLOCK', '100', 'FROM', offsets.present]), null);
      const p = reader.sendCommand(['EV.READ', 'WHERE', k, 'COUNT', '10', 'BLOCK', '10000', 'FROM', offsets.present]);
      await waitFor(blocked(c, 1), 'the blocked EV.READ');
      await c.sendCommand(['EV.ADD', `${k}:other`, 'f', 'no match']);
      await c.sendCommand(['EV.ADD', k, 'TYPE', 'Live', 'f', 'v']);
      const [m2, got] = await p;
      assert.deepEqual(got.map((e) => [named(e).key, named(e).type]), [[k, 'Live']]);
      assert.equal(m2, named(await c.sendCommand(['EV.OFFSETS'])).present);
      await c.del([k, `${k}:other`]);
    } finally {
      c.destroy();
      reader.destroy();
    }
  });
}

// EV.SUBSCRIBE cannot be used from node-redis: it only routes pub/sub
// message types. These tests pin down what happens, so that a client upgrade
// that changes it shows up here (and docs/compat.md gets updated).
test('EV.SUBSCRIBE, RESP3: node-redis drops unknown push types', T, async (t) => {
  if (await notSwarmlog(t)) return;
  const c = await connect();
  const sub = await connect();
  try {
    await c.sendCommand(['EV.ADD', 'nr:sub3', 'f', 'history']);
    const p = sub.sendCommand(['EV.SUBSCRIBE', 'WHERE', 'nr:sub3', 'FROM', '{}']);
    sub.ping().catch(() => {}); // its reply is taken by the EV.SUBSCRIBE call
    // the ev.* pushes find no push handler and are dropped; the first plain
    // reply (PONG) settles the call.
    assert.equal(await p, 'PONG');
    await c.del('nr:sub3');
  } finally {
    c.destroy();
    sub.destroy();
  }
});

test('EV.SUBSCRIBE, RESP2: the second message breaks the reply queue', T, async (t) => {
  if (await notSwarmlog(t)) return;
  const c = await connect();
  const sub = createClient({
    socket: { host: '127.0.0.1', port, connectTimeout: 10000, reconnectStrategy: false },
    password, RESP: 2,
  });
  const errors = [];
  sub.on('error', (e) => errors.push(e.message));
  await sub.connect();
  try {
    await c.sendCommand(['EV.ADD', 'nr:sub2', 'f', 'history']);
    assert.deepEqual(await sub.sendCommand(['EV.SUBSCRIBE', 'WHERE', 'nr:sub2', 'FROM', '{}']), ['ev.subscribed', '{}']);
    await waitFor(() => errors.length >= 1, 'an error for the unsolicited ev.event');
    assert.match(errors[0], /Cannot read properties of undefined \(reading 'resolve'\)/);
    await c.del('nr:sub2');
  } finally {
    c.destroy();
    sub.destroy();
  }
});
