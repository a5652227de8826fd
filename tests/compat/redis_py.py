#!/usr/bin/python3
"""redis-py (Debian's python3-redis) against the server started by
tests/lib/with-server (SWARMLOG_PORT).

Run: tests/lib/with-server /usr/bin/python3 tests/compat/redis_py.py
"""
import os
import sys
import threading
import time
import unittest

import redis

PORT = int(os.environ["SWARMLOG_PORT"])


def client(**kw):
    return redis.Redis(host="127.0.0.1", port=PORT, socket_timeout=10, **kw)


def wait_for(pred, what, deadline=10.0):
    """Polls pred() until true; fails (AssertionError) after deadline s."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.005)
    raise AssertionError("timed out waiting for " + what)


def in_thread(fn):
    """Runs fn() in a thread; returns a join() that gives its result or
    re-raises its exception."""
    out = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as e:  # re-raised in the caller
            out["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()

    def join():
        t.join(15)
        if t.is_alive():
            raise AssertionError("thread still running after 15 s")
        if "error" in out:
            raise out["error"]
        return out["value"]

    return join


def swarmlog_only(test):
    """Skips a test of swarmlog's own commands under `with-server --redis`."""
    def wrapper(self):
        if "swarmlog_version" not in self.r.info("server"):
            self.skipTest("swarmlog's EV commands")
        return test(self)
    wrapper.__name__ = test.__name__
    return wrapper


def flat(reply):
    """A RESP2 flat name/value array as a dict with str keys."""
    return {reply[i].decode(): reply[i + 1] for i in range(0, len(reply), 2)}


