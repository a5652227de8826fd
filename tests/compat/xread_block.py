#!/usr/bin/python3
"""XREAD BLOCK behaves as in Redis: the same scenarios run against
redis-server (REDIS_PORT) and swarmlog (SWARMLOG_PORT), and each must give
the same observable results on both.

- a reader blocked on `$` gets the entry another connection adds;
- BLOCK with a timeout answers null after (not before) the timeout;
- a reader blocked on several keys is woken by a write to any of them;
- 20 readers blocked on one key are all woken by one XADD (fan-out);
- a reader blocked with BLOCK 0 that disconnects is cleaned up
  (INFO blocked_clients back to 0) and the server stays healthy;
- commands pipelined behind a blocked XREAD run after it, in order;
- XREADGROUP BLOCK (also 0): woken by an XADD, the delivered entry is
  pending for that consumer; several consumers of one group blocked on `>`
  get disjoint entries; a group destroyed or a key deleted while a client
  waits gives Redis's NOGROUP / UNBLOCKED errors; a timeout creates no
  consumer.

Run: tests/lib/with-server --reference -- /usr/bin/python3 tests/compat/xread_block.py
"""
import os
import socket
import sys
import threading
import time
import unittest

import redis

PORTS = {"redis": int(os.environ["REDIS_PORT"]), "swarmlog": int(os.environ["SWARMLOG_PORT"])}


def client(port, **kw):
    return redis.Redis(host="127.0.0.1", port=port, socket_timeout=10, **kw)


def wait_for(pred, deadline=5.0):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return False


def blocked(port):
    return client(port).info("clients")["blocked_clients"]


