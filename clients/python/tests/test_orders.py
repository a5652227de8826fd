#!/usr/bin/python3
"""The order workflow under fire: exactly-once projection across SIGKILLs.

Runs against the server started by tests/lib/with-server (SWARMLOG_PORT):

1. starts payments_service and orders_publisher (two publishing processes);
2. while orders keep arriving, runs the projection (rotating through its
   read, subscribe and query modes) and SIGKILLs it at random points after
   it made progress, restarting it each time;
3. waits for the publisher to finish and every order to reach a terminal
   state, stops payments_service, lets the projection catch up;
4. checks the projection's sqlite state against a fold of one full EV.QUERY
   of the log: per order the status, the amount and the exact list of events
   applied (stream:offset, in order: none twice, none skipped), no anomalies,
   and its saved offset map equal to the query's; plus the workflow's own
   invariants (every order placed once, paid-then-shipped or cancelled,
   event ids unique).

Exits nonzero on any failure. Run:
    tests/lib/with-server /usr/bin/python3 clients/python/tests/test_orders.py [--seed N]
"""
import argparse
import collections
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "examples")
sys.path.insert(0, EXAMPLES)
import orders  # noqa: E402
import swarmlog  # noqa: E402
import redis  # noqa: E402

PY = sys.executable or "/usr/bin/python3"
PORT = int(os.environ["SWARMLOG_PORT"])
CHILDREN = []


def fail(msg):
    print("FAIL test_orders: " + msg, flush=True)
    for p in CHILDREN:
        if p.poll() is None:
            p.kill()
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def wait_until(pred, timeout, what, interval=0.02):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            fail("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def wait_exit(p, timeout, what):
    try:
        return p.wait(timeout)
    except subprocess.TimeoutExpired:
        fail("%s did not exit within %.0f s" % (what, timeout))


def spawn(script, *args):
    p = subprocess.Popen([PY, os.path.join(EXAMPLES, script), "--port", str(PORT)] + list(args))
    CHILDREN.append(p)
    return p


def db_cursor(path):
    """The projection's committed offset map (empty before its first commit)."""
    try:
        db = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=10)
    except sqlite3.OperationalError:
        return swarmlog.OffsetMap()
    try:
        row = db.execute("SELECT offsets FROM cursor WHERE one = 0").fetchone()
        return swarmlog.OffsetMap.parse(row[0]) if row else swarmlog.OffsetMap()
    except sqlite3.OperationalError:  # no table yet
        return swarmlog.OffsetMap()
    finally:
        db.close()


