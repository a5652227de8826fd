"""swarmlog event-log helpers on redis-py (Debian's python3-redis 4.3.4, RESP2).

    import redis, swarmlog
    r = redis.Redis(host="127.0.0.1", port=7000)
    pos = swarmlog.publish(r, "order:17", {"amount": "10"}, tags=["orders"],
                           type="OrderPlaced", event_id="placed:17", expect="NOKEY")
    cursor = swarmlog.OffsetMap.load("consumer.offsets")
    for batch in swarmlog.read_loop(r, cursor, where="orders"):
        for ev in batch.events:
            ...                                  # apply the event
        batch.offsets.save("consumer.offsets")   # with the state, atomically

An offset map (``{"<source stream>": <last offset>}``) is the cursor of the
log: EV.QUERY/EV.READ/EV.SUBSCRIBE FROM a map return exactly what follows it.
Store the map together with whatever the events were applied to and a
consumer processes every event exactly once (see README.md).

Works with ``decode_responses`` on or off; event payload values are kept
binary-safe (``Event.raw_payload``) and offered decoded (``Event.payload``).
"""
import collections
import json
import os
import re
import tempfile

import redis

__all__ = [
    "OffsetMap", "Event", "Position", "Batch", "WrongVersion",
    "atomic_write", "publish", "query", "read", "pages", "read_loop",
    "subscribe", "node", "offsets", "key_events",
]


def _s(v):
    """bytes -> str (utf-8, undecodable bytes kept via surrogateescape)."""
    if isinstance(v, bytes):
        return v.decode("utf-8", "surrogateescape")
    return v


def _b(v):
    if isinstance(v, str):
        return v.encode("utf-8", "surrogateescape")
    return v


def _pairs(reply):
    """A RESP2 flat [k, v, k, v] array or a RESP3 map -> dict with str keys."""
    if isinstance(reply, dict):
        return {_s(k): v for k, v in reply.items()}
    if reply is None or len(reply) % 2:
        raise ValueError("not a key/value reply: %r" % (reply,))
    return {_s(reply[i]): reply[i + 1] for i in range(0, len(reply), 2)}


def atomic_write(path, data):
    """Replace ``path`` with ``data`` (bytes or str) atomically and durably:
    a temp file in the same directory, fsync, os.replace, fsync of the
    directory. A crash leaves either the old or the new file, never a mix."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    dfd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


class OffsetMap:
    """A cursor into the log: source stream -> last offset covered.

    ``merge`` is a pointwise maximum, so merging events in the order the
    server delivers them (per stream, offsets ascend) or merging a map the
    server returned both move the cursor forward and never back."""

    __slots__ = ("_m",)

    def __init__(self, offsets=None):
        self._m = {}
        if offsets:
            self.merge(offsets)

    @classmethod
    def parse(cls, text):
        """The server's JSON map (str or bytes) -> OffsetMap. Strict: a JSON
        object of non-negative integers."""
        text = _s(text)
        try:
            obj = json.loads(text)
        except ValueError as e:
            raise ValueError("offset map is not JSON: %r (%s)" % (text, e))
        if not isinstance(obj, dict):
            raise ValueError("offset map is not a JSON object: %r" % (text,))
        m = cls()
        for k, v in obj.items():
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError("bad offset for %r in %r" % (k, text))
            m._m[k] = v
        return m

    @classmethod
    def coerce(cls, value):
        """None, an OffsetMap, a dict or JSON text -> a new OffsetMap."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value.copy()
        if isinstance(value, (str, bytes)):
            return cls.parse(value)
        return cls(value)

    @classmethod
    def load(cls, path):
        """The map saved at ``path``; an empty map when there is no file."""
        try:
            with open(path, "rb") as f:
                return cls.parse(f.read())
        except FileNotFoundError:
            return cls()

    def save(self, path):
        """Write the map to ``path`` atomically (see atomic_write)."""
        atomic_write(path, self.to_json() + "\n")

    def merge(self, other):
        """Move the cursor past ``other``: an Event (or Position), an
        OffsetMap, a dict or the server's JSON text. Returns self."""
        if isinstance(other, (Event, Position)):
            items = [(other.stream, other.offset)]
        elif isinstance(other, OffsetMap):
            items = other._m.items()
        elif isinstance(other, (str, bytes)):
            items = OffsetMap.parse(other)._m.items()
        else:
            items = dict(other).items()
        for stream, off in items:
            stream = _s(stream)
            off = int(off)
            if off < 0:
                raise ValueError("negative offset for %r" % stream)
            if off > self._m.get(stream, -1):
                self._m[stream] = off
        return self

    def covers(self, event):
        """Whether the event is at or before the cursor (already processed)."""
        return event.offset <= self._m.get(event.stream, -1)

    def copy(self):
        m = OffsetMap()
        m._m = dict(self._m)
        return m

    def to_json(self):
        return json.dumps(dict(sorted(self._m.items())), separators=(",", ":"))

    def to_dict(self):
        return dict(self._m)

    def get(self, stream, default=None):
        return self._m.get(stream, default)

    def __str__(self):
        return self.to_json()

    def __repr__(self):
        return "OffsetMap(%s)" % self.to_json()

    def __eq__(self, other):
        if isinstance(other, OffsetMap):
            return self._m == other._m
        if isinstance(other, dict):
            return self._m == other
        return NotImplemented

    def __len__(self):
        return len(self._m)

    def __iter__(self):
        return iter(self._m)

    def __getitem__(self, stream):
        return self._m[stream]

    def items(self):
        return self._m.items()