class RedisPyCompat(unittest.TestCase):
    def setUp(self):
        self.r = client()

    def tearDown(self):
        self.r.close()

    def test_streams_keys_and_flushall(self):
        r = self.r
        r.flushall()
        for key in ("rp:a", "rp:ab", "rp:b", "other"):
            r.xadd(key, {"f": "v"})
        self.assertEqual(sorted(r.keys("rp:*")), [b"rp:a", b"rp:ab", b"rp:b"])
        self.assertEqual(sorted(r.keys()), [b"other", b"rp:a", b"rp:ab", b"rp:b"])
        self.assertEqual(r.xlen("rp:a"), 1)
        self.assertEqual(len(r.xrange("rp:a")), 1)
        self.assertIs(r.flushall(), True)
        self.assertEqual(r.dbsize(), 0)
        self.assertEqual(r.keys(), [])

    def test_transaction_pipeline_and_watch(self):
        r = self.r
        r.delete("tx:a", "tx:b")
        pipe = r.pipeline(transaction=True)
        pipe.xadd("tx:a", {"f": "1"}, id="1-1").xadd("tx:b", {"f": "1"}, id="1-1").xlen("tx:a")
        self.assertEqual(pipe.execute(), [b"1-1", b"1-1", 1])
        # a runtime error inside EXEC is that command's result, the others run
        pipe = r.pipeline(transaction=True)
        pipe.xadd("tx:a", {"f": "2"}, id="1-1").xadd("tx:a", {"f": "2"}, id="2-2")
        res = pipe.execute(raise_on_error=False)
        self.assertIsInstance(res[0], redis.ResponseError)
        self.assertEqual(res[1], b"2-2")
        # optimistic locking: redis-py's transaction() retries on WATCH conflicts
        other = client()
        calls = []

        def add_next(p):
            last = p.xrevrange("tx:b", count=1)[0][0].decode()
            if not calls:
                other.xadd("tx:b", {"f": "x"}, id="5-5")  # a concurrent write: EXEC must fail once
            calls.append(last)
            p.multi()
            ms = int(last.split("-")[0]) + 1
            p.xadd("tx:b", {"f": "next"}, id="%d-0" % ms)

        res = r.transaction(add_next, "tx:b")
        other.close()
        self.assertEqual(calls, ["1-1", "5-5"])
        self.assertEqual(res, [b"6-0"])
        self.assertEqual([e[0] for e in r.xrange("tx:b")], [b"1-1", b"5-5", b"6-0"])
        with self.assertRaises(redis.exceptions.ResponseError):
            r.execute_command("EXEC")

    def test_info_persistence_reports_commits_and_the_log(self):
        if "swarmlog_version" not in self.r.info("server"):
            self.skipTest("swarmlog's own INFO fields")
        before = self.r.info("persistence")
        self.assertEqual(before["rdb_changes_since_last_save"], 0)
        self.r.xadd("rp:persist", {"f": "v"})
        self.r.xadd("rp:persist", {"f": "v"})
        after = self.r.info("persistence")
        self.assertEqual(after["event_log_events"], before["event_log_events"] + 2)
        self.assertEqual(after["lamport"], before["lamport"] + 2)
        self.assertGreaterEqual(after["store_commits"], before["store_commits"] + 1)
        self.assertEqual(after["store_last_commit_status"], "ok")
        self.assertEqual(after["durability"], "strict")
        self.assertGreater(after["store_data_bytes"], 0)
        self.r.delete("rp:persist")

    def test_ping(self):
        self.assertIs(self.r.ping(), True)

    def test_echo(self):
        self.assertEqual(self.r.echo("hello"), b"hello")
        self.assertEqual(self.r.echo(b"\x00\xff\r\n"), b"\x00\xff\r\n")

    def test_decode_responses(self):
        r = client(decode_responses=True)
        self.assertEqual(r.echo("héllo"), "héllo")
        r.close()

    def test_info(self):
        info = self.r.info()
        self.assertIn("redis_version", info)
        self.assertEqual(info["tcp_port"], PORT)
        self.assertIn("connected_clients", info)
        server = self.r.info("server")
        self.assertIn("redis_version", server)
        self.assertNotIn("connected_clients", server)

    def test_client_name(self):
        self.assertIsNone(self.r.client_getname())
        self.assertIs(self.r.client_setname("py-client"), True)
        self.assertEqual(self.r.client_getname(), "py-client")
        with self.assertRaises(redis.ResponseError):
            self.r.client_setname("has space")

    def test_client_name_on_connect(self):
        r = client(client_name="named-at-connect")
        self.assertEqual(r.client_getname(), "named-at-connect")
        r.close()

    def test_client_id_and_info(self):
        cid = self.r.client_id()
        self.assertGreater(cid, 0)
        info = self.r.client_info()
        self.assertEqual(int(info["id"]), cid)
        ids = [int(c["id"]) for c in self.r.client_list()]
        self.assertIn(cid, ids)

    def test_config_get(self):
        self.assertEqual(self.r.config_get("port"), {"port": str(PORT)})
        self.assertEqual(self.r.config_get("nosuchoption"), {})
        self.assertIn("maxclients", self.r.config_get("max*"))

    def test_config_set(self):
        self.assertIs(self.r.config_set("timeout", 123), True)
        self.assertEqual(self.r.config_get("timeout"), {"timeout": "123"})
        self.r.config_set("timeout", 0)
        with self.assertRaises(redis.ResponseError):
            self.r.config_set("nosuchoption", "1")

    def test_dbsize_time(self):
        self.assertEqual(self.r.dbsize(), 0)
        secs, usecs = self.r.time()
        self.assertGreater(secs, 1600000000)
        self.assertTrue(0 <= usecs < 1000000)

    def test_unknown_command(self):
        with self.assertRaises(redis.ResponseError) as cm:
            self.r.execute_command("NOSUCHCOMMAND", "a")
        self.assertEqual(
            str(cm.exception),
            "unknown command 'NOSUCHCOMMAND', with args beginning with: 'a' ")

    def test_pipeline_of_pings(self):
        pipe = self.r.pipeline(transaction=False)
        for _ in range(1000):
            pipe.ping()
        self.assertEqual(pipe.execute(), [True] * 1000)

    def test_pipeline_mixed(self):
        pipe = self.r.pipeline(transaction=False)
        for i in range(200):
            pipe.echo(str(i))
        pipe.dbsize()
        res = pipe.execute()
        self.assertEqual(res[:200], [str(i).encode() for i in range(200)])
        self.assertEqual(res[200], 0)

    def test_command_count(self):
        self.assertGreater(self.r.command_count(), 10)

    def test_connection_pool_reuse(self):
        pool = redis.ConnectionPool(host="127.0.0.1", port=PORT, socket_timeout=10)
        r = redis.Redis(connection_pool=pool)
        for _ in range(50):
            self.assertIs(r.ping(), True)
        pool.disconnect()


