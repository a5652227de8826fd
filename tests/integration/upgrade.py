#!/usr/bin/python3
"""A data directory written by an older swarmlog opens, upgrades and keeps
everything: tests/fixtures/schema6/ holds a data.mdb (gzipped) written by schema 6
(git 9dcd046) and expected.json, the replies that binary gave to a list of
reads over it (XRANGE/XREVRANGE, XINFO, XPENDING, SCAN, EV.QUERY by tag,
type and order, EV.OFFSETS, ...). This test copies the directory, starts
$SWARMLOG_SERVER on it (which upgrades it in place), and compares every
read with the recorded reply; then writes (XADD, EV.ADD with tags, XDEL,
DEL, an EVENTID already stored), restarts, and checks the store again.

Run:   SWARMLOG_SERVER=build/server/swarmlog-server /usr/bin/python3 tests/integration/upgrade.py
Make:  SWARMLOG_SERVER=<old binary> /usr/bin/python3 tests/integration/upgrade.py --make DIR
       (writes DIR/data.mdb.gz and DIR/expected.json with that binary)
"""
import gzip
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "replication"))
import replication as R  # noqa: E402  (Node, fail, d, cleanup)

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "schema6")

READS = [
    ["XRANGE", "s1", "-", "+"],
    ["XREVRANGE", "s1", "+", "-", "COUNT", "7"],
    ["XRANGE", "s1", "150", "+", "COUNT", "5"],
    ["XLEN", "s1"], ["XLEN", "tagged"], ["EXISTS", "s2"],
    ["XINFO", "STREAM", "s1"], ["XINFO", "STREAM", "tagged"],
    ["XINFO", "GROUPS", "s1"],
    ["XPENDING", "s1", "g"],
    ["SCAN", "0", "COUNT", "100"],
    ["EV.QUERY", "COUNT", "1000"],
    ["EV.QUERY", "WHERE", "red"],
    ["EV.QUERY", "WHERE", "blue & green"],
    ["EV.QUERY", "WHERE", "s1", "COUNT", "20"],
    ["EV.QUERY", "WHERE", "s2"],
    ["EV.QUERY", "TYPES", "1", "created"],
    ["EV.QUERY", "ORDER", "LAMPORTDESC", "COUNT", "3"],
    ["EV.OFFSETS"],
]


def plain(x):
    """A reply as JSON: bytes as text (the fixture's payloads are ASCII)."""
    if isinstance(x, bytes):
        return x.decode()
    if isinstance(x, (list, tuple)):
        return [plain(y) for y in x]
    if isinstance(x, dict):
        return {plain(k): plain(v) for k, v in x.items()}
    return x


def read_all(n):
    return [plain(n.r.execute_command(*cmd)) for cmd in READS]


def make(out):
    n = R.Node("old")
    r = n.r
    for i in range(1, 301):
        args = ["XADD", "s1"]
        if i % 97 == 0:
            args += ["MAXLEN", "~", "250"]
        r.execute_command(*(args + ["%d-%d" % (1000 + i, i % 3), "sensor", "s%d" % (i % 7), "value", str(i * 31)]))
    r.execute_command("XDEL", "s1", "1150-0", "1151-1", "1280-1")
    r.execute_command("XTRIM", "s1", "MINID", "1060")
    for i in range(5):
        r.execute_command("XADD", "s2", "*", "n", str(i))
    r.execute_command("DEL", "s2")
    colours = [["red"], ["red", "green"], ["blue", "green"], [], ["blue", "green", "red"]]
    for i in range(40):
        tags = colours[i % 5]
        args = ["EV.ADD", "tagged", "TAGS", str(len(tags))] + tags
        if i % 4 == 0:
            args += ["TYPE", "created"]
        if i % 10 == 3:
            args += ["EVENTID", "ev-%d" % i]
        r.execute_command(*(args + ["n", str(i), "body", "x" * (i % 9)]))
    r.execute_command("XGROUP", "CREATE", "s1", "g", "0")
    r.execute_command("XREADGROUP", "GROUP", "g", "c1", "COUNT", "10", "STREAMS", "s1", ">")
    r.execute_command("XREADGROUP", "GROUP", "g", "c2", "COUNT", "5", "STREAMS", "s1", ">")
    ids = [e[0] for e in r.execute_command("XRANGE", "s1", "-", "+", "COUNT", "4")]
    r.execute_command("XACK", "s1", "g", *ids)
    expected = read_all(n)
    n.stop()
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(n.dir, "data", "data.mdb"), "rb") as f, gzip.open(os.path.join(out, "data.mdb.gz"), "wb") as g:
        shutil.copyfileobj(f, g)
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump({"reads": READS, "replies": expected}, f, separators=(",", ":"))
        f.write("\n")