Position = collections.namedtuple("Position", "stream offset lamport timestamp id")
Position.__doc__ = "Where EV.ADD stored an event (or had stored it, for a repeated event id)."

Batch = collections.namedtuple("Batch", "events offsets caught_up")
Batch.__doc__ = """What the loops yield: the events (maybe none), the cursor after them
(save it together with their effects) and whether the batch reached the end of
what the server had stored (for subscribe: the history/live boundary)."""


class Event:
    """One event of the log. Strings are str; ``payload`` is a dict of the
    fields (str -> str, the last value of a repeated field wins),
    ``raw_payload`` the list of (bytes, bytes) pairs as stored."""

    __slots__ = ("stream", "offset", "lamport", "timestamp", "key", "id", "tags",
                 "type", "eventid", "raw_payload")

    def __init__(self, stream, offset, lamport, timestamp, key, id, tags, type, eventid, raw_payload):
        self.stream, self.offset, self.lamport, self.timestamp = stream, offset, lamport, timestamp
        self.key, self.id, self.tags, self.type, self.eventid = key, id, tags, type, eventid
        self.raw_payload = raw_payload

    @classmethod
    def from_reply(cls, reply):
        d = _pairs(reply)
        flat = d.get("payload") or []
        if isinstance(flat, dict):
            flat = [x for kv in flat.items() for x in kv]
        raw = [(_b(flat[i]), _b(flat[i + 1])) for i in range(0, len(flat), 2)]
        return cls(
            stream=_s(d["stream"]), offset=int(d["offset"]), lamport=int(d["lamport"]),
            timestamp=int(d["timestamp"]), key=_s(d["key"]), id=_s(d["id"]),
            tags=[_s(t) for t in (d.get("tags") or [])],
            type=_s(d.get("type")), eventid=_s(d.get("eventid")), raw_payload=raw)

    @property
    def payload(self):
        return {_s(k): _s(v) for k, v in self.raw_payload}

    @property
    def position(self):
        return Position(self.stream, self.offset, self.lamport, self.timestamp, self.id)

    def to_dict(self):
        return {"stream": self.stream, "offset": self.offset, "lamport": self.lamport,
                "timestamp": self.timestamp, "key": self.key, "id": self.id, "tags": list(self.tags),
                "type": self.type, "eventid": self.eventid, "payload": self.payload}

    def __repr__(self):
        return "Event(%s:%d %s %s %r)" % (self.stream, self.offset, self.key, self.type, self.payload)