class RedisPyStreams(unittest.TestCase):
    """redis-py's own stream API (docs/compat.md, column redis-py)."""

    def setUp(self):
        self.r = client()
        self.r.delete("st")

    def tearDown(self):
        self.r.delete("st")
        self.r.close()

    def test_xadd_xrange_xrevrange(self):
        r = self.r
        self.assertEqual(r.xadd("st", {"f": "a"}, id="1-1"), b"1-1")
        self.assertEqual(r.xadd("st", {"f": "b", "g": b"\x00\xff"}, id="1-*"), b"1-2")
        with self.assertRaises(redis.ResponseError) as cm:
            r.xadd("st", {"f": "c"}, id="1-1")
        self.assertIn("equal or smaller", str(cm.exception))
        third = r.xadd("st", {"f": "c"}, maxlen=2, approximate=False)
        self.assertEqual(r.xlen("st"), 2)
        self.assertEqual(r.xrange("st"), [
            (b"1-2", {b"f": b"b", b"g": b"\x00\xff"}),
            (third, {b"f": b"c"}),
        ])
        self.assertEqual(r.xrange("st", min="(1-2", max="+"), [(third, {b"f": b"c"})])
        self.assertEqual(r.xrevrange("st", count=1), [(third, {b"f": b"c"})])
        self.assertEqual([e[0] for e in r.xrevrange("st", max="+", min="-")], [third, b"1-2"])
        self.assertEqual(r.xrange("nosuchkey"), [])

    def test_xread_block_woken_by_another_client(self):
        r = self.r
        r.xadd("st", {"f": "old"}, id="1-1")
        self.assertEqual(r.xread({"st": 0}, count=10), [[b"st", [(b"1-1", {b"f": b"old"})]]])
        t0 = time.monotonic()
        self.assertEqual(r.xread({"st": "$"}, block=150), [])
        self.assertGreaterEqual(time.monotonic() - t0, 0.14)
        reader = client()
        join = in_thread(lambda: reader.xread({"st": "$"}, block=10000))
        wait_for(lambda: r.info("clients")["blocked_clients"] == 1, "the blocked XREAD")
        r.xadd("st", {"f": "new"}, id="2-1")
        self.assertEqual(join(), [[b"st", [(b"2-1", {b"f": b"new"})]]])
        reader.close()

    def groups_fixture(self):
        r = self.r
        self.assertIs(r.xgroup_create("st", "g", id="0", mkstream=True), True)
        for i in (1, 2, 3):
            r.xadd("st", {"n": str(i)}, id="%d-1" % i)
        got = r.xreadgroup("g", "alice", {"st": ">"}, count=2)
        self.assertEqual(got, [[b"st", [(b"1-1", {b"n": b"1"}), (b"2-1", {b"n": b"2"})]]])

    def test_xreadgroup_xack_xpending_xautoclaim(self):
        r = self.r
        self.groups_fixture()
        self.assertEqual(r.xpending("st", "g"), {
            "pending": 2, "min": b"1-1", "max": b"2-1",
            "consumers": [{"name": b"alice", "pending": 2}]})
        rows = r.xpending_range("st", "g", min="-", max="+", count=10)
        self.assertEqual([(x["message_id"], x["consumer"], x["times_delivered"]) for x in rows],
                         [(b"1-1", b"alice", 1), (b"2-1", b"alice", 1)])
        self.assertEqual(r.xack("st", "g", "1-1", "9-9"), 1)
        cursor, claimed, deleted = r.xautoclaim("st", "g", "bob", 0, start_id="0-0", count=10)
        self.assertEqual((cursor, claimed, deleted), (b"0-0", [(b"2-1", {b"n": b"2"})], []))
        self.assertEqual(r.xautoclaim("st", "g", "bob", 0, justid=True), [b"2-1"])
        rows = r.xpending_range("st", "g", "-", "+", 10, consumername="bob")
        self.assertEqual([(x["message_id"], x["times_delivered"]) for x in rows], [(b"2-1", 2)])
        # bob's history (ID 0) and the BLOCK form of XREADGROUP
        r.xreadgroup("g", "bob", {"st": ">"})
        self.assertEqual(r.xreadgroup("g", "bob", {"st": "0"}),
                         [[b"st", [(b"2-1", {b"n": b"2"}), (b"3-1", {b"n": b"3"})]]])
        reader = client()
        join = in_thread(lambda: reader.xreadgroup("g", "carol", {"st": ">"}, block=10000))
        wait_for(lambda: r.info("clients")["blocked_clients"] == 1, "the blocked XREADGROUP")
        r.xadd("st", {"n": "4"}, id="4-1")
        self.assertEqual(join(), [[b"st", [(b"4-1", {b"n": b"4"})]]])
        reader.close()
        self.assertEqual(r.xack("st", "g", "2-1", "3-1", "4-1"), 3)
        self.assertEqual(r.xpending("st", "g")["pending"], 0)

    def test_xinfo_stream_groups_consumers(self):
        r = self.r
        self.groups_fixture()
        info = r.xinfo_stream("st")
        self.assertEqual(info["length"], 3)
        self.assertEqual(info["groups"], 1)
        self.assertEqual(info["entries-added"], 3)
        self.assertEqual(info["last-generated-id"], b"3-1")
        self.assertEqual(info["first-entry"], (b"1-1", {b"n": b"1"}))
        self.assertEqual(info["last-entry"], (b"3-1", {b"n": b"3"}))
        full = r.xinfo_stream("st", full=True)
        self.assertEqual(sorted(full["entries"]), [b"1-1", b"2-1", b"3-1"])
        self.assertEqual(full["groups"][0]["name"], b"g")
        self.assertEqual(full["groups"][0]["pel-count"], 2)
        [group] = r.xinfo_groups("st")
        self.assertEqual((group["name"], group["consumers"], group["pending"],
                          group["last-delivered-id"], group["entries-read"], group["lag"]),
                         (b"g", 1, 2, b"2-1", 2, 1))
        [consumer] = r.xinfo_consumers("st", "g")
        self.assertEqual((consumer["name"], consumer["pending"]), (b"alice", 2))
        self.assertGreaterEqual(consumer["idle"], 0)

    def test_pipeline_of_stream_commands(self):
        r = self.r
        pipe = r.pipeline(transaction=False)
        for i in range(1, 101):
            pipe.xadd("st", {"i": str(i)}, id="%d-1" % i)
        pipe.xadd("st", {"i": "dup"}, id="1-1")  # an error, in its place
        pipe.xlen("st").xrevrange("st", count=1)
        res = pipe.execute(raise_on_error=False)
        self.assertEqual(res[:100], [b"%d-1" % i for i in range(1, 101)])
        self.assertIsInstance(res[100], redis.ResponseError)
        self.assertEqual(res[101:], [100, [(b"100-1", {b"i": b"100"})]])


