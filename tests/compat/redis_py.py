#!/usr/bin/python3
"""redis-py (Debian's python3-redis) against the server started by
tests/lib/with-server (SWARMLOG_PORT).

Run: tests/lib/with-server /usr/bin/python3 tests/compat/redis_py.py
"""
import os
import sys
import unittest

import redis

PORT = int(os.environ["SWARMLOG_PORT"])


def client(**kw):
    return redis.Redis(host="127.0.0.1", port=PORT, socket_timeout=10, **kw)


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
