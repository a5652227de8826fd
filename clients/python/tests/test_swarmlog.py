#!/usr/bin/python3
"""The helpers of clients/python/swarmlog.py against a running server
(tests/lib/with-server exports SWARMLOG_PORT), with redis-py's RESP2 and both
decode_responses settings. Exits nonzero on the first failure.

    tests/lib/with-server /usr/bin/python3 clients/python/tests/test_swarmlog.py
"""
import os
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import redis  # noqa: E402
import swarmlog  # noqa: E402
from swarmlog import OffsetMap  # noqa: E402

PORT = int(os.environ["SWARMLOG_PORT"])
PASSWORD = os.environ.get("SWARMLOG_PASSWORD")


def eq(got, want, what):
    if got != want:
        print("FAIL test_swarmlog: %s: got %r, want %r" % (what, got, want), flush=True)
        sys.exit(1)


def raises(exc, fn, what):
    try:
        fn()
    except exc as e:
        return e
    print("FAIL test_swarmlog: %s: no %s" % (what, exc.__name__), flush=True)
    sys.exit(1)


def wait_until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            print("FAIL test_swarmlog: timed out waiting for " + what, flush=True)
            sys.exit(1)
        time.sleep(0.01)


def offset_map_tests():
    m = OffsetMap.parse(b'{"b-0":3,"a-0":7}')
    eq(m.to_json(), '{"a-0":7,"b-0":3}', "serialized sorted, compact")
    m.merge('{"a-0":2,"c-0":0}').merge({"b-0": 9})
    eq(m.to_dict(), {"a-0": 7, "b-0": 9, "c-0": 0}, "merge is a pointwise maximum")
    for bad in ("[]", '{"a":-1}', '{"a":true}', '{"a":1.5}', "x", '{"a":"1"}'):
        raises(ValueError, lambda: OffsetMap.parse(bad), "parse %r" % bad)
    eq(OffsetMap.coerce(None), OffsetMap(), "None is the empty map")
    eq(OffsetMap.coerce({"x": 1}) == {"x": 1}, True, "compares with a dict")
    d = tempfile.mkdtemp(prefix="swarmlog-py-unit.")
    path = os.path.join(d, "cursor.json")
    eq(OffsetMap.load(path), OffsetMap(), "a missing file loads as the empty map")
    m.save(path)
    eq(OffsetMap.load(path), m, "save/load round trip")
    OffsetMap({"z-0": 1}).save(path)
    eq(OffsetMap.load(path).to_dict(), {"z-0": 1}, "save replaces")
    eq(sorted(os.listdir(d)), ["cursor.json"], "no temp files left behind")
    swarmlog.atomic_write(path, b"\x00bin")
    with open(path, "rb") as f:
        eq(f.read(), b"\x00bin", "atomic_write bytes")
    os.unlink(path)
    os.rmdir(d)