class RedisPyEvents(unittest.TestCase):
    """swarmlog's EV commands through execute_command, and EV.SUBSCRIBE
    through redis-py's PubSub connection (RESP2 arrays)."""

    def setUp(self):
        self.r = client()
        self.r.delete("orders", "other")

    def tearDown(self):
        self.r.delete("orders", "other")
        self.r.close()

    def node(self):
        return flat(self.r.execute_command("EV.NODE"))

    @swarmlog_only
    def test_ev_add_query_node_offsets(self):
        r = self.r
        before = self.node()
        stream = before["stream"].decode()
        self.assertEqual(stream, before["node"].decode() + "-0")
        add = flat(r.execute_command("EV.ADD", "orders", "TAGS", 2, "region:eu", "vip",
                                     "TYPE", "OrderPlaced", "EVENTID", "py-o-1", "amount", 10))
        self.assertEqual(list(add), ["stream", "offset", "lamport", "timestamp", "id"])
        self.assertEqual(add["stream"].decode(), stream)
        self.assertEqual(add["offset"], before["events"])
        self.assertEqual(add["lamport"], before["lamport"] + 1)
        # the event is an entry of its key
        self.assertEqual(r.xrange("orders"), [(add["id"], {b"amount": b"10"})])
        again = flat(r.execute_command("EV.ADD", "orders", "TYPE", "OrderPlaced",
                                       "EVENTID", "py-o-1", "amount", 10))
        self.assertEqual(again["offset"], add["offset"])  # idempotent retry
        r.execute_command("EV.ADD", "orders", "TAGS", 1, "region:us", "amount", 5)
        after = self.node()
        self.assertEqual(after["events"], before["events"] + 2)
        offsets = flat(r.execute_command("EV.OFFSETS"))
        self.assertEqual(offsets["present"].decode(),
                         '{"%s":%d}' % (stream, after["events"] - 1))
        self.assertEqual(offsets["toReplicate"], b"{}")

        start = '{"%s":%d}' % (stream, add["offset"] - 1) if add["offset"] else "{}"
        m, events = r.execute_command("EV.QUERY", "WHERE", "region:eu & vip", "TYPES", 1,
                                      "OrderPlaced", "FROM", start)
        self.assertEqual(len(events), 1)
        ev = flat(events[0])
        self.assertEqual((ev["stream"].decode(), ev["offset"], ev["key"], ev["id"], ev["tags"],
                          ev["type"], ev["eventid"], ev["payload"]),
                         (stream, add["offset"], b"orders", add["id"],
                          [b"orders", b"region:eu", b"vip"], b"OrderPlaced", b"py-o-1",
                          [b"amount", b"10"]))
        self.assertEqual(m.decode(), '{"%s":%d}' % (stream, after["events"] - 1))
        # paging with COUNT and the returned map
        m1, page1 = r.execute_command("EV.QUERY", "WHERE", "orders", "FROM", start, "COUNT", 1)
        _, page2 = r.execute_command("EV.QUERY", "WHERE", "orders", "FROM", m1, "COUNT", 1)
        self.assertEqual([flat(e)["offset"] for e in page1 + page2],
                         [add["offset"], add["offset"] + 1])
        with self.assertRaises(redis.ResponseError):
            r.execute_command("EV.QUERY", "WHERE", "(")

    @swarmlog_only
    def test_ev_read_block_woken_by_a_matching_event(self):
        r = self.r
        present = flat(r.execute_command("EV.OFFSETS"))["present"]
        self.assertIsNone(r.execute_command("EV.READ", "WHERE", "orders", "BLOCK", 100,
                                            "FROM", present))
        reader = client()
        join = in_thread(lambda: reader.execute_command(
            "EV.READ", "WHERE", "orders", "COUNT", 10, "BLOCK", 10000, "FROM", present))
        wait_for(lambda: r.info("clients")["blocked_clients"] == 1, "the blocked EV.READ")
        r.execute_command("EV.ADD", "other", "f", "v")  # does not match: keeps waiting
        r.execute_command("EV.ADD", "orders", "TYPE", "T", "f", "v")
        m, events = join()
        reader.close()
        self.assertEqual([(flat(e)["key"], flat(e)["type"]) for e in events], [(b"orders", b"T")])
        self.assertEqual(m, flat(r.execute_command("EV.OFFSETS"))["present"])

    @swarmlog_only
    def test_ev_add_in_multi_exec(self):
        r = self.r
        pipe = r.pipeline(transaction=True)
        pipe.execute_command("EV.ADD", "orders", "TAGS", 1, "tx", "f", "1")
        pipe.xadd("orders", {"f": "2"})
        pipe.execute_command("EV.ADD", "orders", "EXPECT", "NOKEY", "f", "3")
        a, xid, err = pipe.execute(raise_on_error=False)
        self.assertEqual(flat(a)["id"], r.xrange("orders")[0][0])
        self.assertEqual(xid, r.xrange("orders")[1][0])
        self.assertIsInstance(err, redis.ResponseError)
        self.assertIn("WRONGVERSION", str(err))
        self.assertEqual(r.xlen("orders"), 2)

    @swarmlog_only
    def test_ev_subscribe_through_pubsub(self):
        r = self.r
        present = flat(r.execute_command("EV.OFFSETS"))["present"]
        r.execute_command("EV.ADD", "orders", "TAGS", 1, "eu", "f", "history")
        r.execute_command("EV.ADD", "other", "f", "skipped")
        p = r.pubsub()
        p.execute_command("EV.SUBSCRIBE", "WHERE", "orders", "FROM", present)
        self.assertEqual(p.parse_response(timeout=10), [b"ev.subscribed", present])
        kind, ev = p.parse_response(timeout=10)
        self.assertEqual((kind, flat(ev)["payload"], flat(ev)["tags"]),
                         (b"ev.event", [b"f", b"history"], [b"orders", b"eu"]))
        kind, caught_up = p.parse_response(timeout=10)
        self.assertEqual(kind, b"ev.caughtup")
        self.assertIsNone(p.parse_response(block=False, timeout=0.1))
        r.execute_command("EV.ADD", "orders", "f", "live")
        kind, ev = p.parse_response(timeout=10)
        self.assertEqual((kind, flat(ev)["payload"]), (b"ev.event", [b"f", b"live"]))
        p.execute_command("EV.UNSUBSCRIBE")
        kind, m = p.parse_response(timeout=10)
        self.assertEqual(kind, b"ev.unsubscribed")
        self.assertEqual(m, flat(r.execute_command("EV.OFFSETS"))["present"])
        p.close()


