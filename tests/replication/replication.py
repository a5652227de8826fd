#!/usr/bin/python3
"""Replication between real swarmlog processes on loopback (EV.SYNC pulled
by EV.PEER links), with redis-py:

- pair: B pulls from A; A's backlog and then its live events reach B, and B
  serves them to its readers (XREAD BLOCK is woken); A pulls back from B
  (naming the peer on one side is enough);
- restart: B stopped (SIGTERM) and restarted resumes from its offset map —
  no duplicate, no gap; the link is kept across the restart;
- chain: C pulls from B, B from A: A's events reach C through B, and B's own
  events too (events are passed on);
- causality: an event published on B after B stored A's event e has a larger
  lamport than e;
- crash: B killed with SIGKILL while catching up a 20,000-event backlog,
  restarted: it converges, every stream gapless, nothing twice;
- deletions: XDEL, DEL and FLUSHALL on every side of a partition travel as
  tombstones; after the heal every node has the same entries in each key,
  and entries added concurrently with a DEL survive it;
- bad peers: a wrong peer-password stores nothing (the link keeps retrying).

Convergence means identical EV.OFFSETS and identical EV.QUERY ORDER LAMPORT
output (entry IDs aside: each node gives its own).

Run: SWARMLOG_SERVER=build/server/swarmlog-server /usr/bin/python3 tests/replication/replication.py
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import redis

BIN = os.environ.get("SWARMLOG_SERVER") or os.path.join(os.path.dirname(__file__), "..", "..", "build", "server",
                                                        "swarmlog-server")
NODES = []


def fail(msg):
    print("FAIL replication: " + msg)
    for n in NODES:
        n.dump_log()
    sys.exit(1)


def cleanup():
    """Kills every node still running and removes the nodes' directories."""
    for n in NODES:
        if n.proc is not None:
            n.proc.kill()
            n.proc.wait()
        shutil.rmtree(n.dir, ignore_errors=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Node:
    def __init__(self, name, *extra, prepare=None):
        """prepare(data_dir), when given, fills the data directory before the first start."""
        self.name, self.extra = name, list(extra)
        self.dir = tempfile.mkdtemp(prefix="swarmlog-repl-%s-" % name)
        self.port = free_port()
        self.proc = None
        NODES.append(self)
        if prepare is not None:
            os.makedirs(os.path.join(self.dir, "data"))
            prepare(os.path.join(self.dir, "data"))
        self.start()

    def start(self):
        self.log = open(os.path.join(self.dir, "server.log"), "ab")
        self.proc = subprocess.Popen([BIN, "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
                                      os.path.join(self.dir, "data")] + self.extra, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        os.makedirs(os.path.join(self.dir, "data"), exist_ok=True)
        end = time.monotonic() + 20
        while time.monotonic() < end:
            try:
                if redis.Redis(port=self.port).ping():
                    self.r = redis.Redis(port=self.port)
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        fail("%s did not start" % self.name)

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return
        self.proc.send_signal(sig)
        code = self.proc.wait(30)
        self.proc = None
        self.log.close()
        if sig == signal.SIGTERM and code != 0:
            fail("%s exited with %d after SIGTERM (a sanitizer report?)" % (self.name, code))

    def addr(self):
        return "127.0.0.1:%d" % self.port

    def dump_log(self):
        try:
            with open(os.path.join(self.dir, "server.log"), "rb") as f:
                tail = f.read()[-3000:].decode(errors="replace")
            print("---- %s log ----\n%s" % (self.name, tail))
        except OSError:
            pass


def d(x):
    return {x[i].decode(): x[i + 1] for i in range(0, len(x), 2)}


def offsets(n):
    return json.loads(d(n.r.execute_command("EV.OFFSETS"))["present"])


def history(n):
    """Every event, in Lamport order, entry IDs aside."""
    out = []
    cursor = "{}"
    while True:
        nxt, events = n.r.execute_command("EV.QUERY", "FROM", cursor, "COUNT", "5000")
        for ev in events:
            e = d(ev)
            e.pop("id")
            out.append(tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in sorted(e.items())))
        if not events:
            return out
        cursor = nxt


def converge(nodes, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        maps = [offsets(n) for n in nodes]
        if all(m == maps[0] for m in maps):
            break
        time.sleep(0.05)
    else:
        fail("no convergence within %ds: %s" % (timeout, [offsets(n) for n in nodes]))
    hs = [history(n) for n in nodes]
    for n, h in zip(nodes[1:], hs[1:]):
        if h != hs[0]:
            fail("%s's events differ from %s's" % (n.name, nodes[0].name))
    seen = {}  # gapless, no duplicates, per stream (the same on every node)
    for e in hs[0]:
        e = dict(e)
        s = e["stream"]
        if e["offset"] != seen.get(s, -1) + 1:
            fail("stream %s: offset %d after %d" % (s, e["offset"], seen.get(s, -1)))
        seen[s] = e["offset"]
    return hs[0]


class LoopbackServer:
    """Listens on a free 127.0.0.1 port (self.port) and runs self.serve(conn)
    in a thread for each connection."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def addr(self):
        return "127.0.0.1:%d" % self.port

    def accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()


class DelayProxy(LoopbackServer):
    """A loopback TCP proxy to a node that holds each new connection for
    `delay` seconds before passing bytes both ways (a slow peer)."""

    def __init__(self, target_port, delay):
        self.target, self.delay = target_port, delay
        super().__init__()

    def serve(self, conn):
        time.sleep(self.delay)
        try:
            up = socket.create_connection(("127.0.0.1", self.target))
        except OSError:
            conn.close()
            return
        for a, b in ((conn, up), (up, conn)):
            threading.Thread(target=self.pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def pipe(a, b):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                b.sendall(data)
        except OSError:
            pass
        for x in (a, b):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def publish(n, count, key="k", tag="t"):
    p = n.r.pipeline(transaction=False)
    for i in range(count):
        p.execute_command("EV.ADD", key, "TAGS", "1", tag, "n", str(i))
    p.execute()


def main():
    try:
        a, b = Node("A"), Node("B")
        publish(a, 100)
        if b.r.execute_command("EV.PEER", "ADD", a.addr()) != 1:
            fail("EV.PEER ADD did not answer 1")
        converge([a, b])
        # live: a blocked reader on B is woken by A's event
        out = {}
        t = threading.Thread(target=lambda: out.setdefault("r", redis.Redis(port=b.port).xread({"live": "$"},
                                                                                               block=10000)))
        t.start()
        time.sleep(0.2)
        a.r.execute_command("EV.ADD", "live", "n", "1")
        t.join(10)
        if not out.get("r"):
            fail("XREAD BLOCK on B was not woken by A's event")
        peers = [d(x) for x in b.r.execute_command("EV.PEER", "LIST")]
        if len(peers) != 1 or peers[0]["state"] != b"live" or peers[0]["node"] != d(a.r.execute_command("EV.NODE"))["node"]:
            fail("EV.PEER LIST: %r" % peers)
        # naming the peer on one side is enough: B's own events reach A
        publish(b, 20, key="fromb_pair")
        converge([a, b])
        if a.r.xlen("fromb_pair") != 20:
            fail("B's events did not reach A (A should pull back from B)")
        print("ok   pair: backlog, live, XREAD woken, EV.PEER LIST, both ways from one EV.PEER ADD")

        # partition: both links cut, writes on both sides, healed from one side
        b.r.execute_command("EV.PEER", "REMOVE", a.addr())
        a.r.execute_command("EV.PEER", "REMOVE", b.addr())
        if a.r.execute_command("EV.PEER", "LIST") or b.r.execute_command("EV.PEER", "LIST"):
            fail("links left after EV.PEER REMOVE on both sides")
        publish(a, 40, key="cut_a")
        publish(b, 40, key="cut_b")
        time.sleep(0.3)
        if a.r.xlen("cut_b") or b.r.xlen("cut_a"):
            fail("events crossed a cut link")
        b.r.execute_command("EV.PEER", "ADD", a.addr())
        converge([a, b])
        print("ok   partition: cut, writes on both sides, healed: converged")

        # restart: B resumes from its own map, the peer is remembered
        b.stop()
        publish(a, 50)
        b.start()
        converge([a, b])
        print("ok   restart: resumed from its offset map, link kept")

        # chain and passing on
        c = Node("C")
        c.r.execute_command("EV.PEER", "ADD", b.addr())
        publish(b, 30, key="fromb")
        publish(a, 30)
        end = time.monotonic() + 20
        while time.monotonic() < end and (offsets(c) != offsets(b)):
            time.sleep(0.05)
        converge([a, b, c])
        hc = history(c)
        streams = {dict(e)["stream"] for e in hc}
        if len(streams) != 2:
            fail("C holds %d streams, expected A's and B's" % len(streams))
        print("ok   chain: every node's events reach every node (A - B - C)")

        # causality
        e = d(a.r.execute_command("EV.ADD", "cause", "n", "1"))
        end = time.monotonic() + 10
        while time.monotonic() < end and b.r.xlen("cause") < 1:
            time.sleep(0.02)
        after = d(b.r.execute_command("EV.ADD", "effect", "n", "1"))
        if after["lamport"] <= e["lamport"]:
            fail("causality: B's event after A's has lamport %d <= %d" % (after["lamport"], e["lamport"]))
        print("ok   causality: lamport %d after %d" % (after["lamport"], e["lamport"]))

        # crash during catch-up
        d_ = Node("D")
        publish(a, 20000, key="bulk")
        d_.r.execute_command("EV.PEER", "ADD", a.addr())
        time.sleep(0.05)
        o = d(d_.r.execute_command("EV.OFFSETS"))
        have = d(d_.r.execute_command("EV.NODE"))["events"]
        total = d(a.r.execute_command("EV.NODE"))["events"]
        if have < total and json.loads(o["toReplicate"]) and sum(json.loads(o["toReplicate"]).values()) <= 0:
            fail("toReplicate %r while %d of %d events are here" % (o["toReplicate"], have, total))
        d_.stop(signal.SIGKILL)
        d_.start()
        converge([a, d_], timeout=60)
        o = d(d_.r.execute_command("EV.OFFSETS"))
        if json.loads(o["toReplicate"]) != {}:
            fail("toReplicate %r after convergence" % o["toReplicate"])
        info = d_.r.info("replication")
        if info.get("swarm_peers") != 1 or "swarm_peer0" not in info:
            fail("INFO replication lists no peer: %r" % info)
        print("ok   kill -9 during catch-up: converged, gapless, nothing twice")

        # --peer on the command line
        g = Node("G", "--peer", a.addr())
        converge([a, g], timeout=60)
        print("ok   --peer: a node started with a peer converges with it")

        # restored from an old copy: the node gets its own events back first
        h = Node("H")
        publish(h, 10, key="own")
        h.stop()
        backup = h.dir + "-backup"
        shutil.copytree(os.path.join(h.dir, "data"), backup)
        h.start()
        publish(h, 20, key="own")
        i_ = Node("I", "--peer", h.addr())
        converge([h, i_])
        h.stop()
        shutil.rmtree(os.path.join(h.dir, "data"))
        shutil.copytree(backup, os.path.join(h.dir, "data"))
        shutil.rmtree(backup)
        # restarted with its peer configured and written to at once: the
        # write waits for the peer's answer (the startup hold), then it is
        # refused (RECOVERING) or lands after the recovered events
        slow = DelayProxy(i_.port, delay=1.0)  # the peer answers late: the hold must wait for it
        h.extra = ["--peer", "127.0.0.1:%d" % slow.port]
        h.start()
        try:
            early = d(h.r.execute_command("EV.ADD", "own", "n", "early"))
            if early["offset"] < 30:
                fail("a write right after the restart reused offset %d" % early["offset"])
        except redis.ResponseError as e:
            if not str(e).startswith("RECOVERING"):
                fail("a write right after the restart: %s" % e)
        end = time.monotonic() + 30
        while time.monotonic() < end and d(h.r.execute_command("EV.NODE"))["events"] < 30:
            time.sleep(0.02)
        if d(h.r.execute_command("EV.NODE"))["events"] < 30:
            fail("the restored node did not get its own events back")
        new = d(h.r.execute_command("EV.ADD", "own", "n", "after"))
        if new["offset"] not in (30, 31):
            fail("the restored node reused offset %d" % new["offset"])
        converge([h, i_])
        print("ok   restored from an old copy: own stream recovered from the peer, no offset reused")

        # star and mesh, publishers on every node at once
        for shape in ("star", "mesh"):
            ns = [Node("%s%d" % (shape, i)) for i in range(4)]
            for i, n in enumerate(ns[1:], 1):
                n.r.execute_command("EV.PEER", "ADD", ns[0].addr())
                if shape == "mesh":
                    for m in ns[1:i]:
                        n.r.execute_command("EV.PEER", "ADD", m.addr())
            threads = [threading.Thread(target=publish, args=(n, 300, "pub%d" % i)) for i, n in enumerate(ns)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            hist = converge(ns, timeout=60)
            if len(hist) != 1200:
                fail("%s: %d events after convergence, expected 1200" % (shape, len(hist)))
            for n in ns:
                n.stop()
        print("ok   star and mesh of 4 nodes, publishers everywhere: converged, identical Lamport order")

        # deletions travel as tombstones: XDEL, DEL and FLUSHALL on every
        # side of a partition; after the heal every node's key views agree
        ns = [Node("del%d" % i) for i in range(3)]
        for n in ns[1:]:
            n.r.execute_command("EV.PEER", "ADD", ns[0].addr())
        for i, n in enumerate(ns):
            for k in ("shared", "gone", "mine%d" % i):
                for j in range(5):
                    n.r.xadd(k, {"v": "%s-%d-%d" % (k, i, j)})
        converge(ns)
        for n in ns[1:]:  # partition: every node on its own
            n.r.execute_command("EV.PEER", "REMOVE", ns[0].addr())
        time.sleep(0.3)
        for i, n in enumerate(ns):
            entries = n.r.xrange("shared")
            n.r.xdel("shared", *[e[0] for e in entries if e[1][b"v"].decode().endswith("-%d" % i)])
            n.r.xadd("shared", {"v": "late-%d" % i})  # concurrent with the others' deletions
        ns[1].r.delete("gone")
        ns[2].r.xadd("gone", {"v": "after-del-elsewhere"})  # survives: ns[1] never saw it
        ns[0].r.delete("mine1")  # deletes ns[1]'s key as ns[0] has it
        ns[1].r.xadd("mine1", {"v": "concurrent"})
        for n in ns[1:]:
            n.r.execute_command("EV.PEER", "ADD", ns[0].addr())
        converge(ns)
        views = []
        for n in ns:
            keys = sorted(k.decode() for k in n.r.keys("*"))
            views.append({k: sorted(e[1][b"v"].decode() for e in n.r.xrange(k)) for k in keys})
        for n, v in zip(ns[1:], views[1:]):
            if v != views[0]:
                fail("key views differ after deletions: %s has %s, %s has %s" % (ns[0].name, views[0], n.name, v))
        want_shared = sorted(["shared-%d-%d" % (i, j) for i in range(3) for j in range(5) if j not in (0, 1, 2)] +
                             ["late-%d" % i for i in range(3)])
        if views[0].get("shared") != want_shared:
            fail("shared after concurrent XDELs: %s" % views[0].get("shared"))
        if views[0].get("gone") != ["after-del-elsewhere"] or views[0].get("mine1") != ["concurrent"]:
            fail("concurrent entries lost to a DEL: %s" % views[0])
        ns[2].r.flushall()
        converge(ns)
        if any(n.r.dbsize() != 0 for n in ns):
            fail("FLUSHALL did not reach every node: %s" % [n.r.dbsize() for n in ns])
        for n in ns:
            n.stop()
        print("ok   deletions: XDEL, DEL and FLUSHALL across a partition; key views agree, concurrent entries kept")

        # a wrong peer-password stores nothing
        e_ = Node("E", "--peer-password", "wrong")
        f = Node("F", "--peer-password", "right")
        publish(f, 5)
        e_.r.execute_command("EV.PEER", "ADD", f.addr())
        time.sleep(0.5)
        if d(e_.r.execute_command("EV.NODE"))["events"] != 0:
            fail("a peer with the wrong password got events")
        peer = d(e_.r.execute_command("EV.PEER", "LIST")[0])
        if peer["state"] == b"live":
            fail("a link with the wrong password is live")
        print("ok   wrong peer-password: refused, nothing stored")
        for n in NODES:
            n.stop()
        print("replication: 11 passed, 0 failed")
    finally:
        cleanup()


if __name__ == "__main__":
    main()
