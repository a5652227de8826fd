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
