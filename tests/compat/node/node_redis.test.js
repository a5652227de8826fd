// node-redis (the "redis" package, pinned in package.json) against the
// server that tests/lib/with-server started: SWARMLOG_PORT.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { createClient } = require('redis');

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
