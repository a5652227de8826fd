#!/usr/bin/python3
"""Data and checks for bench/evquery (see there); standard library only.

  evquery_data.py gen N              RESP for N pipelined EV.ADDs on stdout
  evquery_data.py plan N SMALL STREAM
                                     the benchmarked commands for a log of N
                                     events whose source stream is STREAM, one
                                     a line: name, then the arguments, tab-separated
  evquery_data.py check PORT N SMALL runs every planned command against the
                                     server on 127.0.0.1:PORT (holding the N
                                     events of `gen N`) and compares the reply
                                     with the model, field by field; prints
                                     `name answer-size` lines; exit 1 on a mismatch

Event i (offset i, i = 0 .. N-1) is
  EV.ADD k<i%10> TAGS 2 all <t2> f <payload>
with t2 = `rare` when i % 1000 == 999 (0.1% of the log, evenly spread) and
`t<i%50>` otherwise, payload = 8 digits of i*7919 mod 10^8. On a fresh node
offset i has lamport i+1 and tags [k<i%10>, all, t2].

The plan (SMALL = size of the small log; the *eq counts are what the small log
can answer, so both logs return the same number of events):
  q1    EV.QUERY WHERE rare COUNT 100                  first 100 rare events
  q1eq  EV.QUERY WHERE rare COUNT <rare in SMALL>
  r2    EV.READ COUNT 100 FROM {STREAM: N/2}           resumed in the middle
  r3    EV.READ WHERE rare COUNT 100 FROM {STREAM: N/2}
  r3eq  EV.READ WHERE rare COUNT <rare after SMALL/2 in SMALL> FROM {STREAM: N/2}
"""
import json
import socket
import sys

RARE_EVERY = 1000


def t2(i):
    return b"rare" if i % RARE_EVERY == RARE_EVERY - 1 else b"t%d" % (i % 50)


def payload(i):
    return b"%08d" % (i * 7919 % 100000000)


def bulk(b):
    return b"$%d\r\n%s\r\n" % (len(b), b)


def gen(n):
    out = sys.stdout.buffer
    head = b"*8\r\n$6\r\nEV.ADD\r\n"
    tags = b"$4\r\nTAGS\r\n$1\r\n2\r\n$3\r\nall\r\n"
    batch = []
    for i in range(n):
        batch.append(head + b"$2\r\nk%d\r\n" % (i % 10) + tags + bulk(t2(i)) + b"$1\r\nf\r\n$8\r\n" + payload(i) + b"\r\n")
        if len(batch) == 10000:
            out.write(b"".join(batch))
            batch = []
    out.write(b"".join(batch))
    out.flush()


def rare_between(lo, hi):
    """offsets of rare events in (lo, hi)"""
    first = lo + 1 + (RARE_EVERY - 1 - (lo + 1)) % RARE_EVERY
    return list(range(first, hi, RARE_EVERY))


def plan(n, small, stream):
    """[(name, args, expected offsets)]"""
    mid = n // 2
    fm = json.dumps({stream: mid}, separators=(",", ":"))
    c1 = len(rare_between(-1, small))
    c3 = len(rare_between(small // 2, small))
    rare = rare_between(-1, n)
    rare_mid = rare_between(mid, n)
    return [
        ("q1", ["EV.QUERY", "WHERE", "rare", "COUNT", "100"], rare[:100]),
        ("q1eq", ["EV.QUERY", "WHERE", "rare", "COUNT", str(c1)], rare[:c1]),
        ("r2", ["EV.READ", "COUNT", "100", "FROM", fm], list(range(mid + 1, min(mid + 101, n)))),
        ("r3", ["EV.READ", "WHERE", "rare", "COUNT", "100", "FROM", fm], rare_mid[:100]),
        ("r3eq", ["EV.READ", "WHERE", "rare", "COUNT", str(c3), "FROM", fm], rare_mid[:c3]),
    ]


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port))
        self.f = self.s.makefile("rb")

    def cmd(self, *args):
        self.s.sendall(b"*%d\r\n" % len(args) + b"".join(bulk(a if isinstance(a, bytes) else str(a).encode()) for a in args))
        return self.read()

    def read(self):
        line = self.f.readline()
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest
        if t == b"-":
            raise RuntimeError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)
            return data[:-2]
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise RuntimeError("unexpected reply %r" % line)


def pairs(lst):
    return dict(zip(lst[0::2], lst[1::2]))


def check(port, n, small):
    c = Conn(port)
    node = pairs(c.cmd("EV.NODE"))
    stream = node[b"stream"].decode()
    if node[b"events"] != n:
        sys.exit("check: EV.NODE says %d events, expected %d" % (node[b"events"], n))
    bad = 0
    for name, args, want in plan(n, small, stream):
        reply = c.cmd(*args)
        what = "%s (%s) on the %d-event log" % (name, " ".join(args), n)
        if not isinstance(reply, list) or len(reply) != 2:
            sys.exit("check: %s: reply is not [map, events]: %r" % (what, reply))
        m = json.loads(reply[0])
        # the map continues after the last event returned (an empty answer leaves FROM)
        want_map = {stream: want[-1]} if want else ({stream: n // 2} if "FROM" in args else {})
        errs = []
        if m != want_map:
            errs.append("map %r, expected %r" % (m, want_map))
        got = [pairs(e) for e in reply[1]]
        offs = [e.get(b"offset") for e in got]
        if offs != want:
            errs.append("offsets %s, expected %s" % (offs[:12], want[:12]))
        else:
            for e, i in zip(got, want):
                exp = {
                    b"stream": stream.encode(), b"offset": i, b"lamport": i + 1,
                    b"key": b"k%d" % (i % 10), b"tags": [b"k%d" % (i % 10), b"all", t2(i)],
                    b"type": None, b"eventid": None, b"payload": [b"f", payload(i)],
                }
                diff = [k.decode() for k, v in exp.items() if e.get(k) != v]
                if b"WHERE" in [a.encode() for a in args] and b"rare" not in e.get(b"tags", []):
                    diff.append("tags lack rare")
                if diff:
                    errs.append("event at offset %d: %s differ: %r" % (i, ", ".join(diff), e))
                    break
        if errs:
            bad += 1
            print("check: %s: %s" % (what, "; ".join(errs)), file=sys.stderr)
        else:
            print(name, len(want))
    sys.exit(1 if bad else 0)


def main():
    a = sys.argv[1:]
    if a[:1] == ["gen"] and len(a) == 2:
        gen(int(a[1]))
    elif a[:1] == ["plan"] and len(a) == 4:
        for name, args, _ in plan(int(a[1]), int(a[2]), a[3]):
            print("\t".join([name] + args))
    elif a[:1] == ["check"] and len(a) == 4:
        check(int(a[1]), int(a[2]), int(a[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