def server_tests(r, tag):
    k = "k" + tag
    # decode_responses=True cannot carry non-UTF-8 bytes (redis-py decodes every reply)
    binary = b"\xff\x00x" if tag == "raw" else "\u00e9\x00x"
    p0 = swarmlog.publish(r, k, {"n": "0", "bin": binary}, tags=[tag, "t:" + tag], type="A",
                          event_id="e0" + tag, expect="NOKEY")
    eq(type(p0.offset), int, "position offset is an int")
    again = swarmlog.publish(r, k, {"n": "other"}, type="A", event_id="e0" + tag, expect=5)
    eq(again, p0, "a repeated event id answers the stored position")
    e = raises(swarmlog.WrongVersion, lambda: swarmlog.publish(r, k, {"n": "x"}, expect=3), "EXPECT 3")
    eq((e.expected, e.revision), (3, 0), "WrongVersion fields")
    eq(isinstance(e, redis.ResponseError), True, "WrongVersion is a ResponseError")
    e = raises(swarmlog.WrongVersion, lambda: swarmlog.publish(r, k, {"n": "x"}, expect="NOKEY"), "NOKEY")
    eq((e.expected, e.revision), ("NOKEY", 0), "WrongVersion NOKEY")
    raises(ValueError, lambda: swarmlog.publish(r, k, {}), "no fields")
    for i in range(1, 6):
        swarmlog.publish(r, k, [("n", str(i))], tags=[tag], type="B" if i % 2 else "A", expect=i - 1)
    events, rev = swarmlog.key_events(r, k)
    eq((len(events), rev), (6, 5), "key_events and revision")

    m, evs = swarmlog.query(r, where=tag)
    eq([e.payload["n"] for e in evs], [str(i) for i in range(6)], "query all")
    ev = evs[0]
    eq((ev.key, ev.type, ev.eventid, ev.tags[0], ev.stream, ev.offset), (k, "A", "e0" + tag, k, p0.stream, p0.offset),
       "event fields")
    eq(dict(ev.raw_payload)[b"bin"], binary if tag == "raw" else binary.encode(), "binary payload")
    eq(evs[1].eventid, None, "no event id")
    eq(m.get(p0.stream), evs[-1].offset, "returned map ends at the last event")
    seen, cur = [], OffsetMap()
    while True:
        cur, page = swarmlog.query(r, where=tag, from_=cur, count=2)
        if not page:
            break
        seen += [e.payload["n"] for e in page]
    eq(seen, [str(i) for i in range(6)], "paging with the returned map")
    eq([e.payload["n"] for e in swarmlog.query(r, where=tag, types=["B"])[1]], ["1", "3", "5"], "TYPES")
    eq([e.payload["n"] for e in swarmlog.query(r, where=tag, types="A", order="LAMPORTDESC", count=2)[1]],
       ["4", "2"], "LAMPORTDESC")
    eq([len(b.events) for b in swarmlog.pages(r, None, where=tag, count=4)], [4, 2], "pages")
    eq([b.caught_up for b in swarmlog.pages(r, None, where=tag, count=3)], [False, False, True], "pages ends")

    # read: a cursor in the middle; a timeout keeps the cursor; BLOCK wakes.
    mid = OffsetMap().merge(evs[2])
    nxt, got = swarmlog.read(r, mid, where=tag)
    eq([e.payload["n"] for e in got], ["3", "4", "5"], "read after a cursor")
    t0 = time.monotonic()
    same, none = swarmlog.read(r, nxt, where=tag, block=100)
    eq((same, none, time.monotonic() - t0 >= 0.09), (nxt, [], True), "read timeout")

    def later():
        time.sleep(0.2)
        swarmlog.publish(r, k, {"n": "6"}, tags=[tag])
    th = threading.Thread(target=later)
    th.start()
    loop = swarmlog.read_loop(r, nxt, where=tag, block_ms=5000)
    batch = next(loop)
    loop.close()
    th.join()
    eq([e.payload["n"] for e in batch.events], ["6"], "read_loop wakes on a new event")
    eq(batch.offsets.covers(batch.events[0]), True, "the batch's cursor covers its events")

    # subscribe: history, the boundary, live; resume from a cursor.
    before = int(r.info("clients")["connected_clients"])
    sub = swarmlog.subscribe(r, mid, where=tag, max_batch=2, idle_timeout=0.2)
    got, caught, cur = [], False, None
    while not caught:
        b = next(sub)
        got += [e.payload["n"] for e in b.events]
        caught, cur = b.caught_up, b.offsets
    eq(got, ["3", "4", "5", "6"], "subscribe history from a cursor")
    swarmlog.publish(r, k, {"n": "7"}, tags=[tag])
    swarmlog.publish(r, "other" + tag, {"n": "x"})  # does not match
    b = next(sub)
    while not b.events:
        b = next(sub)
    eq([e.payload["n"] for e in b.events], ["7"], "subscribe live")
    eq(next(sub).events, [], "idle batch")
    sub.close()
    wait_until(lambda: int(r.info("clients")["connected_clients"]) == before, 5, "the subscription to close")
    eq(b.offsets.covers(b.events[0]) and not cur.covers(b.events[0]), True, "subscribe cursors")
    rest = swarmlog.query(r, where=tag, from_=b.offsets)[1]
    eq(rest, [], "nothing after the subscription's cursor")

    nd = swarmlog.node(r)
    present, to_rep = swarmlog.offsets(r)
    eq((nd["stream"] in present, nd["events"] == present[nd["stream"]] + 1, len(to_rep)), (True, True, 0),
       "node/offsets")
    raises(redis.ResponseError, lambda: swarmlog.query(r, where="(("), "bad WHERE")
    raises(redis.ResponseError, lambda: next(swarmlog.subscribe(r, None, where="((")), "bad WHERE subscribe")


def main():
    offset_map_tests()
    server_tests(redis.Redis(host="127.0.0.1", port=PORT, password=PASSWORD), "raw")
    server_tests(redis.Redis(host="127.0.0.1", port=PORT, password=PASSWORD, decode_responses=True), "decoded")
    print("test_swarmlog: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