def total(m):
    return sum(v + 1 for _, v in m.items())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=random.randrange(1 << 30))
    ap.add_argument("--orders", type=int, default=400)
    ap.add_argument("--rate", type=float, default=50.0, help="orders per second")
    ap.add_argument("--min-kills", type=int, default=8)
    args = ap.parse_args()
    print("test_orders: seed %d" % args.seed, flush=True)
    rnd = random.Random(args.seed)
    r = redis.Redis(host="127.0.0.1", port=PORT, password=os.environ.get("SWARMLOG_PASSWORD"))
    tmp = tempfile.mkdtemp(prefix="swarmlog-py-orders.")
    dbpath = os.path.join(tmp, "projection.sqlite")
    started = time.monotonic()

    pay = spawn("payments_service.py", "--cursor", os.path.join(tmp, "payments.offsets"))
    pub = spawn("orders_publisher.py", "--orders", str(args.orders), "--rate", str(args.rate),
                "--seed", str(args.seed))

    # 2. kill the projection again and again while events keep arriving.
    modes = ["read", "subscribe", "query"]
    kills = kills_while_publishing = kills_behind = 0
    last = swarmlog.OffsetMap()
    while pub.poll() is None or kills < args.min_kills:
        check(time.monotonic() - started < 40, "the kill loop ran past 40 s (%d kills)" % kills)
        check(pub.poll() in (None, 0), "orders_publisher failed: %r" % pub.returncode)
        check(pay.poll() is None, "payments_service died: %r" % pay.returncode)
        mode = modes[kills % len(modes)]
        proj = spawn("projection.py", "--db", dbpath, "--mode", mode, "--work-ms", "1")
        # Progress first (its cursor moves, or there is nothing left to do)...
        wait_until(lambda: db_cursor(dbpath) != last or
                   (pub.poll() is not None and db_cursor(dbpath) == swarmlog.offsets(r)[0]),
                   20, "the projection (%s) to make progress" % mode)
        # ...then a random moment within the next ~0.6 s.
        time.sleep(rnd.uniform(0.0, 0.6))
        publishing = pub.poll() is None
        present = swarmlog.offsets(r)[0]
        proj.send_signal(signal.SIGKILL)
        check(wait_exit(proj, 10, "killed projection") == -signal.SIGKILL,
              "projection (%s) exited before it was killed: %r" % (mode, proj.returncode))
        kills += 1
        kills_while_publishing += publishing
        last = db_cursor(dbpath)
        behind = total(present) - total(last)
        time.sleep(rnd.uniform(0.0, 0.3))  # down for a while: a backlog builds up
        kills_behind += behind > 0
        print("test_orders: kill %d (%s): committed %d events, %d behind the log%s" %
              (kills, mode, total(last), behind, ", publishing" if publishing else ""), flush=True)
    check(wait_exit(pub, 30, "orders_publisher") == 0, "orders_publisher failed: %r" % pub.returncode)
    check(kills_while_publishing >= 5, "only %d kills landed while events kept arriving" % kills_while_publishing)
    check(kills_behind >= 3, "only %d kills landed with the projection behind the log" % kills_behind)

    # 3. every order settles; then the payments service stops.
    def settled():
        st = orders.fold(swarmlog.query(r, where=orders.TAG)[1])
        return len(st) == args.orders and all(o["status"] in orders.TERMINAL for o in st.values())
    wait_until(settled, 20, "every order to be shipped or cancelled", interval=0.1)
    pay.send_signal(signal.SIGTERM)
    check(wait_exit(pay, 10, "payments_service") == 0, "payments_service failed: %r" % pay.returncode)
    # One more kill in the middle of catching up, then a clean catch-up.
    proj = spawn("projection.py", "--db", dbpath, "--mode", "query", "--work-ms", "1")
    time.sleep(rnd.uniform(0.05, 0.3))
    proj.send_signal(signal.SIGKILL)
    wait_exit(proj, 10, "killed projection")
    proj = spawn("projection.py", "--db", dbpath, "--mode", rnd.choice(modes), "--until-caught-up")
    check(wait_exit(proj, 20, "the final projection run") == 0, "projection failed: %r" % proj.returncode)

    # 4. the projection equals the fold of one full query of the log.
    log_map, events = swarmlog.query(r, where=orders.TAG)
    check(len(events) == total(log_map), "the full query returned %d events for map %s" % (len(events), log_map))
    expected = orders.fold(events)
    db = sqlite3.connect(dbpath)
    import projection  # the example's own loader
    got = projection.load_orders(db)
    cursor = projection.load_cursor(db)
    db.close()
    check(cursor == log_map, "projection cursor %s != log %s" % (cursor, log_map))
    check(set(got) == set(expected), "orders differ: only projected %s, only in log %s" %
          (sorted(set(got) - set(expected))[:5], sorted(set(expected) - set(got))[:5]))
    applied = sum(len(o["applied"]) for o in got.values())
    check(applied == len(events), "the projection applied %d events, the log has %d" % (applied, len(events)))
    for oid, want in expected.items():
        have = got[oid]
        check(have["applied"] == want["applied"],
              "order %s: applied %s, the log has %s (twice or skipped)" % (oid, have["applied"], want["applied"]))
        check(have == want, "order %s: projected %r, log fold %r" % (oid, have, want))
        check(want["anomalies"] == 0, "order %s: impossible event sequence in the log" % oid)

    # The workflow's invariants, from the same query.
    seqs = collections.defaultdict(list)
    for ev in events:
        seqs[orders.order_id(ev.key)].append(ev.type)
    ok = (["OrderPlaced", "PaymentReceived", "Shipped"], ["OrderPlaced", "Cancelled"])
    bad = {oid: s for oid, s in seqs.items() if s not in ok}
    check(not bad, "orders with an impossible history: %r" % dict(list(bad.items())[:5]))
    ids = [ev.eventid for ev in events]
    check(None not in ids and len(set(ids)) == len(ids), "event ids missing or repeated")
    status = collections.Counter(o["status"] for o in expected.values())
    check(status["shipped"] > 0 and status["cancelled"] > 0, "expected both shipped and cancelled orders: %r" % status)
    print("test_orders: OK — %d orders (%s), %d events, %d kills (%d while publishing, %d behind), %.1f s"
          % (args.orders, dict(status), len(events), kills, kills_while_publishing, kills_behind,
             time.monotonic() - started), flush=True)
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
