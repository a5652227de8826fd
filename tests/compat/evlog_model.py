#!/usr/bin/python3
"""The event log's queries against a model, with redis-py (RESP2 and RESP3).

A seeded run publishes events (EV.ADD with random tags, types and keys, and
plain XADD) and, interleaved with more publishing, runs random EV.QUERY
calls — random WHERE expressions and TYPES, every ORDER, paged with COUNT
and the returned offset map — and checks:

- each query returns exactly the model's matching events between FROM and
  TO, in (lamport, stream, offset) order (descending for LAMPORTDESC),
  every field as published;
- paging with the returned offset map (as the next FROM; as the next TO for
  LAMPORTDESC) never skips or repeats an event, while events keep arriving;
- offsets are gapless and lamports strictly increase;
- bad input (maps, expressions, counts, unknown streams) gets an error and
  stores nothing.

Run: tests/lib/with-server /usr/bin/python3 tests/compat/evlog_model.py [--seed N] [--ops N]
"""
import argparse
import json
import os
import random
import sys

import redis

PORT = int(os.environ["SWARMLOG_PORT"])
TAGS = ["a", "b", "c", "d", "e", "region:eu", "user@x", "it's"]
TYPES = ["T1", "T2", "T3"]
KEYS = ["k0", "k1", "k2"]


def fail(msg):
    print("FAIL evlog_model: " + msg)
    sys.exit(1)


def quote(tag):
    bare = all(ch.isalnum() or ch in "_-:./@#" for ch in tag)
    return tag if bare and tag != "isLocal" else "'" + tag.replace("'", "''") + "'"


def rand_expr(rnd, depth=0):
    """(text, predicate on an event's tag set)"""
    x = rnd.random()
    if depth > 2 or x < 0.45:
        if rnd.random() < 0.05:
            return "*", lambda tags: True
        t = rnd.choice(TAGS + KEYS)
        return quote(t), lambda tags, t=t: t in tags
    l, lp = rand_expr(rnd, depth + 1)
    r, rp = rand_expr(rnd, depth + 1)
    if x < 0.75:
        return "(%s & %s)" % (l, r), lambda tags: lp(tags) and rp(tags)
    return "(%s | %s)" % (l, r), lambda tags: lp(tags) or rp(tags)


def as_dict(ev):
    if isinstance(ev, dict):
        return {k.decode() if isinstance(k, bytes) else k: v for k, v in ev.items()}
    return {ev[i].decode(): ev[i + 1] for i in range(0, len(ev), 2)}


def ev_read_checks():
    """EV.READ: events after FROM; BLOCK wakes on a matching event only;
    timeout answers null; paging through EV.READ's maps misses nothing."""
    import threading
    import time
    r = redis.Redis(host="127.0.0.1", port=PORT)
    present = json.loads(as_dict(r.execute_command("EV.OFFSETS"))["present"])
    for i in range(7):
        r.execute_command("EV.ADD", "rd", "TAGS", "1", "even" if i % 2 == 0 else "odd", "n", str(i))
    nxt, events = r.execute_command("EV.READ", "WHERE", "even", "COUNT", "2", "FROM", json.dumps(present))
    got = [as_dict(e)["payload"][1] for e in events]
    nxt, events = r.execute_command("EV.READ", "WHERE", "even", "FROM", nxt)
    got += [as_dict(e)["payload"][1] for e in events]
    if got != [b"0", b"2", b"4", b"6"]:
        fail("EV.READ paging: %r" % got)
    start = time.monotonic()
    if r.execute_command("EV.READ", "WHERE", "even", "BLOCK", "150", "FROM", nxt) is not None:
        fail("EV.READ BLOCK with nothing new did not answer null")
    if time.monotonic() - start < 0.13:
        fail("EV.READ BLOCK answered before its timeout")
    out = {}
    t = threading.Thread(target=lambda: out.setdefault(
        "r", redis.Redis(host="127.0.0.1", port=PORT).execute_command("EV.READ", "WHERE", "even", "BLOCK", "0",
                                                                     "FROM", nxt)))
    t.start()
    deadline = time.monotonic() + 5
    while r.info("clients")["blocked_clients"] != 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    r.execute_command("EV.ADD", "rd", "TAGS", "1", "odd", "n", "7")  # does not match: keeps waiting
    time.sleep(0.1)
    if not t.is_alive():
        fail("EV.READ woke for an event that does not match")
    r.execute_command("EV.ADD", "rd", "TAGS", "1", "even", "n", "8")
    t.join(5)
    if t.is_alive() or [as_dict(e)["payload"][1] for e in out["r"][1]] != [b"8"]:
        fail("EV.READ BLOCK 0 was not served the matching event: %r" % out.get("r"))
    for bad in (["EV.READ", "COUNT", "1"], ["EV.READ", "BLOCK", "-1", "FROM", "{}"],
                ["EV.READ", "FROM", "{}", "ORDER", "LAMPORT"], ["EV.READ", "FROM", "{}", "TO", "{}"]):
        try:
            r.execute_command(*bad)
            fail("no error for %r" % (bad,))
        except redis.ResponseError:
            pass
    r.close()