class WrongVersion(redis.ResponseError):
    """EV.ADD ... EXPECT did not hold: nothing was stored. ``expected`` is what
    was asked (an int revision, or "NOKEY"/"EXISTS"), ``revision`` where the
    key is (-1: no key)."""

    def __init__(self, message, expected, revision):
        super().__init__(message)
        self.expected, self.revision = expected, revision


_WRONGVERSION = re.compile(r"WRONGVERSION expected (\S+), key is at (-?\d+)")


def _wrong_version(err):
    m = _WRONGVERSION.search(str(err))
    if not m:
        return None
    exp = m.group(1)
    try:
        exp = int(exp)
    except ValueError:
        pass
    return WrongVersion(str(err), exp, int(m.group(2)))


def _field_args(fields):
    if isinstance(fields, dict):
        fields = list(fields.items())
    out = []
    for f, v in fields:
        out += [f, v]
    if not out:
        raise ValueError("an event needs at least one field")
    return out


def publish(r, key, fields, tags=(), type=None, event_id=None, expect=None):
    """EV.ADD: append an event to ``key`` and the log; returns its Position.

    fields: dict or (field, value) pairs; tags: extra tags (the key is always
    one); type; event_id: an id unique on the node, a repeat stores nothing
    and returns the stored event's position (safe retries); expect: None (no
    check), "ANY", "NOKEY", "EXISTS" or the key's revision (int) — raises
    WrongVersion when it does not hold."""
    args = ["EV.ADD", key]
    tags = list(tags or ())
    if tags:
        args += ["TAGS", len(tags)] + tags
    if type is not None:
        args += ["TYPE", type]
    if event_id is not None:
        args += ["EVENTID", event_id]
    if expect is not None:
        args += ["EXPECT", expect]
    args += _field_args(fields)
    try:
        reply = r.execute_command(*args)
    except redis.ResponseError as e:
        wv = _wrong_version(e)
        if wv is not None:
            raise wv from None
        raise
    d = _pairs(reply)
    return Position(_s(d["stream"]), int(d["offset"]), int(d["lamport"]), int(d["timestamp"]), _s(d["id"]))


def _selection(where, types):
    args = []
    if where is not None:
        args += ["WHERE", where]
    if types:
        types = [types] if isinstance(types, (str, bytes)) else list(types)
        args += ["TYPES", len(types)] + types
    return args


def _result(reply):
    m, events = reply
    return OffsetMap.parse(m), [Event.from_reply(e) for e in events]


def query(r, where=None, types=None, from_=None, to=None, order=None, count=None):
    """EV.QUERY -> (next OffsetMap, [Event]). from_ (exclusive) and to
    (inclusive) take an OffsetMap, dict or JSON; order: "LAMPORT" (default),
    "LAMPORTDESC", "STREAM". Pass the returned map as the next from_ (as the
    next ``to`` for LAMPORTDESC) to page on."""
    args = ["EV.QUERY"] + _selection(where, types)
    if from_ is not None:
        args += ["FROM", OffsetMap.coerce(from_).to_json()]
    if to is not None:
        args += ["TO", OffsetMap.coerce(to).to_json()]
    if order is not None:
        args += ["ORDER", order]
    if count is not None:
        args += ["COUNT", count]
    return _result(r.execute_command(*args))


def read(r, from_, where=None, types=None, count=None, block=None):
    """EV.READ -> (next OffsetMap, [Event]): the events after from_. With
    block (ms, 0 = forever) waits for the first matching event. When nothing
    matched (the server answers null) returns (from_, []). The client's
    socket_timeout must exceed block."""
    cur = OffsetMap.coerce(from_)
    args = ["EV.READ"] + _selection(where, types)
    if count is not None:
        args += ["COUNT", count]
    if block is not None:
        args += ["BLOCK", int(block)]
    args += ["FROM", cur.to_json()]
    reply = r.execute_command(*args)
    if reply is None:
        return cur, []
    return _result(reply)