class XreadBlock(unittest.TestCase):
    def each(self, scenario):
        # The same key on both servers, so the replies can be compared whole.
        results = {name: scenario(port, "k:" + self._testMethodName) for name, port in PORTS.items()}
        self.assertEqual(results["redis"], results["swarmlog"])
        return results["swarmlog"]

    def test_woken_by_xadd_from_another_connection(self):
        def scenario(port, key):
            out = {}
            t = threading.Thread(target=lambda: out.setdefault(
                "r", client(port).xread({key: "$"}, block=0)))
            t.start()
            self.assertTrue(wait_for(lambda: blocked(port) == 1))
            client(port).xadd(key, {"f": "v"}, id="7-1")
            t.join(5)
            self.assertFalse(t.is_alive())
            return out["r"], blocked(port)
        self.assertEqual(self.each(scenario)[1], 0)

    def test_timeout_answers_null_after_the_timeout(self):
        def scenario(port, key):
            start = time.monotonic()
            r = client(port).xread({key: "$"}, block=200)
            elapsed = time.monotonic() - start
            self.assertGreaterEqual(elapsed, 0.18)
            self.assertLess(elapsed, 3)
            return r
        self.assertEqual(self.each(scenario), [])  # redis-py turns the null reply into []

    def test_several_keys_any_write_wakes(self):
        def scenario(port, key):
            out = {}
            a, b = key + ":a", key + ":b"
            t = threading.Thread(target=lambda: out.setdefault(
                "r", client(port).xread({a: "$", b: "$"}, block=0, count=5)))
            t.start()
            self.assertTrue(wait_for(lambda: blocked(port) == 1))
            client(port).xadd(b, {"x": "1"}, id="3-3")
            t.join(5)
            return out["r"]
        r = self.each(scenario)
        self.assertEqual(len(r), 1)

    def test_fan_out_to_twenty_readers(self):
        def scenario(port, key):
            results = []
            lock = threading.Lock()

            def reader():
                r = client(port).xread({key: "$"}, block=0)
                with lock:
                    results.append(r)
            threads = [threading.Thread(target=reader) for _ in range(20)]
            for t in threads:
                t.start()
            self.assertTrue(wait_for(lambda: blocked(port) == 20))
            client(port).xadd(key, {"n": "1"}, id="9-9")
            for t in threads:
                t.join(5)
            return len(results), all(r == results[0] for r in results), blocked(port)
        self.assertEqual(self.each(scenario), (20, True, 0))

    def test_xreadgroup_block_is_woken_and_the_entry_is_pending(self):
        def scenario(port, key):
            c = client(port)
            c.xgroup_create(key, "g", id="$", mkstream=True)
            out = {}
            t = threading.Thread(target=lambda: out.setdefault(
                "r", client(port).xreadgroup("g", "alice", {key: ">"}, block=0)))
            t.start()
            self.assertTrue(wait_for(lambda: blocked(port) == 1))
            c.xadd(key, {"f": "v"}, id="5-1")
            t.join(5)
            self.assertFalse(t.is_alive())
            p = c.xpending(key, "g")
            return out["r"], p["pending"], p["consumers"], blocked(port)
        r = self.each(scenario)
        self.assertEqual(r[1], 1)

    def test_xreadgroup_consumers_get_disjoint_entries(self):
        def scenario(port, key):
            c = client(port)
            c.xgroup_create(key, "g", id="$", mkstream=True)
            got, lock = [], threading.Lock()

            def consumer(name):
                r = client(port).xreadgroup("g", name, {key: ">"}, count=1, block=5000)
                with lock:
                    got.append([e[0] for _, entries in r for e in entries])
            threads = [threading.Thread(target=consumer, args=("c%d" % i,)) for i in range(3)]
            for t in threads:
                t.start()
            self.assertTrue(wait_for(lambda: blocked(port) == 3))
            for i in range(3):
                c.xadd(key, {"n": str(i)}, id="%d-1" % (i + 1))
            for t in threads:
                t.join(10)
            ids = sorted(i for g in got for i in g)
            return ids, c.xpending(key, "g")["pending"]
        self.assertEqual(self.each(scenario), ([b"1-1", b"2-1", b"3-1"], 3))

    def test_xreadgroup_block_group_destroyed_or_key_deleted(self):
        def scenario(port, key):
            c = client(port)
            res = []
            for how in ("destroy", "del"):
                c.xgroup_create(key, "g", id="$", mkstream=True)
                out = {}

                def reader():
                    try:
                        out["r"] = client(port).xreadgroup("g", "c", {key: ">"}, block=0)
                    except redis.ResponseError as e:
                        out["r"] = str(e)
                t = threading.Thread(target=reader)
                t.start()
                self.assertTrue(wait_for(lambda: blocked(port) == 1))
                if how == "destroy":
                    c.xgroup_destroy(key, "g")
                else:
                    c.delete(key)
                t.join(5)
                self.assertFalse(t.is_alive())
                res.append(out["r"])
                c.delete(key)
            return res
        self.each(scenario)

    def test_xreadgroup_timeout_creates_no_consumer(self):
        def scenario(port, key):
            c = client(port)
            c.xgroup_create(key, "g", id="$", mkstream=True)
            r = c.xreadgroup("g", "nobody", {key: ">"}, block=100)
            return r, c.xinfo_consumers(key, "g")
        self.assertEqual(self.each(scenario), ([], []))

    def test_disconnect_while_blocked_is_cleaned_up(self):
        def scenario(port, key):
            s = socket.create_connection(("127.0.0.1", port))
            cmd = ["XREAD", "BLOCK", "0", "STREAMS", key, "$"]
            s.sendall(("*%d\r\n" % len(cmd) + "".join("$%d\r\n%s\r\n" % (len(a), a) for a in cmd)).encode())
            self.assertTrue(wait_for(lambda: blocked(port) == 1))
            s.close()
            self.assertTrue(wait_for(lambda: blocked(port) == 0))
            return client(port).ping()
        self.assertTrue(self.each(scenario))

    def test_pipelined_commands_run_after_the_block(self):
        def scenario(port, key):
            s = socket.create_connection(("127.0.0.1", port))
            s.settimeout(5)
            cmds = [["XREAD", "BLOCK", "0", "STREAMS", key, "$"], ["ECHO", "after"]]
            s.sendall(b"".join(("*%d\r\n" % len(c) + "".join("$%d\r\n%s\r\n" % (len(a), a) for a in c)).encode()
                               for c in cmds))
            self.assertTrue(wait_for(lambda: blocked(port) == 1))
            client(port).xadd(key, {"f": "v"}, id="4-4")
            want = b"$5\r\nafter\r\n"
            data = b""
            while not data.endswith(want):
                chunk = s.recv(4096)
                self.assertTrue(chunk)
                data += chunk
            s.close()
            return data
        self.each(scenario)


if __name__ == "__main__":
    unittest.main(verbosity=2)