class Resp2Stream:
    """Reads RESP2 replies off a raw socket as they come."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _line(self, pos):
        end = self.buf.find(b"\r\n", pos)
        if end < 0:
            raise EOFError
        return self.buf[pos:end], end + 2

    def _parse(self, pos):
        line, pos = self._line(pos)
        t, rest = line[:1], line[1:]
        if t in (b"+", b"-"):
            return rest, pos
        if t == b":":
            return int(rest), pos
        n = int(rest)
        if t == b"$":
            if n < 0:
                return None, pos
            if len(self.buf) < pos + n + 2:
                raise EOFError
            return self.buf[pos:pos + n], pos + n + 2
        items = []
        for _ in range(max(n, 0)):
            v, pos = self._parse(pos)
            items.append(v)
        return items, pos

    def next(self, timeout=10):
        import time
        end = time.monotonic() + timeout
        while True:
            try:
                v, pos = self._parse(0)
                self.buf = self.buf[pos:]
                return v
            except EOFError:
                if time.monotonic() > end:
                    fail("no reply within %ds" % timeout)
                self.sock.settimeout(max(0.01, end - time.monotonic()))
                data = self.sock.recv(1 << 16)
                if not data:
                    fail("connection closed")
                self.buf += data


def subscribe_checks():
    """EV.SUBSCRIBE: history, one caught-up message, then live events, with
    publishers running throughout: every matching event exactly once, in
    order; a subscriber that does not read is not buffered without bound."""
    import socket
    import threading
    import time
    r = redis.Redis(host="127.0.0.1", port=PORT)
    start = json.loads(as_dict(r.execute_command("EV.OFFSETS"))["present"])
    pad = "x" * 1000
    pipe = r.pipeline(transaction=False)
    for i in range(6000):
        pipe.execute_command("EV.ADD", "sb", "TAGS", "1", "s" if i % 3 else "other", "n", str(i), "pad", pad)
    pipe.execute()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    sock.connect(("127.0.0.1", PORT))
    sock.sendall(b"*3\r\n$6\r\nCLIENT\r\n$7\r\nSETNAME\r\n$4\r\nslow\r\n")
    st = Resp2Stream(sock)
    st.next()
    args = [b"EV.SUBSCRIBE", b"WHERE", b"s", b"FROM", json.dumps(start).encode()]
    sock.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
    time.sleep(0.5)  # not reading: the server must not queue ~4 MB of history for us
    slow = [l for l in r.execute_command("CLIENT", "LIST").decode().splitlines() if " name=slow " in l][0]
    omem = int(slow.split(" omem=")[1].split(" ")[0])
    if omem > 1024 * 1024:
        fail("a subscriber that does not read holds %d bytes of output" % omem)
    def publisher():
        p = redis.Redis(host="127.0.0.1", port=PORT)
        for i in range(6000, 7500):
            p.execute_command("EV.ADD", "sb", "TAGS", "1", "s" if i % 3 else "other", "n", str(i))
        p.close()
    t = threading.Thread(target=publisher)
    t.start()
    seen, caught, msg = [], 0, st.next()
    if msg[0] != b"ev.subscribed":
        fail("first message %r" % msg[:1])
    while True:
        msg = st.next()
        if msg[0] == b"ev.caughtup":
            caught += 1
            continue
        ev = {msg[1][i].decode(): msg[1][i + 1] for i in range(0, len(msg[1]), 2)}
        seen.append(int(ev["payload"][1]))
        if seen[-1] == 7499:  # the last event the publisher adds
            break
    t.join()
    want = [i for i in range(seen[0], seen[-1] + 1) if i % 3]
    if seen != want or seen[0] != 1:
        fail("subscription delivered %d events, first %s, gaps or repeats: %r" % (len(seen), seen[:3], seen[-3:]))
    if caught != 1:
        fail("%d caught-up messages" % caught)
    sock.close()
    r.close()


def resp3_shapes():
    """redis-py here speaks RESP2 only: RESP3's maps are checked raw."""
    import socket
    s = socket.create_connection(("127.0.0.1", PORT))
    s.sendall(b"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n")
    buf = b""
    while b"modules" not in buf:
        buf += s.recv(65536)
    s.sendall(b"*6\r\n$6\r\nEV.ADD\r\n$2\r\nr3\r\n$4\r\nTYPE\r\n$1\r\nT\r\n$1\r\nf\r\n$1\r\nv\r\n")
    add = s.recv(65536)
    s.sendall(b"*5\r\n$8\r\nEV.QUERY\r\n$5\r\nWHERE\r\n$2\r\nr3\r\n$5\r\nCOUNT\r\n$1\r\n1\r\n")
    q = b""
    while b"payload" not in q or not q.endswith(b"v\r\n"):
        q += s.recv(65536)
    s.close()
    if not add.startswith(b"%5\r\n$6\r\nstream\r\n"):
        fail("RESP3 EV.ADD reply is not a map: %r" % add[:40])
    if not q.startswith(b"*2\r\n$") or b"%10\r\n$6\r\nstream\r\n" not in q or b"$7\r\neventid\r\n_\r\n" not in q:
        fail("RESP3 EV.QUERY reply shape: %r" % q[:200])


