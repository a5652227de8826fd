#!/usr/bin/python3
"""Bad peers over the wire: a fake peer (a small RESP server in this script)
answers a real node's link (EV.PEER ADD) with AUTH/EV.NODE/EV.SYNC replies
and then crafted frames. For each kind of bad frame the node must refuse it,
log why, drop the link (it retries later) and store nothing of it:

- a malformed event frame (wrong element count) and a frame that is not
  RESP at all;
- an event of the receiving node's own stream;
- a gap (offset 1 of a stream it has nothing of);
- an offset reused with different content (offset 0 again, after the
  genuine offset 0 was stored);
- a tombstone ($xdel) whose payload is not (stream id, offset) pairs.

A well-formed event from the same fake peer is stored, so the checks are
not passing because nothing is ever imported.

Run: SWARMLOG_SERVER=build/server/swarmlog-server /usr/bin/python3 tests/replication/bad_peers.py
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import replication as R  # noqa: E402  (Node, LoopbackServer, fail, d, cleanup)

FAKE_ID = "FakePeer0123456789abcd"  # 22 characters, like a node id
FAKE_STREAM = FAKE_ID + "-0"


def bulk(b):
    b = b if isinstance(b, bytes) else str(b).encode()
    return b"$%d\r\n%s\r\n" % (len(b), b)


def array(items):
    return b"*%d\r\n" % len(items) + b"".join(items)


def event(stream, offset, lamport, key, fields, type_=None):
    return array([bulk("event"), bulk(stream), b":%d\r\n" % offset, b":%d\r\n" % lamport, b":%d\r\n" % 1000,
                  bulk(key), array([bulk(key)]), bulk(type_) if type_ else b"$-1\r\n", b"$-1\r\n",
                  array([bulk(f) for f in fields])])


class FakePeer(R.LoopbackServer):
    """Answers every connection: +OK to AUTH, a node id to EV.NODE, and to
    EV.SYNC an offsets frame followed by `frames` (bytes)."""

    def __init__(self):
        self.frames = b""
        self.syncs = 0
        super().__init__()

    def serve(self, conn):
        buf = b""
        try:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                buf += data
                while True:
                    cmd, buf = self.parse(buf)
                    if cmd is None:
                        break
                    name = cmd[0].upper()
                    if name == b"AUTH":
                        conn.sendall(b"+OK\r\n")
                    elif name == b"EV.NODE":
                        conn.sendall(array([bulk("node"), bulk(FAKE_ID)]))
                    elif name == b"EV.SYNC":
                        self.syncs += 1
                        conn.sendall(array([bulk("offsets"), bulk("{}")]) + self.frames)
                    else:
                        conn.sendall(b"-ERR fake peer\r\n")
        except OSError:
            pass
        finally:
            conn.close()

    @staticmethod
    def parse(buf):
        """One multibulk command from buf: (args, rest) or (None, buf)."""
        if not buf.startswith(b"*") or b"\r\n" not in buf:
            return None, buf
        head, rest = buf.split(b"\r\n", 1)
        args = []
        for _ in range(int(head[1:])):
            if b"\r\n" not in rest:
                return None, buf
            ln, rest2 = rest.split(b"\r\n", 1)
            n = int(ln[1:])
            if len(rest2) < n + 2:
                return None, buf
            args.append(rest2[:n])
            rest = rest2[n + 2:]
        return args, rest


def events(n):
    return R.d(n.r.execute_command("EV.NODE"))["events"]


def log_text(n):
    with open(os.path.join(n.dir, "server.log"), "rb") as f:
        return f.read().decode(errors="replace")


def expect_refused(node, fake, frames, why, stored_before):
    """Serves frames to node's link; waits for the refusal in the log."""
    fake.frames = frames
    fake.syncs = 0
    mark = len(log_text(node))
    node.r.execute_command("EV.PEER", "ADD", fake.addr())
    end = time.monotonic() + 10
    while time.monotonic() < end and why not in log_text(node)[mark:]:
        time.sleep(0.02)
    node.r.execute_command("EV.PEER", "REMOVE", fake.addr())
    if why not in log_text(node)[mark:]:
        R.fail("no '%s' in the log after %d syncs" % (why, fake.syncs))
    if events(node) != stored_before:
        R.fail("a refused frame stored something (%s): %d events, expected %d" % (why, events(node), stored_before))


def main():
    try:
        node = R.Node("N")
        fake = FakePeer()
        own = R.d(node.r.execute_command("EV.NODE"))["stream"].decode()
        expect_refused(node, fake, array([bulk("event"), bulk(FAKE_STREAM)]), "malformed event frame", 0)
        expect_refused(node, fake, b"!!! not RESP\r\n", "protocol error", 0)
        expect_refused(node, fake, event(own, 0, 5, "k", ["f", "v"]), "own stream cannot be imported", 0)
        expect_refused(node, fake, event(FAKE_STREAM, 1, 5, "k", ["f", "v"]), "leaves a gap", 0)
        expect_refused(node, fake, event(FAKE_STREAM, 0, 5, "k", ["f", "v"], type_="$xdel"),
                       "payload is not (stream id, offset) pairs", 0)
        # a good event is stored; the same offset with other content is not
        fake.frames = event(FAKE_STREAM, 0, 5, "k", ["f", "v"])
        node.r.execute_command("EV.PEER", "ADD", fake.addr())
        end = time.monotonic() + 10
        while time.monotonic() < end and events(node) != 1:
            time.sleep(0.02)
        node.r.execute_command("EV.PEER", "REMOVE", fake.addr())
        if events(node) != 1 or node.r.xlen("k") != 1:
            R.fail("a good event from the fake peer was not stored")
        expect_refused(node, fake, event(FAKE_STREAM, 0, 5, "k", ["f", "other"]), "already holds a different event", 1)
        if node.r.xrange("k")[0][1] != {b"f": b"v"}:
            R.fail("the stored event changed")
        node.stop()
        print("bad peers: 6 kinds of bad frames refused, logged, nothing stored; a good frame stored")
    finally:
        R.cleanup()


if __name__ == "__main__":
    main()
