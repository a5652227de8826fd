'use strict';
// swarmlog event-log helpers on ioredis: offset-map cursors, publish, query,
// read and subscribe loops. Promise-based; the loops are async generators.
//
//   const Redis = require('ioredis');
//   const swarmlog = require('./swarmlog');
//   const redis = new Redis({ host: '127.0.0.1', port: 7000 });
//   await swarmlog.publish(redis, 'order:17', { amount: '10' },
//     { tags: ['orders'], type: 'OrderPlaced', eventId: 'placed:17', expect: 'NOKEY' });
//   let cursor = await swarmlog.OffsetMap.load('consumer.offsets');
//   for await (const batch of swarmlog.readLoop(redis, cursor, { where: 'orders' })) {
//     for (const ev of batch.events) { /* apply */ }
//     await batch.offsets.save('consumer.offsets');   // with the state, atomically
//   }
//
// An offset map ({"<source stream>": <last offset>}) is the log's cursor:
// EV.QUERY / EV.READ / EV.SUBSCRIBE FROM a map return exactly what follows
// it. Store it together with what the events were applied to and every event
// is processed exactly once (README.md).

const fs = require('fs');
const fsp = fs.promises;
const net = require('net');
const path = require('path');
const Redis = require('ioredis');

const ReplyError = Redis.ReplyError;

// ---- atomic files ------------------------------------------------------

let tmpCounter = 0;

// Replace `file` with `data` atomically and durably: a temp file in the same
// directory, fsync, rename, fsync of the directory. A crash leaves the old
// file or the new one, never a mix.
async function atomicWriteFile(file, data) {
  const abs = path.resolve(file);
  const dir = path.dirname(abs);
  const tmp = path.join(dir, `.${path.basename(abs)}.${process.pid}.${++tmpCounter}.tmp`);
  let fh = await fsp.open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = null;
    await fsp.rename(tmp, abs);
  } catch (err) {
    if (fh) await fh.close().catch(() => {});
    await fsp.unlink(tmp).catch(() => {});
    throw err;
  }
  const dh = await fsp.open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

// ---- offset maps -------------------------------------------------------

// A cursor into the log: source stream -> last offset covered. merge() is a
// pointwise maximum: merging events in delivery order (per stream, offsets
// ascend) or maps the server returned only ever moves it forward.
class OffsetMap {
  constructor(offsets) {
    this.map = new Map();
    if (offsets) this.merge(offsets);
  }

  // The server's JSON map (string or Buffer) -> OffsetMap. Strict: a JSON
  // object of non-negative integers.
  static parse(text) {
    const s = Buffer.isBuffer(text) ? text.toString('utf8') : String(text);
    let obj;
    try {
      obj = JSON.parse(s);
    } catch (err) {
      throw new Error(`offset map is not JSON: ${s} (${err.message})`);
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      throw new Error(`offset map is not a JSON object: ${s}`);
    }
    const m = new OffsetMap();
    for (const [k, v] of Object.entries(obj)) {
      if (!Number.isSafeInteger(v) || v < 0) throw new Error(`bad offset for ${k} in ${s}`);
      m.map.set(k, v);
    }
    return m;
  }

  // undefined/null, an OffsetMap, a plain object or JSON text -> a new map.
  static coerce(value) {
    if (value === undefined || value === null) return new OffsetMap();
    if (value instanceof OffsetMap) return value.copy();
    if (typeof value === 'string' || Buffer.isBuffer(value)) return OffsetMap.parse(value);
    return new OffsetMap(value);
  }

  // The map saved at `file`; the empty map when there is no file.
  static async load(file) {
    try {
      return OffsetMap.parse(await fsp.readFile(file));
    } catch (err) {
      if (err.code === 'ENOENT') return new OffsetMap();
      throw err;
    }
  }

  // Write the map to `file` atomically (atomicWriteFile).
  async save(file) {
    await atomicWriteFile(file, this.toString() + '\n');
  }