def pages(r, cursor=None, where=None, types=None, count=500):
    """Catch up: EV.QUERY page by page from the cursor until what is stored
    now is exhausted. Yields Batch(events, offsets, caught_up); the last one
    has caught_up=True (and may have no events)."""
    cur = OffsetMap.coerce(cursor)
    while True:
        nxt, events = query(r, where=where, types=types, from_=cur, count=count)
        cur = cur.merge(nxt).copy()
        done = len(events) < count
        yield Batch(events, cur.copy(), done)
        if done:
            return


def read_loop(r, cursor=None, where=None, types=None, count=500, block_ms=1000):
    """Read on forever with EV.READ BLOCK from the cursor. Yields a Batch per
    read; one with no events when nothing matched within block_ms (a chance
    to stop: break out of the loop or close the generator)."""
    cur = OffsetMap.coerce(cursor)
    while True:
        nxt, events = read(r, cur, where=where, types=types, count=count, block=block_ms)
        cur = cur.merge(nxt).copy()
        yield Batch(events, cur.copy(), len(events) < count)


def subscribe(r, cursor=None, where=None, types=None, max_batch=256, idle_timeout=1.0):
    """EV.SUBSCRIBE from the cursor on a connection of its own (same options
    as ``r``), closed when the generator is closed. Yields Batch objects:
    the events that arrived together (up to max_batch), the cursor after
    them, caught_up=True once past the history/live boundary with nothing
    more buffered; a batch with no events after idle_timeout seconds of
    silence."""
    cur = OffsetMap.coerce(cursor)
    pool = r.connection_pool
    conn = pool.connection_class(**pool.connection_kwargs)
    try:
        conn.connect()
        conn.send_command("EV.SUBSCRIBE", *(_selection(where, types) + ["FROM", cur.to_json()]))
        first = conn.read_response()
        if isinstance(first, redis.ResponseError):
            raise first
        if not isinstance(first, list) or _s(first[0]) != "ev.subscribed":
            raise redis.ResponseError("unexpected reply to EV.SUBSCRIBE: %r" % (first,))
        cur.merge(first[1])
        live = False  # past the ev.caughtup message
        while True:
            if not conn.can_read(timeout=idle_timeout):
                yield Batch([], cur.copy(), live)
                continue
            events, caught_up = [], False
            while True:
                msg = conn.read_response()
                if isinstance(msg, redis.ResponseError):
                    raise msg
                kind = _s(msg[0])
                if kind == "ev.event":
                    ev = Event.from_reply(msg[1])
                    events.append(ev)
                    cur.merge(ev)
                elif kind == "ev.caughtup":
                    cur.merge(msg[1])
                    live = caught_up = True
                    break
                else:
                    raise redis.ResponseError("unexpected subscription message: %r" % (msg,))
                if len(events) >= max_batch:
                    break
                if not conn.can_read(timeout=0):
                    caught_up = live
                    break
            yield Batch(events, cur.copy(), caught_up)
    finally:
        conn.disconnect()


def key_events(r, key):
    """All events of one key, oldest first, and its revision (-1: none):
    what an EXPECT check compares with. Assumes no other key shares the key
    name as a tag, or filters them out."""
    events = [e for e in query(r, where=_quote_tag(key))[1] if e.key == key]
    return events, len(events) - 1


def _quote_tag(tag):
    if tag and tag != "isLocal" and all((c.isascii() and c.isalnum()) or c in "_-:./@#" for c in tag):
        return tag
    return "'" + tag.replace("'", "''") + "'"


def node(r):
    """EV.NODE -> dict(node, stream, lamport, events)."""
    d = _pairs(r.execute_command("EV.NODE"))
    return {"node": _s(d["node"]), "stream": _s(d["stream"]),
            "lamport": int(d["lamport"]), "events": int(d["events"])}


def offsets(r):
    """EV.OFFSETS -> (present, to_replicate) as OffsetMaps."""
    d = _pairs(r.execute_command("EV.OFFSETS"))
    return OffsetMap.parse(d["present"]), OffsetMap.parse(d["toReplicate"])
