// ioredis (pinned in package.json) against the server that
// tests/lib/with-server started: SWARMLOG_PORT.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const Redis = require('ioredis');

const port = Number(process.env.SWARMLOG_PORT);
const password = process.env.SWARMLOG_PASSWORD || undefined;
const opts = { host: '127.0.0.1', port, password, maxRetriesPerRequest: 1, connectTimeout: 10000 };
const T = { timeout: 20000 };

test('default options: connect, ping, echo', T, async () => {
  const r = new Redis(opts);
  try {
    assert.equal(await r.ping(), 'PONG');
    assert.equal(await r.ping('hello'), 'hello');
    assert.equal(await r.echo('hi there'), 'hi there');
    assert.equal(r.status, 'ready');
  } finally {
    r.disconnect();
  }
});

test('info has redis_version and the port', T, async () => {
  const r = new Redis(opts);
  try {
    const info = await r.info();
    assert.match(info, /redis_version:/);
    assert.match(info, new RegExp(`tcp_port:${port}\\r\\n`));
    const server = await r.info('server');
    assert.match(server, /^# Server\r\n/);
  } finally {
    r.disconnect();
  }
});

test('connectionName is set with CLIENT SETNAME', T, async () => {
  const r = new Redis({ ...opts, connectionName: 'io-client' });
  try {
    assert.equal(await r.client('GETNAME'), 'io-client');
    assert.ok((await r.client('ID')) > 0);
    assert.match(await r.client('INFO'), /name=io-client /);
  } finally {
    r.disconnect();
  }
});

test('config get, dbsize, time', T, async () => {
  const r = new Redis(opts);
  try {
    assert.deepEqual(await r.config('GET', 'port'), ['port', String(port)]);
    assert.equal(await r.dbsize(), 0);
    const [secs, usecs] = await r.time();
    assert.ok(Number(secs) > 1600000000);
    assert.ok(Number(usecs) >= 0 && Number(usecs) < 1000000);
  } finally {
    r.disconnect();
  }
});

test('errors are rejected with the server text', T, async () => {
  const r = new Redis(opts);
  try {
    await assert.rejects(r.call('NOSUCHCOMMAND', 'x'),
      { message: "ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' " });
    await assert.rejects(r.call('ECHO'),
      { message: "ERR wrong number of arguments for 'echo' command" });
    assert.equal(await r.ping(), 'PONG');
  } finally {
    r.disconnect();
  }
});

test('pipeline of 1000 pings', T, async () => {
  const r = new Redis(opts);
  try {
    const p = r.pipeline();
    for (let i = 0; i < 1000; i++) p.ping();
    const res = await p.exec();
    assert.equal(res.length, 1000);
    for (const [err, val] of res) {
      assert.equal(err, null);
      assert.equal(val, 'PONG');
    }
  } finally {
    r.disconnect();
  }
});

test('auto-pipelining keeps order', T, async () => {
  const r = new Redis({ ...opts, enableAutoPipelining: true });
  try {
    const res = await Promise.all(Array.from({ length: 500 }, (_, i) => r.echo(String(i))));
    assert.deepEqual(res, Array.from({ length: 500 }, (_, i) => String(i)));
  } finally {
    r.disconnect();
  }
});

test('quit closes cleanly', T, async () => {
  const r = new Redis(opts);
  assert.equal(await r.ping(), 'PONG');
  assert.equal(await r.quit(), 'OK');
});

test('multi/exec with stream commands, and watch', T, async () => {
  const r = new Redis(opts);
  const other = new Redis(opts);
  try {
    await r.del('io:tx');
    const res = await r.multi().xadd('io:tx', '1-1', 'f', 'v').xadd('io:tx', '1-1', 'f', 'v').xlen('io:tx').exec();
    assert.deepEqual(res[0], [null, '1-1']);
    assert.match(String(res[1][0]), /equal or smaller/);
    assert.deepEqual(res[2], [null, 1]);
    await r.watch('io:tx');
    await other.xadd('io:tx', '2-2', 'f', 'v');
    assert.equal(await r.multi().xadd('io:tx', '3-3', 'f', 'v').exec(), null);
    assert.equal(await r.xlen('io:tx'), 2);
  } finally {
    r.disconnect();
    other.disconnect();
  }
});

// ---- the compatibility matrix (docs/compat.md, column ioredis) ----
// ioredis 6 speaks RESP3 by default (HELLO 3; replyMapping "legacy" turns
// maps into RESP2-shaped flat arrays), so every check runs with the default
// options and again with `protocol: 2`.

const PROTOCOLS = [
  { name: 'default (RESP3)', extra: {}, resp: 3 },
  { name: 'protocol 2', extra: { protocol: 2 }, resp: 2 },
];

// Skips t (and returns true) against a server that is not swarmlog, e.g.
// under `with-server --redis`, which checks the rest of this file.
async function notSwarmlog(t) {
  const r = new Redis(opts);
  try {
    if ((await r.info('server')).includes('swarmlog_version:')) return false;
  } finally {
    r.disconnect();
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

const blocked = (r, n) => async () => (await r.info('clients')).includes(`blocked_clients:${n}\r\n`);

// A flat [name, value, ...] reply as an object.
function flat(reply) {
  assert.ok(Array.isArray(reply) && reply.length % 2 === 0, `not a flat map: ${JSON.stringify(reply)}`);
  const o = {};
  for (let i = 0; i < reply.length; i += 2) o[String(reply[i])] = reply[i + 1];
  return o;
}

for (const P of PROTOCOLS) {
  test(`${P.name}: the connection speaks RESP${P.resp}`, T, async () => {
    const r = new Redis({ ...opts, ...P.extra });
    try {
      assert.match(await r.client('INFO'), new RegExp(` resp=${P.resp}(\\s|$)`));
    } finally {
      r.disconnect();
    }
  });

  test(`${P.name}: xadd, xrange, xrevrange, xread BLOCK`, T, async () => {
    const r = new Redis({ ...opts, ...P.extra });
    const reader = new Redis({ ...opts, ...P.extra });
    const k = `io:st:${P.resp}`;
    try {
      await r.del(k);
      assert.equal(await r.xadd(k, '1-1', 'f', 'a'), '1-1');
      assert.equal(await r.xadd(k, '1-*', 'f', 'b'), '1-2');
      await assert.rejects(r.xadd(k, '1-1', 'f', 'c'), /equal or smaller/);
      const third = await r.xadd(k, 'MAXLEN', '=', 2, '*', 'f', 'c');
      assert.equal(await r.xlen(k), 2);
      assert.deepEqual(await r.xrange(k, '-', '+'), [['1-2', ['f', 'b']], [third, ['f', 'c']]]);
      assert.deepEqual(await r.xrange(k, '(1-2', '+'), [[third, ['f', 'c']]]);
      assert.deepEqual(await r.xrevrange(k, '+', '-', 'COUNT', 1), [[third, ['f', 'c']]]);
      assert.deepEqual(await r.xread('COUNT', 5, 'STREAMS', k, '1-2'), [[k, [[third, ['f', 'c']]]]]);

      const t0 = Date.now();
      assert.equal(await r.xread('BLOCK', 150, 'STREAMS', k, '$'), null);
      assert.ok(Date.now() - t0 >= 140);
      const p = reader.xread('BLOCK', 10000, 'STREAMS', k, '$');
      await waitFor(blocked(r, 1), 'the blocked XREAD');
      assert.equal(await r.xadd(k, '9999999999999-1', 'f', 'new'), '9999999999999-1');
      assert.deepEqual(await p, [[k, [['9999999999999-1', ['f', 'new']]]]]);
      await r.del(k);
    } finally {
      r.disconnect();
      reader.disconnect();
    }
  });

  test(`${P.name}: consumer groups: xreadgroup, xack, xpending, xautoclaim, xinfo`, T, async () => {
    const r = new Redis({ ...opts, ...P.extra });
    const reader = new Redis({ ...opts, ...P.extra });
    const k = `io:grp:${P.resp}`;
    try {
      await r.del(k);
      assert.equal(await r.xgroup('CREATE', k, 'g', '0', 'MKSTREAM'), 'OK');
      for (const i of [1, 2, 3]) await r.xadd(k, `${i}-1`, 'n', String(i));
      assert.deepEqual(await r.xreadgroup('GROUP', 'g', 'alice', 'COUNT', 2, 'STREAMS', k, '>'),
        [[k, [['1-1', ['n', '1']], ['2-1', ['n', '2']]]]]);
      assert.deepEqual(await r.xpending(k, 'g'), [2, '1-1', '2-1', [['alice', '2']]]);

      const info = flat(await r.xinfo('STREAM', k));
      assert.equal(info.length, 3);
      assert.equal(info.groups, 1);
      assert.equal(info['last-generated-id'], '3-1');
      assert.deepEqual(info['first-entry'], ['1-1', ['n', '1']]);
      const groups = (await r.xinfo('GROUPS', k)).map(flat);
      assert.deepEqual(groups.map((g) => [g.name, g.consumers, g.pending, g['last-delivered-id'], g['entries-read'], g.lag]),
        [['g', 1, 2, '2-1', 2, 1]]);
      const consumers = (await r.xinfo('CONSUMERS', k, 'g')).map(flat);
      assert.deepEqual(consumers.map((c) => [c.name, c.pending]), [['alice', 2]]);
      assert.ok(consumers[0].idle >= 0);

      assert.equal(await r.xack(k, 'g', '1-1', '9-9'), 1);
      assert.deepEqual(await r.xautoclaim(k, 'g', 'bob', 0, '0-0', 'COUNT', 10),
        ['0-0', [['2-1', ['n', '2']]], []]);
      const rows = await r.xpending(k, 'g', '-', '+', 10);
      assert.deepEqual(rows.map((x) => [x[0], x[1], x[3]]), [['2-1', 'bob', 2]]);

      const p = reader.xreadgroup('GROUP', 'g', 'carol', 'BLOCK', 10000, 'STREAMS', k, '>');
      // carol first gets 3-1, which is waiting: no block needed
      assert.deepEqual(await p, [[k, [['3-1', ['n', '3']]]]]);
      const q = reader.xreadgroup('GROUP', 'g', 'carol', 'BLOCK', 10000, 'STREAMS', k, '>');
      await waitFor(blocked(r, 1), 'the blocked XREADGROUP');
      await r.xadd(k, '4-1', 'n', '4');
      assert.deepEqual(await q, [[k, [['4-1', ['n', '4']]]]]);
      assert.equal(await r.xack(k, 'g', '2-1', '3-1', '4-1'), 3);
      assert.equal((await r.xpending(k, 'g'))[0], 0);
      await r.del(k);
    } finally {
      r.disconnect();
      reader.disconnect();
    }
  });

  test(`${P.name}: pipeline and multi/exec with stream and EV commands`, T, async (t) => {
    if (await notSwarmlog(t)) return;
    const r = new Redis({ ...opts, ...P.extra });
    const k = `io:pipe:${P.resp}`;
    try {
      await r.del(k);
      const p = r.pipeline();
      for (let i = 1; i <= 100; i++) p.xadd(k, `${i}-1`, 'i', String(i));
      p.xadd(k, '1-1', 'dup', 'x');
      p.xlen(k);
      p.call('EV.ADD', k, 'TAGS', 1, 'io-pipe', 'f', 'v');
      const res = await p.exec();
      for (let i = 0; i < 100; i++) assert.deepEqual(res[i], [null, `${i + 1}-1`]);
      assert.match(String(res[100][0]), /equal or smaller/);
      assert.deepEqual(res[101], [null, 100]);
      assert.equal(res[102][0], null);
      assert.ok(Number.isInteger(flat(res[102][1]).offset));

      const tx = await r.multi()
        .xadd(k, '*', 'f', 'tx')
        .call('EV.ADD', k, 'EXPECT', 'NOKEY', 'f', 'refused')
        .call('EV.ADD', k, 'TYPE', 'InTx', 'f', 'tx')
        .xlen(k)
        .exec();
      const ids = (await r.xrevrange(k, '+', '-', 'COUNT', 2)).map((e) => e[0]);
      assert.deepEqual(tx[0], [null, ids[1]]);
      assert.match(String(tx[1][0]), /^ReplyError: WRONGVERSION/);
      assert.equal(tx[2][0], null);
      assert.deepEqual(tx[3], [null, 103]);
      await r.del(k);
    } finally {
      r.disconnect();
    }
  });

  test(`${P.name}: EV.ADD, EV.QUERY, EV.READ BLOCK, EV.OFFSETS, EV.NODE via call`, T, async (t) => {
    if (await notSwarmlog(t)) return;
    const r = new Redis({ ...opts, ...P.extra });
    const reader = new Redis({ ...opts, ...P.extra });
    const k = `io:orders:${P.resp}`;
    try {
      const node = flat(await r.call('EV.NODE'));
      assert.equal(node.stream, `${node.node}-0`);
      const present = flat(await r.call('EV.OFFSETS')).present;
      const add = flat(await r.call('EV.ADD', k, 'TAGS', 2, 'region:eu', 'vip', 'TYPE', 'OrderPlaced',
        'EVENTID', `io-${P.resp}`, 'amount', 10));
      assert.deepEqual(Object.keys(add), ['stream', 'offset', 'lamport', 'timestamp', 'id']);
      assert.equal(add.stream, node.stream);
      assert.equal(add.offset, node.events);
      assert.equal(add.lamport, node.lamport + 1);
      const again = flat(await r.call('EV.ADD', k, 'EVENTID', `io-${P.resp}`, 'amount', 10));
      assert.equal(again.offset, add.offset);
      const after = flat(await r.call('EV.NODE'));
      assert.equal(after.events, node.events + 1);
      const offsets = flat(await r.call('EV.OFFSETS'));
      assert.equal(offsets.present, JSON.stringify({ [node.stream]: add.offset }));
      assert.equal(offsets.toReplicate, '{}');

      const [map, events] = await r.call('EV.QUERY', 'WHERE', `${k} & region:eu & vip`, 'TYPES', 1, 'OrderPlaced', 'FROM', present);
      assert.equal(map, offsets.present);
      assert.equal(events.length, 1);
      const ev = flat(events[0]);
      assert.deepEqual([ev.stream, ev.offset, ev.key, ev.id, ev.tags, ev.type, ev.eventid, ev.payload],
        [node.stream, add.offset, k, add.id, [k, 'region:eu', 'vip'], 'OrderPlaced', `io-${P.resp}`, ['amount', '10']]);
      await assert.rejects(r.call('EV.QUERY', 'WHERE', '('), /ERR/);

      assert.equal(await r.call('EV.READ', 'WHERE', k, 'BLOCK', 100, 'FROM', offsets.present), null);
      const p = reader.call('EV.READ', 'WHERE', k, 'COUNT', 10, 'BLOCK', 10000, 'FROM', offsets.present);
      await waitFor(blocked(r, 1), 'the blocked EV.READ');
      await r.call('EV.ADD', `${k}:other`, 'f', 'no match');
      await r.call('EV.ADD', k, 'TYPE', 'Live', 'f', 'v');
      const [m2, got] = await p;
      assert.deepEqual(got.map((e) => [flat(e).key, flat(e).type]), [[k, 'Live']]);
      assert.equal(m2, flat(await r.call('EV.OFFSETS')).present);
      await r.del(k, `${k}:other`);
    } finally {
      r.disconnect();
      reader.disconnect();
    }
  });
}

test('protocol 3 with replyMapping "resp3": maps arrive as objects', T, async (t) => {
  const r = new Redis({ ...opts, protocol: 3, replyMapping: 'resp3' });
  try {
    await r.del('io:map');
    await r.xadd('io:map', '1-1', 'f', 'v');
    const info = await r.xinfo('STREAM', 'io:map');
    assert.ok(!Array.isArray(info));
    assert.equal(info.length, 1);
    assert.equal(info['last-generated-id'], '1-1');
    await r.del('io:map');
    if (await notSwarmlog(t)) return;
    const node = await r.call('EV.NODE');
    assert.equal(typeof node, 'object');
    assert.ok(!Array.isArray(node));
    assert.equal(node.stream, `${node.node}-0`);
  } finally {
    r.disconnect();
  }
});

// EV.SUBSCRIBE cannot be used from ioredis: it only routes pub/sub message
// types. These tests pin down what happens, so that a client upgrade that
// changes it shows up here (and docs/compat.md gets updated).
test('EV.SUBSCRIBE, RESP3: ioredis drops unknown push types', T, async (t) => {
  if (await notSwarmlog(t)) return;
  const r = new Redis(opts);
  const sub = new Redis(opts);
  try {
    await r.call('EV.ADD', 'io:sub3', 'f', 'history');
    const p = sub.call('EV.SUBSCRIBE', 'WHERE', 'io:sub3', 'FROM', '{}');
    sub.ping().catch(() => {}); // its reply is taken by the EV.SUBSCRIBE call
    // ev.subscribed, ev.event and ev.caughtup pushes are discarded by
    // DataHandler.returnPush; the first plain reply (PONG) settles the call.
    assert.equal(await p, 'PONG');
    await r.del('io:sub3');
  } finally {
    r.disconnect();
    sub.disconnect();
  }
});

test('EV.SUBSCRIBE, RESP2: only the first message is a reply, the rest are queue errors', T, async (t) => {
  if (await notSwarmlog(t)) return;
  const r = new Redis(opts);
  const sub = new Redis({ ...opts, protocol: 2 });
  const errors = [];
  sub.on('error', (e) => errors.push(e.message));
  try {
    await r.call('EV.ADD', 'io:sub2', 'f', 'history');
    assert.deepEqual(await sub.call('EV.SUBSCRIBE', 'WHERE', 'io:sub2', 'FROM', '{}'), ['ev.subscribed', '{}']);
    await waitFor(() => errors.length >= 2, 'two unsolicited-reply errors');
    assert.match(errors[0], /^Command queue state error\..*Last reply: ev\.event,/);
    assert.match(errors[1], /^Command queue state error\..*Last reply: ev\.caughtup,/);
    await r.del('io:sub2');
  } finally {
    r.disconnect();
    sub.disconnect();
  }
});