  // Move the cursor past `other`: an Event (or position), an OffsetMap, a
  // plain object or the server's JSON text. Returns this.
  merge(other) {
    let entries;
    if (other instanceof OffsetMap) entries = other.map.entries();
    else if (typeof other === 'string' || Buffer.isBuffer(other)) entries = OffsetMap.parse(other).map.entries();
    else if (other && typeof other.stream === 'string' && Number.isInteger(other.offset)) {
      entries = [[other.stream, other.offset]];
    } else entries = Object.entries(other || {});
    for (const [stream, off] of entries) {
      const n = Number(off);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error(`bad offset for ${stream}: ${off}`);
      if (n > (this.map.has(stream) ? this.map.get(stream) : -1)) this.map.set(stream, n);
    }
    return this;
  }

  // Whether the event is at or before the cursor (already processed).
  covers(event) {
    return event.offset <= (this.map.has(event.stream) ? this.map.get(event.stream) : -1);
  }

  copy() {
    const m = new OffsetMap();
    m.map = new Map(this.map);
    return m;
  }

  get(stream) {
    return this.map.get(stream);
  }

  get size() {
    return this.map.size;
  }

  equals(other) {
    const o = OffsetMap.coerce(other);
    if (o.map.size !== this.map.size) return false;
    for (const [k, v] of this.map) if (o.map.get(k) !== v) return false;
    return true;
  }

  // A plain object, streams sorted: what JSON.stringify(map) gives.
  toJSON() {
    const obj = {};
    for (const k of [...this.map.keys()].sort()) obj[k] = this.map.get(k);
    return obj;
  }

  toString() {
    return JSON.stringify(this.toJSON());
  }
}

// ---- events ------------------------------------------------------------

function str(v) {
  return Buffer.isBuffer(v) ? v.toString('utf8') : v;
}

// A RESP2 flat [k, v, ...] array -> object with string keys.
function pairs(reply) {
  if (!Array.isArray(reply) || reply.length % 2) throw new Error(`not a key/value reply: ${reply}`);
  const out = {};
  for (let i = 0; i < reply.length; i += 2) out[str(reply[i])] = reply[i + 1];
  return out;
}

// One event of the log. `fields` is the payload as stored ([field, value]
// pairs; values are Buffers when read with { buffers: true }), `payload` an
// object of it (the last value of a repeated field wins).
class Event {
  constructor(d) {
    Object.assign(this, d);
  }

  static fromReply(reply) {
    const d = pairs(reply);
    const flat = d.payload || [];
    const fields = [];
    for (let i = 0; i < flat.length; i += 2) fields.push([str(flat[i]), flat[i + 1]]);
    return new Event({
      stream: str(d.stream),
      offset: Number(d.offset),
      lamport: Number(d.lamport),
      timestamp: Number(d.timestamp),
      key: str(d.key),
      id: str(d.id),
      tags: (d.tags || []).map(str),
      type: d.type === null || d.type === undefined ? null : str(d.type),
      eventid: d.eventid === null || d.eventid === undefined ? null : str(d.eventid),
      fields,
    });
  }

  get payload() {
    return Object.fromEntries(this.fields);
  }

  get position() {
    return { stream: this.stream, offset: this.offset, lamport: this.lamport, timestamp: this.timestamp, id: this.id };
  }
}

// EV.ADD ... EXPECT did not hold: nothing was stored. `expected` is what was
// asked (a number, or 'NOKEY' / 'EXISTS'), `revision` where the key is (-1:
// no key).
class WrongVersion extends ReplyError {
  constructor(message, expected, revision) {
    super(message);
    this.expected = expected;
    this.revision = revision;
  }

  get name() {
    return 'WrongVersion';
  }
}

function asWrongVersion(err) {
  const m = /WRONGVERSION expected (\S+), key is at (-?\d+)/.exec(String(err && err.message));
  if (!m) return null;
  const expected = /^-?\d+$/.test(m[1]) ? Number(m[1]) : m[1];
  const wv = new WrongVersion(err.message, expected, Number(m[2]));
  wv.command = err.command;
  return wv;
}

// ---- commands ----------------------------------------------------------