def same(n, expected, when):
    got = read_all(n)
    for cmd, want, have in zip(READS, expected, got):
        if want != have:
            R.fail("%s: %s answered\n  %s\nnot, as schema 6 did,\n  %s" % (when, " ".join(cmd), have, want))


def check():
    with open(os.path.join(FIXTURE, "expected.json")) as f:
        rec = json.load(f)
    if rec["reads"] != READS:
        R.fail("expected.json was made for other reads: remake the fixture")
    def fixture_copy(data):
        with gzip.open(os.path.join(FIXTURE, "data.mdb.gz"), "rb") as g, \
                open(os.path.join(data, "data.mdb"), "wb") as f:
            shutil.copyfileobj(g, f)

    n = R.Node("upgraded", prepare=fixture_copy)
    same(n, rec["replies"], "after the upgrade")
    r = n.r
    # writes on the upgraded store
    before = r.execute_command("XLEN", "s1")
    new_id = r.execute_command("XADD", "s1", "*", "sensor", "new", "value", "1")
    first = r.execute_command("XRANGE", "s1", "-", "+", "COUNT", "1")[0][0]
    if r.execute_command("XDEL", "s1", first) != 1:
        R.fail("XDEL of the oldest upgraded entry removed nothing")
    if r.execute_command("XLEN", "s1") != before:
        R.fail("XLEN after one XADD and one XDEL is not what it was")
    last = r.execute_command("XREVRANGE", "s1", "+", "-", "COUNT", "1")[0]
    if last[0] != new_id or last[1] != {b"sensor": b"new", b"value": b"1"}:
        R.fail("the new entry is not the newest: %r" % (last,))
    reds = len(r.execute_command("EV.QUERY", "WHERE", "red")[1])
    r.execute_command("EV.ADD", "tagged", "TAGS", "2", "red", "blue", "TYPE", "created", "n", "new")
    if len(r.execute_command("EV.QUERY", "WHERE", "red")[1]) != reds + 1:
        R.fail("an event tagged red after the upgrade is not found under red")
    if len(r.execute_command("EV.QUERY", "WHERE", "red & blue & green")[1]) != 8:
        R.fail("the upgraded tag index lost events under red & blue & green")
    again = R.d(r.execute_command("EV.ADD", "tagged", "EVENTID", "ev-3", "n", "3", "body", "xxx"))
    if again["offset"] != R.d(r.execute_command("EV.QUERY", "WHERE", "tagged", "COUNT", "4")[1][3])["offset"]:
        R.fail("EV.ADD with an EVENTID stored before the upgrade made a new event: %r" % again)
    if r.execute_command("DEL", "tagged") != 1 or r.execute_command("EXISTS", "tagged") != 0:
        R.fail("DEL of an upgraded key")
    state = [plain(r.execute_command(*c)) for c in (["XRANGE", "s1", "-", "+"], ["EV.QUERY", "COUNT", "1000"],
                                                    ["XINFO", "STREAM", "s1"], ["XPENDING", "s1", "g"])]
    n.stop()
    n.start()
    again = [plain(n.r.execute_command(*c)) for c in (["XRANGE", "s1", "-", "+"], ["EV.QUERY", "COUNT", "1000"],
                                                      ["XINFO", "STREAM", "s1"], ["XPENDING", "s1", "g"])]
    if again != state:
        R.fail("the upgraded store changed across a restart")
    n.stop()
    print("upgrade: a schema-6 directory opened, answered %d reads as schema 6 did, took writes and restarted"
          % len(READS))


if __name__ == "__main__":
    try:
        if len(sys.argv) == 3 and sys.argv[1] == "--make":
            make(sys.argv[2])
        else:
            check()
    finally:
        R.cleanup()