class RedisPyResp3(unittest.TestCase):
    """redis-py 4.3.4 speaks RESP2 only: no protocol option (added in 5.0),
    and its parser rejects RESP3 types."""

    def test_no_protocol_option(self):
        with self.assertRaises(TypeError):
            redis.Redis(host="127.0.0.1", port=PORT, protocol=3)

    def test_hello_3_reply_is_a_protocol_error(self):
        r = client()
        with self.assertRaises(redis.exceptions.InvalidResponse) as cm:
            r.execute_command("HELLO", "3")
        self.assertIn("Protocol Error: b'%", str(cm.exception))
        r.close()


class RedisPyAuth(unittest.TestCase):
    """Only when the server was started with --requirepass (SWARMLOG_PASSWORD)."""

    def setUp(self):
        self.password = os.environ.get("SWARMLOG_PASSWORD")
        if not self.password:
            self.skipTest("no SWARMLOG_PASSWORD")

    def test_auth(self):
        with self.assertRaises(redis.AuthenticationError):
            client().ping()
        r = client(password=self.password)
        self.assertIs(r.ping(), True)
        r.close()
        # redis-py 4.3 raises a plain ResponseError for WRONGPASS.
        with self.assertRaises(redis.ResponseError) as cm:
            client(password="wrong").ping()
        self.assertIn("WRONGPASS", str(cm.exception))


if __name__ == "__main__":
    print("redis-py", redis.__version__, file=sys.stderr)
    unittest.main(verbosity=2)