function fieldArgs(fields) {
  const list = Array.isArray(fields) ? fields : Object.entries(fields || {});
  const out = [];
  for (const [f, v] of list) out.push(f, v);
  if (!out.length) throw new Error('an event needs at least one field');
  return out;
}

// EV.ADD: append an event to `key` and the log; resolves to its position
// { stream, offset, lamport, timestamp, id }.
//   fields: object or [field, value] pairs
//   opts.tags: extra tags (the key is always one); opts.type
//   opts.eventId: unique on the node; a repeat stores nothing and answers the
//     stored event's position (safe retries)
//   opts.expect: 'ANY' | 'NOKEY' | 'EXISTS' | revision (number); rejects with
//     WrongVersion when it does not hold
async function publish(redis, key, fields, opts = {}) {
  const args = [key];
  const tags = opts.tags || [];
  if (tags.length) args.push('TAGS', tags.length, ...tags);
  if (opts.type !== undefined && opts.type !== null) args.push('TYPE', opts.type);
  if (opts.eventId !== undefined && opts.eventId !== null) args.push('EVENTID', opts.eventId);
  if (opts.expect !== undefined && opts.expect !== null) args.push('EXPECT', opts.expect);
  args.push(...fieldArgs(fields));
  let reply;
  try {
    reply = await redis.call('EV.ADD', ...args);
  } catch (err) {
    throw asWrongVersion(err) || err;
  }
  const d = pairs(reply);
  return { stream: str(d.stream), offset: Number(d.offset), lamport: Number(d.lamport),
    timestamp: Number(d.timestamp), id: str(d.id) };
}

function selection(opts) {
  const args = [];
  if (opts.where !== undefined && opts.where !== null) args.push('WHERE', opts.where);
  if (opts.types !== undefined && opts.types !== null) {
    const types = Array.isArray(opts.types) ? opts.types : [opts.types];
    if (types.length) args.push('TYPES', types.length, ...types);
  }
  return args;
}

function call(redis, opts, name, args) {
  return opts.buffers ? redis.callBuffer(name, ...args) : redis.call(name, ...args);
}

function result(reply) {
  return { offsets: OffsetMap.parse(reply[0]), events: reply[1].map((e) => Event.fromReply(e)) };
}

// EV.QUERY -> { offsets, events }. opts: where, types, from (exclusive), to
// (inclusive) as OffsetMap/object/JSON, order ('LAMPORT' | 'LAMPORTDESC' |
// 'STREAM'), count, buffers (payload values as Buffers). Pass `offsets` as
// the next `from` (as the next `to` for LAMPORTDESC) to page on.
async function query(redis, opts = {}) {
  const args = selection(opts);
  if (opts.from !== undefined && opts.from !== null) args.push('FROM', OffsetMap.coerce(opts.from).toString());
  if (opts.to !== undefined && opts.to !== null) args.push('TO', OffsetMap.coerce(opts.to).toString());
  if (opts.order) args.push('ORDER', opts.order);
  if (opts.count !== undefined && opts.count !== null) args.push('COUNT', opts.count);
  return result(await call(redis, opts, 'EV.QUERY', args));
}

// EV.READ -> { offsets, events }: the events after opts.from. With
// opts.block (ms, 0 = forever) waits for the first matching event. When
// nothing matched (the server answers null) resolves to { offsets: from,
// events: [] }. A blocking read holds its connection: give it one of its
// own (redis.duplicate()).
async function read(redis, opts = {}) {
  const from = OffsetMap.coerce(opts.from);
  const args = selection(opts);
  if (opts.count !== undefined && opts.count !== null) args.push('COUNT', opts.count);
  if (opts.block !== undefined && opts.block !== null) args.push('BLOCK', Math.floor(opts.block));
  args.push('FROM', from.toString());
  const reply = await call(redis, opts, 'EV.READ', args);
  if (reply === null) return { offsets: from, events: [] };
  return result(reply);
}