def run(seed, ops, proto):
    rnd = random.Random(seed)
    r = redis.Redis(host="127.0.0.1", port=PORT)
    r.flushall()
    node = as_dict(r.execute_command("EV.NODE"))
    stream = node["stream"].decode()
    base = node["events"]
    model = []  # events published in this run, in offset order

    def publish():
        key = rnd.choice(KEYS)
        if rnd.random() < 0.2:
            eid = r.xadd(key, {"x": str(rnd.random())})
            model.append({"key": key, "tags": {key}, "type": None, "payload": None, "id": eid})
            return
        tags = rnd.sample(TAGS, rnd.randint(0, 3))
        typ = rnd.choice(TYPES + [None])
        args = ["EV.ADD", key]
        if tags:
            args += ["TAGS", len(tags)] + tags
        if typ:
            args += ["TYPE", typ]
        payload = ["f", str(len(model)), "g", "v\x00\r\n"]
        res = as_dict(r.execute_command(*(args + payload)))
        if res["offset"] != base + len(model):
            fail("seed %d: offset %s, expected %d (gapless)" % (seed, res["offset"], base + len(model)))
        model.append({"key": key, "tags": {key, *tags}, "type": typ, "payload": payload, "id": res["id"]})

    def expected(pred, types, lo, hi):
        out = []
        for i, ev in enumerate(model):
            off = base + i
            if lo < off <= hi and pred(ev["tags"]) and (not types or ev["type"] in types):
                out.append(off)
        return out

    def check_event(ev, off):
        d = as_dict(ev)
        m = model[off - base]
        if d["stream"].decode() != stream or d["offset"] != off or d["key"].decode() != m["key"] \
                or d["id"] != m["id"]:
            fail("seed %d: event %d fields %r" % (seed, off, d))
        tags = [t.decode() for t in d["tags"]]
        if tags[0] != m["key"] or set(tags) != m["tags"] or len(tags) != len(m["tags"]):
            fail("seed %d: event %d tags %r, expected %r" % (seed, off, tags, m["tags"]))
        if (d["type"].decode() if d["type"] is not None else None) != m["type"] or d["eventid"] is not None:
            fail("seed %d: event %d type/eventid %r %r" % (seed, off, d["type"], d["eventid"]))
        if m["payload"] is not None and [p.decode() for p in d["payload"]] != m["payload"]:
            fail("seed %d: event %d payload %r" % (seed, off, d["payload"]))
        return d["lamport"]

    for _ in range(rnd.randint(20, 60)):
        publish()
    queries = 0
    while queries < ops:
        queries += 1
        text, pred = rand_expr(rnd)
        types = rnd.sample(TYPES, rnd.randint(1, 2)) if rnd.random() < 0.3 else []
        order = rnd.choice(["LAMPORT", "STREAM", "LAMPORTDESC"])
        count = rnd.choice([1, 2, 5, 50])
        desc = order == "LAMPORTDESC"
        # ascending: page from {} (or a random start) through what is stored at each call
        start = rnd.randint(-1, base + len(model) - 1)
        cursor = {} if start < 0 else {stream: start}
        top = base + len(model) - 1
        got, lamports = [], []
        limit = None if not desc else {stream: top}
        for page in range(10000):
            args = ["EV.QUERY", "WHERE", text]
            if types:
                args += ["TYPES", len(types)] + types
            if desc:
                args += ["FROM", json.dumps(cursor), "TO", json.dumps(limit)]
            else:
                args += ["FROM", json.dumps(cursor)]
            args += ["ORDER", order, "COUNT", count]
            reply = r.execute_command(*args)
            nxt, events = json.loads(reply[0]), reply[1]
            for ev in events:
                d = as_dict(ev)
                got.append(d["offset"])
                lamports.append(check_event(ev, d["offset"]))
            if desc:
                if not events:
                    break
                limit = nxt
            else:
                if not events:
                    break
                cursor = nxt
            if rnd.random() < 0.3 and not desc:
                publish()  # events keep arriving while a reader pages
        lo = start
        hi = (base + len(model) - 1) if not desc else top
        want = expected(pred, types, lo, hi)
        if desc:
            want = list(reversed(want))
        if got != want:
            fail("seed %d query %d (%s%s, %s, COUNT %d): got %s, expected %s"
                 % (seed, queries, text, " TYPES %s" % types if types else "", order, count, got[:20], want[:20]))
        if lamports != sorted(lamports, reverse=desc) or len(set(lamports)) != len(lamports):
            fail("seed %d: lamports out of order %s" % (seed, lamports[:20]))
        if rnd.random() < 0.5:
            publish()
    # bad input: an error each, nothing stored
    before = as_dict(r.execute_command("EV.NODE"))["events"]
    for args in (["EV.QUERY", "WHERE", "a &"], ["EV.QUERY", "FROM", "{bad"], ["EV.QUERY", "FROM", '{"nosuch-0":1}'],
                 ["EV.QUERY", "TO", '{"%s":-1}' % stream], ["EV.QUERY", "COUNT", "0"], ["EV.QUERY", "ORDER", "x"],
                 ["EV.QUERY", "TYPES", "2", "T1"], ["EV.QUERY", "WHERE"], ["EV.QUERY", "WHERE", "a", "WHERE", "b"],
                 ["EV.ADD", "k", "TAGS", "3", "a", "f", "v"]):
        try:
            r.execute_command(*args)
            fail("no error for %r" % (args,))
        except redis.ResponseError:
            pass
    if as_dict(r.execute_command("EV.NODE"))["events"] != before:
        fail("bad input stored something")
    r.close()
    return queries


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=int(os.environ.get("SWARMLOG_TEST_SEED", "0")) or None)
    ap.add_argument("--ops", type=int, default=150)
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1 << 32)
    print("evlog_model: seed %d (replay with --seed %d or SWARMLOG_TEST_SEED=%d)" % (seed, seed, seed))
    n = run(seed, a.ops, 2)
    print("ok   evlog model: %d paged queries" % n)
    ev_read_checks()
    print("ok   EV.READ (paging, BLOCK, timeout, errors)")
    subscribe_checks()
    print("ok   EV.SUBSCRIBE (history, caught-up, live, slow reader bounded)")
    resp3_shapes()
    print("ok   RESP3 maps")
    print("evlog_model: 4 passed, 0 failed")


if __name__ == "__main__":
    main()