// All events of one key, oldest first, and its revision (-1: none): what an
// EXPECT check compares with.
async function keyEvents(redis, key) {
  const events = (await query(redis, { where: quoteTag(key) })).events.filter((e) => e.key === key);
  return { events, revision: events.length - 1 };
}

function quoteTag(tag) {
  if (tag && tag !== 'isLocal' && /^[A-Za-z0-9_\-:./@#]+$/.test(tag)) return tag;
  return `'${tag.replace(/'/g, "''")}'`;
}

// EV.NODE -> { node, stream, lamport, events }.
async function node(redis) {
  const d = pairs(await redis.call('EV.NODE'));
  return { node: str(d.node), stream: str(d.stream), lamport: Number(d.lamport), events: Number(d.events) };
}

// EV.OFFSETS -> { present, toReplicate } as OffsetMaps.
async function offsets(redis) {
  const d = pairs(await redis.call('EV.OFFSETS'));
  return { present: OffsetMap.parse(d.present), toReplicate: OffsetMap.parse(d.toReplicate) };
}

// ---- loops -------------------------------------------------------------
// Each yields batches { events, offsets, caughtUp }: the events (maybe
// none), the cursor after them (store it together with their effects) and
// whether the batch reached the end of what the server had stored.

// Catch up with EV.QUERY pages from the cursor until what is stored now is
// exhausted; the last batch has caughtUp: true (and may be empty).
async function* pages(redis, cursor, opts = {}) {
  const count = opts.count || 500;
  const cur = OffsetMap.coerce(cursor);
  for (;;) {
    const { offsets: nxt, events } = await query(redis, { ...opts, from: cur, count });
    cur.merge(nxt);
    const done = events.length < count;
    yield { events, offsets: cur.copy(), caughtUp: done };
    if (done) return;
  }
}

// Read on forever with EV.READ BLOCK from the cursor, on a connection of its
// own (redis.duplicate(), closed when the loop ends). A batch with no events
// when nothing matched within opts.blockMs (default 1000): a chance to stop.
async function* readLoop(redis, cursor, opts = {}) {
  const count = opts.count || 500;
  const blockMs = opts.blockMs === undefined ? 1000 : opts.blockMs;
  const conn = redis.duplicate();
  const cur = OffsetMap.coerce(cursor);
  try {
    for (;;) {
      const { offsets: nxt, events } = await read(conn, { ...opts, from: cur, count, block: blockMs });
      cur.merge(nxt);
      yield { events, offsets: cur.copy(), caughtUp: events.length < count };
    }
  } finally {
    conn.disconnect();
  }
}

// A minimal incremental RESP2 reader (EV.SUBSCRIBE's messages arrive with
// no command asked, which ioredis's command queue does not take).
const INCOMPLETE = Symbol('incomplete');

function parseResp(buf, pos, binary) {
  if (pos >= buf.length) return INCOMPLETE;
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return INCOMPLETE;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString('utf8', pos + 1, eol);
  const next = eol + 2;
  switch (type) {
    case '+': return { value: line, end: next };
    case '-': return { value: new ReplyError(line), end: next };
    case ':': return { value: Number(line), end: next };
    case '$': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      if (buf.length < next + n + 2) return INCOMPLETE;
      const b = buf.subarray(next, next + n);
      return { value: binary ? Buffer.from(b) : b.toString('utf8'), end: next + n + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const arr = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = parseResp(buf, p, binary);
        if (r === INCOMPLETE) return INCOMPLETE;
        arr.push(r.value);
        p = r.end;
      }
      return { value: arr, end: p };
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

function encodeCommand(args) {
  const parts = [`*${args.length}\r\n`];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'utf8');
    parts.push(`$${b.length}\r\n`, b, '\r\n');
  }
  return Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p, 'utf8'))));
}

// EV.SUBSCRIBE from the cursor on a socket of its own (host, port,
// username/password and db taken from the ioredis client's options; no TLS),
// closed when the loop ends. Batches: the events that arrived together (up
// to opts.maxBatch, default 256), caughtUp once past the history/live
// boundary with nothing more buffered, an empty batch after opts.idleMs
// (default 1000) of silence. opts.buffers: payload values as Buffers.
async function* subscribe(redis, cursor, opts = {}) {
  const o = redis.options || {};
  if (o.tls) throw new Error('subscribe: TLS connections are not supported');
  const maxBatch = opts.maxBatch || 256;
  const idleMs = opts.idleMs === undefined ? 1000 : opts.idleMs;
  const cur = OffsetMap.coerce(cursor);
  const queue = [];
  let failure = null;
  let wake = null;
  let buf = Buffer.alloc(0);
  const notify = () => {
    if (wake) {
      const w = wake;
      wake = null;
      w();
    }
  };
  const sock = o.path ? net.createConnection(o.path) : net.createConnection({ host: o.host || '127.0.0.1', port: o.port || 6379, family: o.family || 0 });
  sock.setNoDelay(true);
  sock.on('data', (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    let pos = 0;
    try {
      for (;;) {
        const r = parseResp(buf, pos, !!opts.buffers);
        if (r === INCOMPLETE) break;
        queue.push(r.value);
        pos = r.end;
      }
    } catch (err) {
      failure = err;
      sock.destroy();
    }
    buf = buf.subarray(pos);
    if (queue.length > 4 * maxBatch) sock.pause(); // let the server hold the rest
    notify();
  });
  sock.on('error', (err) => { failure = failure || err; notify(); });
  sock.on('close', () => { failure = failure || new Error('subscribe: connection closed'); notify(); });

  // The next message, or undefined after `ms` of silence.
  const next = async (ms) => {
    for (;;) {
      if (queue.length) {
        const v = queue.shift();
        if (queue.length < maxBatch && sock.isPaused()) sock.resume();
        if (v instanceof Error) throw v;
        return v;
      }
      if (failure) throw failure;
      if (ms === 0) return undefined;
      let timer;
      const timedOut = await new Promise((resolve) => {
        wake = () => resolve(false);
        timer = setTimeout(() => { wake = null; resolve(true); }, ms);
      });
      clearTimeout(timer);
      if (timedOut) return undefined;
    }
  };

  try {
    await new Promise((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    const cmds = [];
    if (o.password) cmds.push(o.username ? ['AUTH', o.username, o.password] : ['AUTH', o.password]);
    if (o.db) cmds.push(['SELECT', o.db]);
    for (const c of cmds) sock.write(encodeCommand(c));
    sock.write(encodeCommand(['EV.SUBSCRIBE', ...selection(opts), 'FROM', cur.toString()]));
    for (let i = 0; i < cmds.length; i++) await next(30000); // +OK (errors throw)
    const first = await next(30000);
    if (!Array.isArray(first) || str(first[0]) !== 'ev.subscribed') {
      throw new Error(`unexpected reply to EV.SUBSCRIBE: ${JSON.stringify(first)}`);
    }
    cur.merge(str(first[1]));
    let live = false;
    for (;;) {
      let msg = await next(idleMs);
      if (msg === undefined) {
        yield { events: [], offsets: cur.copy(), caughtUp: live };
        continue;
      }
      const events = [];
      let caughtUp = false;
      for (;;) {
        const kind = str(msg[0]);
        if (kind === 'ev.event') {
          const ev = Event.fromReply(msg[1]);
          events.push(ev);
          cur.merge(ev);
        } else if (kind === 'ev.caughtup') {
          cur.merge(str(msg[1]));
          live = caughtUp = true;
          break;
        } else {
          throw new Error(`unexpected subscription message: ${JSON.stringify(msg)}`);
        }
        if (events.length >= maxBatch) break;
        msg = await next(0);
        if (msg === undefined) {
          caughtUp = live;
          break;
        }
      }
      yield { events, offsets: cur.copy(), caughtUp };
    }
  } finally {
    sock.destroy();
  }
}

module.exports = {
  OffsetMap, Event, WrongVersion, ReplyError,
  atomicWriteFile, publish, query, read, keyEvents, quoteTag, node, offsets,
  pages, readLoop, subscribe,
};
