#!/usr/bin/python3
"""Differential test of the stream and keyspace commands: the same command
sequences against a real redis-server (7.0.15, Debian's) and swarmlog,
replies compared byte for byte, RESP2 and RESP3.

Run under tests/lib/with-server --reference (exports SWARMLOG_PORT and
REDIS_PORT):

    tests/lib/with-server --reference /usr/bin/python3 tests/compat/differential_streams.py
    tests/lib/with-server --redis --reference /usr/bin/python3 \\
        tests/compat/differential_streams.py        # redis against itself

Options: --case SUBSTRING, --list, --proto 2|3, --verbose, --seed N (the
random part; also $SWARMLOG_TEST_SEED), --ops N (random operations per
protocol), --no-random, --random-only, --no-approx (no ~ in the random
part).

Covered: XADD (explicit ids, ms-*, NOMKSTREAM, MAXLEN|MINID [=|~] n
[LIMIT n]), XLEN, XRANGE, XREVRANGE, XTRIM, XDEL, EXISTS, TYPE, DEL,
UNLINK, DBSIZE, every error case we know of, binary-safe and large
arguments, then a seeded random sequence of stream operations.

The transport (RESP framing, connections, steps) is differential.py's,
imported. Every case starts with a DEL of every key any case uses (only
checked to be an integer), so every case starts from the same keyspace on
both servers whatever earlier cases did.

Masked: only in the cases marked so, entry ids made by `*` (<ID>); all
other cases use explicit or far-future ids, so their replies are exact.
Replies longer than 2 KB are shown as length + SHA-1 + head (compared in
full).

Approximate trimming (~) depends on Redis's radix-tree node layout: a node
holds at most 100 entries (stream-node-max-entries) and 4096 bytes
(stream-node-max-bytes), and ~ only drops whole nodes. The cases named
"approx" check exactly that; the random part uses tiny values, so only the
100-entry limit decides there.
"""
import argparse
import difflib
import hashlib
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import differential as D  # noqa: E402  (the transport: Conn, encode, Step, ...)

S, R, Step, encode = D.S, D.R, D.Step, D.encode

MAXU = "18446744073709551615"          # 2^64-1
OVER = "18446744073709551616"          # 2^64


# ---------------------------------------------------------------- masks

def mask_ids(b):
    """Every bulk string that is an entry id becomes <ID>."""
    return D.sub(rb"\$\d+\r\n\d+-\d+\r\n", b"<ID>", b)


D.MASKS["ids"] = mask_ids


def mask_cg(b):
    """Consumer-group times: unix-ms timestamps (seen-time, delivery
    times), XINFO CONSUMERS idle, XPENDING's idle column."""
    b = D.re.sub(rb":\d{13}\r\n", b":<unix ms>\r\n", b)
    b = D.re.sub(rb"(\$4\r\nidle\r\n):\d+\r\n", rb"\1:<idle>\r\n", b)
    return D.re.sub(rb"(\*4\r\n\$\d+\r\n\d+-\d+\r\n\$\d+\r\n[^\r]*\r\n):\d+\r\n", rb"\1:<idle>\r\n", b)


D.MASKS["cg"] = mask_cg


# ---------------------------------------------------------------- helpers

def xadds(key, ids, field="f", value=None):
    """One raw step pipelining XADD key id field value for every id."""
    data = b"".join(encode(["XADD", key, i, field, value if value is not None else "v" + i])
                    for i in ids)
    return Step(data, replies=len(ids))


def seq_ids(ms, n, start=1):
    """ms-start .. ms-(start+n-1)"""
    return ["%d-%d" % (ms, s) for s in range(start, start + n)]


def many(key, n, ms0=1):
    """n entries with ids 1-1, 2-1, ..., tiny values (one node per 100)."""
    return xadds(key, ["%d-1" % (ms0 + i) for i in range(n)], "f", "v")


def state(key):
    return [S("XLEN", key), S("XRANGE", key, "-", "+"), S("XINFO", "STREAM", key)]


def head_tail(key):
    """Length and the first/last two entries: enough to see where a trim cut."""
    return [S("XLEN", key), S("XRANGE", key, "-", "+", "COUNT", "2"),
            S("XREVRANGE", key, "+", "-", "COUNT", "2"), S("XINFO", "STREAM", key, "FULL", "COUNT", "2")]


class ScanAll(Step):
    """A whole SCAN iteration with the given options: the set of keys it
    returned (cursors are each server's own; only the keys compare). Fails
    the transcript if the iteration does not end within `limit` calls."""

    def __init__(self, *opts, limit=10000):
        super().__init__(["SCAN", "<cursor>"] + list(opts))
        self.opts, self.limit = list(opts), limit

    def run(self, c):
        cursor, keys, calls = b"0", set(), 0
        while True:
            c.send(encode(["SCAN", cursor] + self.opts))
            r = c.reply()
            if not isinstance(r, bytes) or r.startswith(b"-"):
                return show(r)
            (_, items), _ = D.parse(r)
            cursor = items[0]
            keys.update(items[1][1])
            calls += 1
            if cursor == b"0":
                return "keys %r" % sorted(keys)
            if calls >= self.limit:
                return "no end after %d calls" % calls


class Other(Step):
    """A command sent on a second connection (another client), its reply
    shown in the transcript."""

    def __init__(self, *args):
        super().__init__(list(args))

    def label(self):
        return "(other client) " + Step.label(self)

    def run(self, c):
        other = D.Conn(c.sock.getpeername()[1])
        try:
            other.send(self.data())
            return show(other.reply())
        finally:
            other.close()


def ks(*keys):
    """Keyspace view: EXISTS per key, DBSIZE."""
    return [S("EXISTS", k) for k in keys] + [S("DBSIZE")]


BAD_IDS = ["abc", "1-", "-1", "1-2-3", "-", "+", "", "1-a", "a-1", "1.5", "1-1.5", "0x10",
           "1 ", "1-1 ", "1e3", OVER, OVER + "-0", "1-" + OVER, "99999999999999999999999-1",
           "*-1", "1-**", "**", "1-*-1", "--1", "1--", "0" * 130, "0" * 126 + "-1"]
# Shapes Redis accepts through strtoull() (leading space or '+', leading
# zeros, '-0' as a sequence, a NUL ending the C string, ...). Redis-exact
# behaviour, listed separately so a mismatch here is easy to judge.
QUIRK_IDS = [" 1", "+1", "01", "007-3", "1- 2", "1-+2", "1--0", "1--" + MAXU,
             "0" * 120 + "9", "\t10-1", "1-" + " " * 3 + "1", "+20-+1", "-0"]
# Redis parses an id as a C string: it ends at the first NUL byte.
NUL_IDS = ["5\x00junk", "6-1\x00x", "0-0\x00", "30-\x00", "\x001-1"]


# ---------------------------------------------------------------- cases

CASES = [
    ("xadd explicit ids", [
        S("XADD", "s", "1-1", "f", "v"), S("XADD", "s", "1-2", "f", "v", "g", "w"),
        S("XADD", "s", "2-0", "a", "1", "b", "2", "c", "3"), S("XADD", "s", "3", "f", "v"),
        S("XADD", "s", "3-*", "f", "v"), S("XADD", "s", "3-*", "f", "v"),
        S("XADD", "s", "10-*", "f", "v"), S("XADD", "s", "10", "f", "v"),
        S("XADD", "s", "11", "f", "v"), S("xadd", "s", "20-1", "same", "same", "same", "same"),
        S("XADD", "s", "12-1", "f", "v"), S("XADD", "s", "21-1", "", ""),
        S("XADD", "s", "18446744073709551614-" + MAXU, "f", "v"),
        S("XADD", "s", MAXU + "-0", "f", "v"), S("XADD", "s", MAXU + "-0", "f", "v"),
        S("XLEN", "s"), S("XRANGE", "s", "-", "+"), S("XREVRANGE", "s", "+", "-"),
        S("TYPE", "s"), S("EXISTS", "s"), S("DBSIZE")], None),
    ("xadd zero ids", [
        S("XADD", "z", "0-0", "f", "v"), S("XADD", "z", "0", "f", "v"), S("EXISTS", "z"),
        S("XADD", "z", "0-*", "f", "v"), S("XADD", "z", "0-*", "f", "v"),
        S("XADD", "z", "0-0", "f", "v"), S("XADD", "z", "0-2", "f", "v"),
        S("XADD", "z", "0-3", "f", "v"), S("XADD", "z2", "0-1", "f", "v"),
        S("XADD", "z3", "0-5", "f", "v"), S("XADD", "z3", "0", "f", "v"),
        S("XADD", "z3", "1", "f", "v")] + state("z") + state("z3") + [S("DBSIZE")], None),
    ("xadd id not increasing", [
        S("XADD", "s", "5-5", "f", "v"), S("XADD", "s", "5-5", "f", "v"),
        S("XADD", "s", "5-4", "f", "v"), S("XADD", "s", "4-9", "f", "v"),
        S("XADD", "s", "5", "f", "v"), S("XADD", "s", "4-*", "f", "v"),
        S("XADD", "s", "5-*", "f", "v"), S("XADD", "s", "5-6", "f", "v"),
        S("XADD", "s", "5-7", "f", "v"), S("XADD", "s", "6", "f", "v"),
        S("XADD", "s", "6", "f", "v"), S("XADD", "s", "MAXLEN", "0", "6-0", "f", "v"),
        S("XADD", "s", "NOMKSTREAM", "1-1", "f", "v")] + state("s"), None),
    ("xadd seq exhausted", [
        S("XADD", "s", "5-" + MAXU, "f", "v"), S("XADD", "s", "5-*", "f", "v"),
        S("XADD", "s", "6-*", "f", "v"), S("XADD", "s2", MAXU + "-" + MAXU, "f", "v"),
        S("XADD", "s2", "*", "f", "v"), S("XADD", "s2", MAXU + "-*", "f", "v"),
        S("XADD", "s2", MAXU, "f", "v"), S("XADD", "s2", "MAXLEN", "0", "*", "f", "v"),
        S("XLEN", "s2"), S("XADD", "s3", MAXU + "-*", "f", "v"),
        S("XADD", "s3", MAXU + "-*", "f", "v")] + state("s") + state("s2") + state("s3"),
     None),
    ("xadd bad ids", [S("XADD", "b", i, "f", "v") for i in BAD_IDS]
     + [S("XADD", "b", "1-1", "f", "v")] + [S("XADD", "b", i, "f", "v") for i in BAD_IDS[:8]]
     + [S("XADD", "nob", "NOMKSTREAM", "abc", "f", "v"),
        S("XADD", "nob", "NOMKSTREAM", "0-0", "f", "v")]
     + state("b") + ks("b", "nob"), None),
    ("xadd id quirks", [S("XADD", "q%d" % n, i, "f", "v") for n, i in enumerate(QUIRK_IDS)]
     + [S("XRANGE", "q%d" % n, "-", "+") for n in range(len(QUIRK_IDS))] + [S("DBSIZE")], None),
    ("ids with a NUL byte (Redis stops at the NUL)",
     [S("XADD", "nul%d" % n, i, "f", "v") for n, i in enumerate(NUL_IDS)]
     + [S("XRANGE", "nul%d" % n, "-", "+") for n in range(len(NUL_IDS))]
     + [S("XADD", "nul9", "3-0", "f", "v"), S("XADD", "nul9", "3-1", "f", "v"),
        S("XRANGE", "nul9", "3\x00x", "3\x00y"), S("XREVRANGE", "nul9", "+", "3-1\x00"),
        S("XDEL", "nul9", "3-1\x00z"), S("XTRIM", "nul9", "MINID", "3-1\x00"),
        S("XLEN", "nul9"), S("DBSIZE")], None),
    ("xadd far-future ids and *", [
        S("XADD", "s", "99999999999999-5", "f", "v"), S("XADD", "s", "*", "f", "v"),
        S("XADD", "s", "*", "g", "w"), S("XADD", "s", "99999999999999-*", "f", "v"),
        S("XADD", "s", "99999999999999", "f", "v"), S("XADD", "s", "100000000000000", "f", "v"),
        S("XADD", "s", "*", "f", "v")] + state("s"), None),
    ("xadd * (ids masked)", [
        S("XADD", "st", "*", "f", "v", mask="ids"), S("XADD", "st", "*", "f", "v", mask="ids"),
        S("XADD", "st", "MAXLEN", "1", "*", "g", "w", mask="ids"),
        S("XADD", "st", "NOMKSTREAM", "*", "h", "x", mask="ids"),
        S("XLEN", "st"), S("XRANGE", "st", "-", "+", mask="ids"),
        S("XREVRANGE", "st", "+", "-", "COUNT", "1", mask="ids"),
        S("XADD", "st", "1-1", "f", "v"), S("XADD", "st", "0-*", "f", "v"),
        S("XADD", "st-missing", "NOMKSTREAM", "*", "f", "v"),
        S("XADD", "st", "*", "f", mask="ids"), S("XADD", "st", "*", mask="ids"),
        S("XADD", "st", "MINID", "0", "*", "f", "v", mask="ids"),
        S("XADD", "st", "MINID", MAXU, "*", "f", "v", mask="ids"),
        S("XLEN", "st"), S("EXISTS", "st", "st-missing"), S("DBSIZE")], None),
    ("xadd nomkstream", [
        S("XADD", "nk", "NOMKSTREAM", "1-1", "f", "v"), S("XADD", "nk", "nomkstream", "*", "f", "v"),
        S("XADD", "nk", "NOMKSTREAM", "MAXLEN", "0", "1-1", "f", "v"),
        S("XADD", "nk", "MAXLEN", "5", "NOMKSTREAM", "1-*", "f", "v")] + ks("nk") + [
        S("XLEN", "nk"), S("XRANGE", "nk", "-", "+"), S("TYPE", "nk"),
        S("XADD", "nk", "1-1", "f", "v"), S("XADD", "nk", "NOMKSTREAM", "2-1", "f", "v"),
        S("XADD", "nk", "NOMKSTREAM", "1-1", "f", "v"),
        S("XADD", "nk", "NOMKSTREAM", "NOMKSTREAM", "3-*", "f", "v"),
        S("XADD", "nk", "NOMKSTREAM", "MAXLEN", "1", "4-0", "f", "v"),
        S("XADD", "nk", "MAXLEN", "0", "NOMKSTREAM", "5-0", "f", "v"),
        S("XADD", "nk", "NOMKSTREAM", "6-0", "f", "v")] + state("nk") + ks("nk"), None),
    ("xadd arity and field count", [
        S("XADD"), S("XADD", "a"), S("XADD", "a", "1-1"), S("XADD", "a", "1-1", "f"),
        S("XADD", "a", "1-1", "f", "v", "g"), S("XADD", "a", "1-1", "f", "v", "g", "w", "h"),
        S("XADD", "a", "MAXLEN", "5", "1-1", "f"), S("XADD", "a", "NOMKSTREAM", "1-1", "f"),
        S("XADD", "a", "MAXLEN"), S("XADD", "a", "MAXLEN", "5"), S("XADD", "a", "MAXLEN", "5", "1-1"),
        S("XADD", "a", "NOMKSTREAM", "1-1"), S("XADD", "a", "MINID", "1", "2-1", "f"),
        S("XADD", "a", "*", "f"), S("XADD", "a", "*"), S("XADD", "a", "NOMKSTREAM"),
        S("XADD", "a", "MAXLEN", "~", "5", "LIMIT", "1", "1-1"),
        S("XADD", "a", "bad", "f"), S("XADD", "a", "bad", "f", "v", "g"),
        S("xadd", "a", "1-1", "f")] + ks("a"), None),
    ("xadd maxlen exact", [xadds("m", seq_ids(1, 4))]
     + [S("XADD", "m", "MAXLEN", "3", "2-%d" % i, "f", "v%d" % i) for i in range(1, 4)]
     + state("m") + [
        S("XADD", "m", "MAXLEN", "=", "2", "3-1", "f", "v"), S("XADD", "m", "maxlen", "=", "5", "3-2", "f", "v"),
        S("XADD", "m", "MAXLEN", "100", "3-3", "f", "v")] + state("m") + [
        S("XADD", "m", "MAXLEN", "0", "4-1", "f", "v")] + state("m") + ks("m") + [
        S("TYPE", "m"), S("XADD", "m", "4-1", "f", "v"), S("XADD", "m", "4-*", "f", "v"),
        S("XADD", "m", "MAXLEN", "1", "MAXLEN", "0", "5-1", "f", "v"),
        S("XADD", "m", "MAXLEN", "0", "MAXLEN", "2", "6-1", "f", "v"),
        S("XADD", "m", "MAXLEN", "=", "1", "7-1", "f", "v")] + state("m") + [
        S("XADD", "m0", "MAXLEN", "0", "1-1", "f", "v")] + state("m0") + ks("m", "m0"), None),
    ("xadd minid exact", [xadds("n", seq_ids(1, 5) + seq_ids(2, 3) + ["3-0"])] + state("n") + [
        S("XADD", "n", "MINID", "2", "4-0", "f", "v")] + state("n") + [
        S("XADD", "n", "MINID", "=", "2-2", "4-1", "f", "v"),
        S("XADD", "n", "minid", "2-2", "4-2", "f", "v"),
        S("XADD", "n", "MINID", "-", "4-3", "f", "v"), S("XADD", "n", "MINID", "+", "4-4", "f", "v"),
        S("XADD", "n", "MINID", "0", "4-5", "f", "v"), S("XADD", "n", "MINID", "4-3", "4-6", "f", "v")]
     + state("n") + [
        S("XADD", "n", "MINID", "100", "5-0", "f", "v")] + state("n") + ks("n") + [
        S("XADD", "n", "MINID", "5-1", "5-1", "f", "v"), S("XADD", "n", "MINID", "5-2", "5-2", "f", "v"),
        S("XADD", "n", "MINID", "5-*", "5-3", "f", "v"),
        S("XADD", "n", "MINID", "(5", "5-4", "f", "v"),
        S("XADD", "n", "MINID", "5-2", "MINID", "6", "6-1", "f", "v")] + state("n"), None),
    ("xadd trim option errors", [
        S("XADD", "e", "MAXLEN", "-1", "1-1", "f", "v"), S("XADD", "e", "MAXLEN", "x", "1-1", "f", "v"),
        S("XADD", "e", "MAXLEN", "1.5", "1-1", "f", "v"), S("XADD", "e", "MAXLEN", "", "1-1", "f", "v"),
        S("XADD", "e", "MAXLEN", "99999999999999999999", "1-1", "f", "v"),
        S("XADD", "e", "MAXLEN", "9223372036854775807", "1-1", "f", "v"),
        S("XADD", "e", "MAXLEN", "-9223372036854775808", "1-1", "f", "v"),
        S("XADD", "e", "MAXLEN", "~", "-1", "1-1", "f", "v"),
        S("XADD", "e", "MAXLEN", "1", "MINID", "1", "2-1", "f", "v"),
        S("XADD", "e", "MINID", "1", "MAXLEN", "1", "2-1", "f", "v"),
        S("XADD", "e", "MINID", "abc", "2-1", "f", "v"), S("XADD", "e", "MINID", "1-", "2-1", "f", "v"),
        S("XADD", "e", "MINID", "-1", "2-1", "f", "v"), S("XADD", "e", "MINID", OVER, "2-1", "f", "v"),
        S("XADD", "e", "MAXLEN", "1", "LIMIT", "10", "2-1", "f", "v"),
        S("XADD", "e", "MAXLEN", "=", "1", "LIMIT", "10", "2-1", "f", "v"),
        S("XADD", "e", "LIMIT", "10", "2-1", "f", "v"),
        S("XADD", "e", "MAXLEN", "~", "1", "LIMIT", "-1", "2-1", "f", "v"),
        S("XADD", "e", "MAXLEN", "~", "1", "LIMIT", "x", "2-1", "f", "v"),
        S("XADD", "e", "MINID", "=", "1", "LIMIT", "5", "2-1", "f", "v"),
        S("XADD", "e", "MAXLEN", "~", "1-1", "f", "v"),
        S("XADD", "e", "MAXLEN", "=", "~", "5", "1-1", "f", "v"),
        S("XADD", "e", "MAXLEN", "~", "~", "5", "1-1", "f", "v"),
        S("XADD", "e", "MAXLEN", "=", "1-1", "f", "v"),
        S("XADD", "e", "maxlen", "-5", "1-1", "f", "v"),
        S("XADD", "e", "LIMIT", "5", "MAXLEN", "1", "1-1", "f", "v")] + ks("e") + [
        S("XADD", "e", "MAXLEN", "~", "1", "LIMIT", "0", "2-1", "f", "v"),
        S("XADD", "e", "LIMIT", "5", "MAXLEN", "~", "1", "2-2", "f", "v"),
        S("XADD", "e", "MAXLEN", "~", "1", "LIMIT", "1", "LIMIT", "2", "2-3", "f", "v"),
        S("XADD", "e", "MINID", "~", "1-1", "LIMIT", "9223372036854775807", "2-4", "f", "v"),
        S("XADD", "e", "MAXLEN", "~", "1", "MAXLEN", "=", "1", "LIMIT", "3", "2-5", "f", "v"),
        S("XADD", "e", "MAXLEN", "~", "1", "MAXLEN", "=", "1", "2-6", "f", "v"),
        S("XADD", "e", "MAXLEN", "=", "1", "MAXLEN", "~", "1", "LIMIT", "3", "2-7", "f", "v"),
        S("XADD", "e", "MINID", "~", "1", "MAXLEN", "~", "1", "2-8", "f", "v")] + state("e"), None),
    ("xadd approx small stream", [many("a", 50)] + [
        S("XADD", "a", "MAXLEN", "~", "10", "100-1", "f", "v"),
        S("XADD", "a", "MAXLEN", "~", "0", "100-2", "f", "v"),
        S("XADD", "a", "MINID", "~", "40", "100-3", "f", "v"),
        S("XADD", "a", "MINID", "~", "100-3", "100-4", "f", "v")] + head_tail("a") + [
        S("XADD", "a", "MAXLEN", "0", "100-5", "f", "v")] + head_tail("a"), None),
    ("xadd approx 250 entries", [many("b", 250)] + head_tail("b") + [
        S("XADD", "b", "MAXLEN", "~", "100", "1000-1", "f", "v")] + head_tail("b") + [
        S("XADD", "b", "MAXLEN", "~", "10", "LIMIT", "50", "1000-2", "f", "v")] + head_tail("b") + [
        S("XADD", "b", "MAXLEN", "~", "10", "LIMIT", "100", "1000-3", "f", "v")] + head_tail("b") + [
        S("XADD", "b", "MAXLEN", "~", "10", "LIMIT", "0", "1000-4", "f", "v")] + head_tail("b") + [
        many("c", 250)] + [
        S("XADD", "c", "MINID", "~", "150", "1000-1", "f", "v")] + head_tail("c") + [
        S("XADD", "c", "MINID", "~", "201-1", "1000-2", "f", "v")] + head_tail("c") + [
        S("XADD", "c", "MINID", "~", "202", "1000-3", "f", "v")] + head_tail("c") + [
        S("XADD", "c", "MINID", "~", "1000-4", "LIMIT", "10", "1000-4", "f", "v")] + head_tail("c") + [
        S("XADD", "c", "MINID", "~", "1000-5", "LIMIT", "60", "1000-5", "f", "v")] + head_tail("c"),
     None),
    ("xadd approx after deletes", [many("d", 250), S("XDEL", "d", *["%d-1" % i for i in range(1, 100)]),
                                   S("XADD", "d", "MAXLEN", "~", "200", "1000-1", "f", "v")]
     + head_tail("d") + [S("XDEL", "d", "100-1"), S("XADD", "d", "MAXLEN", "~", "150", "1000-2", "f", "v")]
     + head_tail("d") + [S("XDEL", "d", *["%d-1" % i for i in range(101, 150)]),
                         S("XADD", "d", "MINID", "~", "175", "1000-3", "f", "v")]
     + head_tail("d") + [S("XDEL", "d", *["%d-1" % i for i in range(150, 201)]),
                         S("XADD", "d", "MAXLEN", "~", "1", "1000-4", "f", "v")] + head_tail("d") + [
        many("d2", 150), S("XDEL", "d2", *["%d-1" % i for i in range(101, 151)]),
        xadds("d2", ["2000-%d" % i for i in range(1, 11)]),
        S("XADD", "d2", "MAXLEN", "~", "5", "3000-1", "f", "v")] + head_tail("d2"), None),
    # A node's last id for MINID ~ is its last entry's, deleted or not
    # (found by the random part: seed 2241439669, RESP3).
    ("approx minid and deleted entries", [
        xadds("md", ["0-2", "0-5", "0-6"]), S("XDEL", "md", "0-6"), S("XTRIM", "md", "MINID", "~", "0-6"),
        S("XLEN", "md"), S("XTRIM", "md", "MINID", "~", "0-7"), S("XLEN", "md"),
        many("md2", 250), S("XDEL", "md2", "100-1", "99-1"), S("XTRIM", "md2", "MINID", "~", "100-1"),
        S("XTRIM", "md2", "MINID", "~", "99-1")] + head_tail("md2") + [
        S("XADD", "md2", "MINID", "~", "100-2", "1000-1", "f", "v")] + head_tail("md2") + [
        S("XDEL", "md2", "1000-1", "250-1"), S("XTRIM", "md2", "MINID", "~", "1000-1"),
        S("XTRIM", "md2", "MAXLEN", "~", "0")] + head_tail("md2"), None),
    ("xtrim approx node bytes", [
        xadds("nb", ["%d-1" % i for i in range(1, 11)], "f", "x" * 5000),
        S("XTRIM", "nb", "MAXLEN", "~", "5"), S("XLEN", "nb"),
        S("XRANGE", "nb", "-", "+", "COUNT", "1"),
        xadds("nb2", ["%d-1" % i for i in range(1, 41)], "f", "y" * 300),
        S("XTRIM", "nb2", "MAXLEN", "~", "5"), head_tail("nb2")[0],
        S("XTRIM", "nb2", "MINID", "~", "30"), head_tail("nb2")[0]], None),
    ("xtrim exact", [xadds("t", seq_ids(1, 5) + seq_ids(2, 5) + seq_ids(3, 5))] + [
        S("XTRIM", "t", "MAXLEN", "12"), S("XTRIM", "t", "MAXLEN", "12"),
        S("XTRIM", "t", "MAXLEN", "=", "10")] + state("t") + [
        S("XTRIM", "t", "MINID", "2-3"), S("XTRIM", "t", "MINID", "=", "2-3"),
        S("XTRIM", "t", "MINID", "3"), S("XTRIM", "t", "minid", "3-2")] + state("t") + [
        S("XTRIM", "t", "MINID", "-"), S("XTRIM", "t", "MINID", "0"),
        S("XTRIM", "t", "MAXLEN", "100"), S("xtrim", "t", "maxlen", "4"),
        S("XTRIM", "t", "MAXLEN", "0")] + state("t") + ks("t") + [
        S("XADD", "t", "3-5", "f", "v"), S("XADD", "t", "3-6", "f", "v"),
        S("XTRIM", "t", "MINID", "+")] + state("t") + [
        S("XTRIM", "nosuch", "MAXLEN", "0"), S("XTRIM", "nosuch", "MINID", "5"),
        S("XTRIM", "nosuch", "MAXLEN", "~", "0")] + ks("t", "nosuch"), None),
    ("xtrim approx", [many("ta", 250),
                      S("XTRIM", "ta", "MAXLEN", "~", "200"), S("XTRIM", "ta", "MAXLEN", "~", "100"),
                      S("XTRIM", "ta", "MAXLEN", "~", "100")] + head_tail("ta") + [
        S("XTRIM", "ta", "MAXLEN", "~", "0", "LIMIT", "10"),
        S("XTRIM", "ta", "MAXLEN", "~", "0", "LIMIT", "100"),
        S("XTRIM", "ta", "MAXLEN", "~", "0", "LIMIT", "0"), S("XLEN", "ta"),
        many("tb", 250), S("XTRIM", "tb", "MINID", "~", "99"), S("XTRIM", "tb", "MINID", "~", "101"),
        S("XTRIM", "tb", "MINID", "~", "101-1"), S("XTRIM", "tb", "MINID", "~", "101-2")]
     + head_tail("tb") + [
        S("XTRIM", "tb", "MINID", "~", "1000", "LIMIT", "99"),
        S("XTRIM", "tb", "MINID", "~", "1000", "LIMIT", "100"),
        S("XTRIM", "tb", "MINID", "~", "1000")] + head_tail("tb") + ks("ta", "tb"), None),
    ("xtrim errors", [S("XADD", "te", "1-1", "f", "v"),
                      S("XTRIM"), S("XTRIM", "te"), S("XTRIM", "te", "MAXLEN"),
                      S("XTRIM", "te", "FOO", "1"), S("XTRIM", "te", "MAXLEN", "x"),
                      S("XTRIM", "te", "MAXLEN", "-1"), S("XTRIM", "te", "MAXLEN", "1.0"),
                      S("XTRIM", "te", "MAXLEN", "1", "MINID", "1"),
                      S("XTRIM", "te", "MINID", "1", "MAXLEN", "1"),
                      S("XTRIM", "te", "MAXLEN", "1", "extra"),
                      S("XTRIM", "te", "MAXLEN", "1", "LIMIT", "10"),
                      S("XTRIM", "te", "MAXLEN", "=", "1", "LIMIT", "10"),
                      S("XTRIM", "te", "LIMIT", "10"), S("XTRIM", "te", "LIMIT", "10", "MAXLEN", "1"),
                      S("XTRIM", "te", "MAXLEN", "~", "1", "LIMIT", "-1"),
                      S("XTRIM", "te", "MAXLEN", "~", "1", "LIMIT", "x"),
                      S("XTRIM", "te", "MAXLEN", "~", "1", "LIMIT"),
                      S("XTRIM", "te", "MAXLEN", "~"), S("XTRIM", "te", "MAXLEN", "="),
                      S("XTRIM", "te", "MINID", "abc"), S("XTRIM", "te", "MINID", "1-2-3"),
                      S("XTRIM", "te", "MINID", OVER), S("XTRIM", "te", "MINID", "5-*"),
                      S("XTRIM", "te", "NOMKSTREAM", "MAXLEN", "0"),
                      S("XTRIM", "te", "MAXLEN", "0", "NOMKSTREAM"),
                      S("XTRIM", "nosuch", "MAXLEN", "-1"), S("XTRIM", "nosuch", "FOO", "1"),
                      S("XTRIM", "te", "MAXLEN", "~", "0", "LIMIT", "0", "extra")] + state("te")
     + ks("te", "nosuch"), None),
    ("xdel", [xadds("x", seq_ids(1, 5) + seq_ids(2, 2)),
              S("XDEL", "x", "1-2"), S("XDEL", "x", "1-2"), S("XDEL", "x", "1-3", "1-3", "1-4", "9-9"),
              S("XDEL", "x", "0-1"), S("XDEL", "x", "1"), S("XDEL", "x", "2")] + state("x") + [
        S("XDEL", "x", "1-5", "abc"), S("XDEL", "x", "abc", "1-5"), S("XDEL", "x", "-"), S("XDEL", "x", "+"),
        S("XDEL", "x", "1-*"), S("XDEL", "x", "*"), S("XDEL", "x", "(1-5"), S("XDEL", "x", OVER),
        S("XDEL", "x", "1-"), S("XDEL", "x", "")] + state("x") + [
        S("XDEL", "x", "1-1", "1-5", "2-0", "2-1", "2-2"), S("XDEL", "x", "2-2")] + state("x")
     + ks("x") + [S("TYPE", "x"),
        S("XADD", "x", "2-2", "f", "v"), S("XADD", "x", "2-*", "f", "v"), S("XADD", "x", "2-*", "f", "v")]
     + state("x") + [S("XDEL", "x", "2-4"), S("XADD", "x", "2-4", "f", "v"), S("XADD", "x", "2-*", "f", "v")]
     + state("x") + [
        S("XDEL", "nosuch", "1-1"), S("XDEL", "nosuch", "abc"), S("XDEL", "nosuch", "1-1", "2-2"),
        S("XDEL"), S("XDEL", "x"), S("xdel", "x", "2-5")] + state("x") + ks("x", "nosuch"), None),
    ("xdel then trim and add", [
        xadds("y", seq_ids(1, 10)), S("XDEL", "y", "1-10"), S("XTRIM", "y", "MAXLEN", "5"),
        S("XDEL", "y", "1-6", "1-7"), S("XTRIM", "y", "MINID", "1-8")] + state("y") + [
        S("XADD", "y", "1-10", "f", "v"), S("XADD", "y", "1-*", "f", "v"),
        S("XTRIM", "y", "MAXLEN", "0"), S("XADD", "y", "1-*", "f", "v")] + state("y"), None),
    ("xrange", [xadds("r", ["1-1", "1-2", "2-1", "3-0", "3-1", "5-5", MAXU + "-0"])] + [
        S("XRANGE", "r", "-", "+"), S("XRANGE", "r", "+", "-"), S("XRANGE", "r", "1", "1"),
        S("XRANGE", "r", "2", "3"), S("XRANGE", "r", "3", "3"), S("XRANGE", "r", "3-1", "3-1"),
        S("XRANGE", "r", "3-1", "3-0"), S("XRANGE", "r", "4", "5-4"), S("XRANGE", "r", "4", "5-5"),
        S("XRANGE", "r", "0", "0"), S("XRANGE", "r", "0-0", "1-1"), S("XRANGE", "r", "-", "-"),
        S("XRANGE", "r", "+", "+"), S("XRANGE", "r", "6", "+"), S("XRANGE", "r", MAXU, "+"),
        S("XRANGE", "r", MAXU + "-1", "+"), S("XRANGE", "r", "-", "0"),
        S("XRANGE", "r", "(1-1", "+"), S("XRANGE", "r", "-", "(5-5"), S("XRANGE", "r", "(1", "(3"),
        S("XRANGE", "r", "(0", "(2"), S("XRANGE", "r", "(1-2", "(2-1"), S("XRANGE", "r", "(1-1", "(1-2"),
        S("XRANGE", "r", "(0-0", "+"), S("XRANGE", "r", "-", "(0-0"),
        S("XRANGE", "r", "(" + MAXU + "-" + MAXU, "+"), S("XRANGE", "r", "-", "(" + MAXU + "-" + MAXU),
        S("XRANGE", "r", "(" + MAXU, "+"), S("XRANGE", "r", "-", "(" + MAXU),
        S("XRANGE", "r", "(" + MAXU + "-0", "+"), S("XRANGE", "r", "(-", "+"), S("XRANGE", "r", "-", "(+"),
        S("XRANGE", "r", "(", "+"), S("XRANGE", "r", "((1", "+"), S("XRANGE", "r", "( 1", "+"),
        S("XRANGE", "r", "abc", "+"), S("XRANGE", "r", "-", "1-2-3"), S("XRANGE", "r", "1-*", "+"),
        S("XRANGE", "r", "-1", "+"), S("XRANGE", "r", OVER, "+"), S("XRANGE", "r", "-", OVER),
        S("XRANGE", "r", "", "+"), S("XRANGE", "r", "-", "1-"),
        S("XRANGE", "r", " 1", "+2"), S("XRANGE", "r", "1--0", "1--" + MAXU)], None),
    ("xread (no BLOCK)", [xadds("xr", ["1-1", "1-2", "2-1", "5-5"]), xadds("xs", ["3-3"])] + [
        S("XREAD", "STREAMS", "xr", "0"), S("XREAD", "STREAMS", "xr", "1-1"),
        S("XREAD", "STREAMS", "xr", "1"), S("XREAD", "STREAMS", "xr", "5-5"),
        S("XREAD", "STREAMS", "xr", "$"), S("XREAD", "STREAMS", "nosuch", "0"),
        S("XREAD", "STREAMS", "nosuch", "$"), S("XREAD", "COUNT", "2", "STREAMS", "xr", "xs", "0", "0"),
        S("XREAD", "COUNT", "0", "STREAMS", "xr", "0"), S("XREAD", "COUNT", "-5", "STREAMS", "xr", "0"),
        S("XREAD", "count", "1", "streams", "xs", "xr", "0", "1-2"),
        S("XREAD", "STREAMS", "xr", "nosuch", "xs", "0", "0", "3-3"),
        S("XREAD", "STREAMS", "xr", "xr", "0", "2-1"),
        S("XREAD", "BLOCK", "1", "STREAMS", "xr", "0"),
        S("XREAD", "BLOCK", "5", "STREAMS", "xr", "$"),
        S("XREAD", "BLOCK", "5", "STREAMS", "nosuch", "0"),
        S("XREAD", "STREAMS", "xr", "abc"), S("XREAD", "STREAMS", "xr", "1-"),
        S("XREAD", "STREAMS", "xr", "18446744073709551615-18446744073709551615"),
        S("XREAD", "STREAMS", "xr"), S("XREAD", "STREAMS", "xr", "xs", "0"),
        S("XREAD", "COUNT", "x", "STREAMS", "xr", "0"), S("XREAD", "BLOCK", "x", "STREAMS", "xr", "0"),
        S("XREAD", "BLOCK", "-1", "STREAMS", "xr", "0"), S("XREAD", "BLOCK", "1.5", "STREAMS", "xr", "0"),
        S("XREAD", "GROUP", "g", "c", "STREAMS", "xr", "0"), S("XREAD", "FOO", "STREAMS", "xr", "0"),
        S("XREAD", "COUNT", "1"), S("XREAD", "COUNT", "1", "BLOCK", "1"), S("XREAD", "STREAMS"),
        S("XDEL", "xr", "5-5"), S("XREAD", "STREAMS", "xr", "2-1"), S("XREAD", "STREAMS", "xr", "$")]
     + ks("xr", "xs", "nosuch"), None),
    ("keys and flush (KEYS replies of at most one key: Redis's order is its hash table's)", [
        xadds("kf:a", ["1-1"]), xadds("kf:ab", ["1-1"]), xadds("kf:b", ["2-2"])] + [
        S("KEYS", "kf:a"), S("KEYS", "kf:a?"), S("KEYS", "kf:[b]"), S("KEYS", "kf:\\a"),
        S("KEYS", "nomatch*"), S("KEYS"), S("KEYS", "a", "b"),
        S("FLUSHALL", "FOO"), S("FLUSHALL", "ASYNC", "SYNC"), S("FLUSHDB", "x"),
        S("FLUSHALL"), S("DBSIZE"), S("KEYS", "*"), S("XLEN", "kf:a"), S("EXISTS", "kf:a", "kf:b"),
        S("XADD", "kf:a", "1-1", "f", "v"), S("FLUSHDB", "SYNC"), S("DBSIZE"),
        S("XADD", "kf:a", "1-1", "f", "v"), S("FLUSHALL", "async"), S("TYPE", "kf:a"), S("DBSIZE")]
     + ks("kf:a", "kf:ab", "kf:b"), None),
    ("xsetid", [xadds("si", ["5-5", "6-6"])] + [
        S("XDEL", "si", "6-6"), S("XSETID", "si", "4-0"), S("XSETID", "si", "5-5"),
        S("XSETID", "si", "9-9", "ENTRIESADDED", "1"), S("XSETID", "si", "9-9", "ENTRIESADDED", "-1"),
        S("XSETID", "si", "9-9", "ENTRIESADDED", "x"), S("XSETID", "si", "9-9", "MAXDELETEDID", "10-0"),
        S("XSETID", "si", "9-9", "MAXDELETEDID", "abc"), S("XSETID", "si", "9-9", "MAXDELETEDID", "7-0", "ENTRIESADDED", "42"),
        S("XADD", "si", "9-9", "f", "v"), S("XADD", "si", "9-*", "f", "v"), S("XSETID", "si", "3-3"),
        S("XSETID", "nosuch", "1-1"), S("XSETID", "nosuch", "abc"), S("XSETID", "si", "9-9", "FOO", "1"),
        S("XSETID", "si", "9-9", "ENTRIESADDED"), S("XSETID", "si"), S("XSETID", "si", "-"), S("XSETID", "si", "+"),
        S("XSETID", "si", "18446744073709551615-18446744073709551615"), S("XADD", "si", "*", "f", "v"),
        S("XDEL", "si", "5-5"), S("XSETID", "si", "4-0"), S("XLEN", "si"), S("XRANGE", "si", "-", "+")]
     + ks("si", "nosuch"), None),
    ("xrange count and syntax", [xadds("r", ["1-1", "1-2", "2-1", "3-0", "3-1", "5-5"])] + [
        S("XRANGE", "r", "-", "+", "COUNT", "1"), S("XRANGE", "r", "-", "+", "COUNT", "2"),
        S("XRANGE", "r", "-", "+", "count", "6"), S("XRANGE", "r", "-", "+", "COUNT", "7"),
        S("XRANGE", "r", "-", "+", "COUNT", "0"), S("XRANGE", "r", "-", "+", "COUNT", "-1"),
        S("XRANGE", "r", "-", "+", "COUNT", "-100"), S("XRANGE", "r", "-", "+", "COUNT", "x"),
        S("XRANGE", "r", "-", "+", "COUNT", "1.5"), S("XRANGE", "r", "-", "+", "COUNT", ""),
        S("XRANGE", "r", "-", "+", "COUNT", "99999999999999999999"),
        S("XRANGE", "r", "-", "+", "COUNT", "9223372036854775807"),
        S("XRANGE", "r", "-", "+", "COUNT"), S("XRANGE", "r", "-", "+", "FOO"),
        S("XRANGE", "r", "-", "+", "FOO", "1"), S("XRANGE", "r", "-", "+", "COUNT", "1", "extra"),
        S("XRANGE", "r", "-", "+", "COUNT", "1", "COUNT", "3"),
        S("XRANGE", "r", "-", "+", "COUNT", "3", "COUNT", "0"),
        S("XRANGE", "r", "abc", "+", "COUNT", "x"), S("XRANGE", "r", "-", "+", "COUNT", "x", "FOO"),
        S("XRANGE", "r", "(1-2", "+", "COUNT", "2"), S("XRANGE", "r", "+", "-", "COUNT", "1"),
        S("XRANGE"), S("XRANGE", "r"), S("XRANGE", "r", "-"),
        S("XRANGE", "nosuch", "-", "+"), S("XRANGE", "nosuch", "-", "+", "COUNT", "0"),
        S("XRANGE", "nosuch", "abc", "+"), S("XRANGE", "nosuch", "-", "+", "COUNT", "x"),
        S("XRANGE", "nosuch", "-", "+", "FOO"), S("XRANGE", "nosuch", "(0-0", "+"),
        S("XRANGE", "nosuch", "-", "(0-0"), S("xrange", "r", "-", "+", "cOuNt", "1")]
     + ks("r", "nosuch"), None),
    ("xrevrange", [xadds("r", ["1-1", "1-2", "2-1", "3-0", "3-1", "5-5", MAXU + "-0"])] + [
        S("XREVRANGE", "r", "+", "-"), S("XREVRANGE", "r", "-", "+"), S("XREVRANGE", "r", "1", "1"),
        S("XREVRANGE", "r", "3", "2"), S("XREVRANGE", "r", "3-1", "3-1"), S("XREVRANGE", "r", "3-0", "3-1"),
        S("XREVRANGE", "r", "5-4", "4"), S("XREVRANGE", "r", "+", "6"), S("XREVRANGE", "r", "0", "-"),
        S("XREVRANGE", "r", "+", "+"), S("XREVRANGE", "r", "-", "-"),
        S("XREVRANGE", "r", "+", "(1-1"), S("XREVRANGE", "r", "(5-5", "-"), S("XREVRANGE", "r", "(3", "(1"),
        S("XREVRANGE", "r", "(2", "(0"), S("XREVRANGE", "r", "(1-2", "(1-1"),
        S("XREVRANGE", "r", "+", "(0-0"), S("XREVRANGE", "r", "(0-0", "-"),
        S("XREVRANGE", "r", "(" + MAXU + "-" + MAXU, "-"), S("XREVRANGE", "r", "+", "(" + MAXU + "-" + MAXU),
        S("XREVRANGE", "r", "(" + MAXU, "-"), S("XREVRANGE", "r", "+", "(" + MAXU),
        S("XREVRANGE", "r", "(+", "-"), S("XREVRANGE", "r", "+", "(-"), S("XREVRANGE", "r", "+", "("),
        S("XREVRANGE", "r", "abc", "-"), S("XREVRANGE", "r", "+", "abc"), S("XREVRANGE", "r", OVER, "-"),
        S("XREVRANGE", "r", "+", "-", "COUNT", "1"), S("XREVRANGE", "r", "+", "-", "COUNT", "3"),
        S("XREVRANGE", "r", "+", "-", "COUNT", "0"), S("XREVRANGE", "r", "+", "-", "COUNT", "-1"),
        S("XREVRANGE", "r", "+", "-", "COUNT", "x"), S("XREVRANGE", "r", "+", "-", "COUNT"),
        S("XREVRANGE", "r", "+", "-", "FOO"), S("XREVRANGE", "r", "+", "-", "COUNT", "1", "extra"),
        S("XREVRANGE", "r", "(3-1", "-", "COUNT", "2"),
        S("XREVRANGE"), S("XREVRANGE", "r"), S("XREVRANGE", "r", "+"),
        S("XREVRANGE", "nosuch", "+", "-"), S("XREVRANGE", "nosuch", "+", "-", "COUNT", "0"),
        S("XREVRANGE", "nosuch", "abc", "-"), S("XREVRANGE", "nosuch", "+", "(0-0"),
        S("xrevrange", "r", "+", "-", "count", "2")], None),
    ("xlen", [S("XLEN", "nosuch"), S("XLEN"), S("XLEN", "a", "b"), xadds("l", seq_ids(1, 3)),
              S("XLEN", "l"), S("XDEL", "l", "1-1"), S("XLEN", "l"), S("XTRIM", "l", "MAXLEN", "1"),
              S("XLEN", "l"), S("XDEL", "l", "1-3"), S("XLEN", "l"), S("xlen", "l"), S("DEL", "l"),
              S("XLEN", "l")], None),
    ("exists type del unlink dbsize", [
        S("DBSIZE"), S("EXISTS", "k1"), S("TYPE", "k1"), S("DEL", "k1"), S("UNLINK", "k1"),
        xadds("k1", ["1-1"]), xadds("k2", ["1-1"]), xadds("k3", ["1-1"]), xadds("k4", ["1-1"]),
        S("DBSIZE"), S("EXISTS", "k1"), S("EXISTS", "k1", "k2", "nosuch"), S("EXISTS", "k1", "k1", "k1"),
        S("EXISTS", "nosuch", "nosuch"), S("EXISTS", "k1", "k2", "k3", "k4", "k1", "nosuch"),
        S("TYPE", "k1"), S("TYPE", "nosuch"), S("type", "k2"),
        S("DEL", "k1", "k1"), S("DBSIZE"), S("DEL", "k1"), S("DEL", "k2", "nosuch", "k3"), S("DBSIZE"),
        S("EXISTS", "k1", "k2", "k3", "k4"), S("UNLINK", "k4", "k4", "nosuch"), S("DBSIZE"),
        xadds("k1", ["1-1"]), xadds("k2", ["1-1"]), S("UNLINK", "k1", "k2"), S("DBSIZE"),
        S("XADD", "k1", "MAXLEN", "0", "1-1", "f", "v"), S("DBSIZE"), S("TYPE", "k1"), S("DEL", "k1"),
        S("DBSIZE"), S("TYPE", "k1"),
        S("EXISTS"), S("TYPE"), S("TYPE", "a", "b"), S("DEL"), S("UNLINK"), S("DBSIZE", "x"),
        S("dbsize"), S("exists", "k1"), S("del", "k1"), S("unlink", "k1")], None),
    ("del resets the stream", [
        S("XADD", "dr", "5-5", "f", "v"), S("DEL", "dr"), S("XADD", "dr", "1-1", "f", "v"),
        S("XADD", "dr", "1-*", "f", "v"), S("UNLINK", "dr"), S("XADD", "dr", "0-*", "f", "v")]
     + state("dr") + ks("dr"), None),
    ("binary-safe keys, fields, values", [
        S("XADD", b"k\x00ey", "1-1", b"f\x00", b"v\x00v"), S("XADD", b"k\r\ney", "1-1", b"\r\n", b"\r\n\r\n"),
        S("XADD", b"\xff\xfe", "1-1", b"\xff", b"\x00\xff\r\n"), S("XADD", b"k\x00ey", "1-2", b"", b"\x00"),
        S("XADD", "k ey", "1-1", "f f", "v v"), S("XADD", "k\x00", "1-1", "f", "v"),
        S("XRANGE", b"k\x00ey", "-", "+"), S("XRANGE", b"k\r\ney", "-", "+"),
        S("XREVRANGE", b"\xff\xfe", "+", "-"), S("XRANGE", "k ey", "-", "+"), S("XRANGE", "k", "-", "+"),
        S("EXISTS", b"k\x00ey", b"k\r\ney", b"\xff\xfe", "k", "k ey", "k\x00"), S("TYPE", b"k\x00ey"),
        S("XLEN", b"k\x00ey"), S("DBSIZE"), S("DEL", b"k\x00ey", b"\xff\xfe", "k"), S("DBSIZE"),
        S("EXISTS", b"k\x00ey", b"k\r\ney", b"\xff\xfe")], None),
    ("large values", [
        S("XADD", "big", "1-1", "f", "v" * (1 << 20)), S("XADD", "big", "1-2", "x" * (1 << 20), "v"),
        S("XADD", "big", "1-3", "a", "a" * 100000, "b", "b" * 100000), S("XLEN", "big"),
        S("XRANGE", "big", "-", "+"), S("XREVRANGE", "big", "+", "-", "COUNT", "1"),
        S("XRANGE", "big", "1-2", "1-2"), S("XDEL", "big", "1-1"), S("XRANGE", "big", "-", "+", "COUNT", "1")],
     None),
    ("long keys", [
        S("XADD", "K" * 511, "1-1", "f", "v"), S("XADD", "K" * 512, "1-1", "f", "v"),
        S("XADD", "K" * 600, "1-1", "f", "v"), S("XADD", "L" * 100000, "1-1", "f", "v"),
        S("XADD", "L" * 100000, "1-2", "f", "v"), S("XLEN", "L" * 100000),
        S("XRANGE", "K" * 600, "-", "+"), S("XRANGE", "L" * 100000, "-", "+"),
        S("EXISTS", "K" * 511, "K" * 512, "K" * 600, "L" * 100000, "K" * 599), S("TYPE", "K" * 600),
        S("DBSIZE"), S("DEL", "K" * 600, "L" * 100000), S("DBSIZE")], None),
    ("many fields", [S("XADD", "mf", "1-1", *["f%d" % (i // 2) if i % 2 == 0 else "v%d" % i
                                             for i in range(2000)]),
                     S("XADD", "mf", "1-2", *["f"] * 10), S("XRANGE", "mf", "-", "+")], None),
    ("xinfo", [
        S("XINFO", "STREAM", "xi"), S("XINFO", "GROUPS", "xi"), S("XINFO", "CONSUMERS", "xi", "g"),
        S("XADD", "xi", "1-1", "a", "1"), S("XADD", "xi", "2-1", "b", "2", "c", "3"),
        S("XINFO", "STREAM", "xi"), S("XINFO", "STREAM", "xi", "FULL"), S("XINFO", "stream", "xi", "full", "count", "1"),
        S("XINFO", "STREAM", "xi", "FULL", "COUNT", "0"), S("XINFO", "STREAM", "xi", "FULL", "COUNT", "-7"),
        S("XINFO", "STREAM", "xi", "FULL", "COUNT", "x"), S("XINFO", "STREAM", "xi", "FULL", "COUNT"),
        S("XINFO", "STREAM", "xi", "FULL", "x"), S("XINFO", "STREAM", "xi", "COUNT", "1"),
        S("XINFO", "STREAM", "xi", "FULL", "COUNT", "1", "x"), S("XINFO", "STREAM", "xi", "x", "COUNT", "1"),
        S("XINFO", "STREAM", "xi", "FULL", "LIMIT", "1"), S("XINFO", "STREAM", "xi", "FULL", "COUNT", "99999999999999999999"),
        S("XINFO", "STREAM"), S("XINFO"), S("XINFO", "NOPE"), S("XINFO", b"no\x00pe", "k"), S("XINFO", "HELP"),
        S("XINFO", "HELP", "x"), S("XINFO", "GROUPS", "xi"), S("XINFO", "GROUPS", "xi", "x"),
        S("XINFO", "CONSUMERS", "xi", "grp"), S("XINFO", "CONSUMERS", "xi", b"g\x00rp"), S("XINFO", "CONSUMERS", "xi"),
        S("XDEL", "xi", "1-1"), S("XINFO", "STREAM", "xi"), S("XDEL", "xi", "2-1"), S("XINFO", "STREAM", "xi"),
        S("XINFO", "STREAM", "xi", "FULL"), S("XSETID", "xi", "7-7", "ENTRIESADDED", "9", "MAXDELETEDID", "3-3"),
        S("XINFO", "STREAM", "xi")], None),
    ("xinfo radix tree shapes", [many("rx", 1000), S("XINFO", "STREAM", "rx"),
        xadds("rx", ["%d-%d" % (ms, ms % 3) for ms in sorted({2000 + (i * 7919) % 50000 for i in range(300)})]), S("XINFO", "STREAM", "rx"),
        xadds("rx", ["%d-0" % (1 << b) for b in range(20, 64)]), S("XINFO", "STREAM", "rx"),
        S("XTRIM", "rx", "MAXLEN", "~", "500"), S("XINFO", "STREAM", "rx"),
        S("XDEL", "rx", *["%d-1" % i for i in range(500, 700)]), S("XINFO", "STREAM", "rx"),
        S("XTRIM", "rx", "MAXLEN", "=", "3"), S("XINFO", "STREAM", "rx", "FULL"),
        S("XTRIM", "rx", "MAXLEN", "0"), S("XINFO", "STREAM", "rx")], None),
    ("scan", [
        S("SCAN", "0"), S("XADD", "sc", "1-1", "f", "v"), S("SCAN", "0"), S("SCAN", "0", "TYPE", "stream"),
        S("SCAN", "0", "TYPE", "STREAM"), S("SCAN", "0", "TYPE", "string"), S("SCAN", "0", "TYPE", "nosuchtype"),
        S("SCAN", "0", "TYPE", b"stream\x00x"), S("SCAN", "0", "MATCH", "s*"), S("SCAN", "0", "MATCH", "x*"),
        S("SCAN", "0", "MATCH", "*", "COUNT", "1000", "TYPE", "stream"), S("SCAN", "0", "COUNT", "0"),
        S("SCAN", "0", "COUNT", "-1"), S("SCAN", "0", "COUNT", "x"), S("SCAN", "0", "COUNT", "9223372036854775807"),
        S("SCAN", "0", "COUNT"), S("SCAN", "0", "MATCH"), S("SCAN", "0", "TYPE"), S("SCAN", "0", "FOO", "bar"),
        S("SCAN", "0", "COUNT", "x", "FOO"), S("SCAN", "x", "COUNT", "0"), S("SCAN", "1x"), S("SCAN", "+"),
        S("SCAN", "-"), S("SCAN", " 1"), S("SCAN", "18446744073709551616"), S("SCAN", "00"), S("SCAN", "-0"),
        S("SCAN", ""), S("SCAN", b"0\x00junk"), S("SCAN"), S("DEL", "sc"), S("SCAN", "0")], None),
    ("scan iterations", [
        xadds("sk", ["1-1"]), R(b"".join(encode(["XADD", "scan:%d" % i, "1-1", "f", "v"]) for i in range(300)),
                               replies=300),
        S("XADD", b"scan:\x00bin", "1-1", "f", "v"), S("XADD", "L" * 600, "1-1", "f", "v"),
        ScanAll(), ScanAll("COUNT", "1"), ScanAll("COUNT", "7"), ScanAll("COUNT", "1000"),
        ScanAll("MATCH", "scan:1?"), ScanAll("MATCH", "scan:2*", "COUNT", "3"), ScanAll("MATCH", "L*"),
        ScanAll("MATCH", b"scan:\x00*"), ScanAll("TYPE", "stream", "COUNT", "50"), ScanAll("TYPE", "hash"),
        ScanAll("MATCH", "nomatch*", "COUNT", "5"),
        R(b"".join(encode(["DEL", "scan:%d" % i]) for i in range(0, 300, 3)), replies=100),
        ScanAll(), ScanAll("COUNT", "2"), S("DBSIZE")], None),
    ("multi exec discard", [
        S("EXEC"), S("DISCARD"), S("MULTI"), S("MULTI"), S("XADD", "mx", "1-1", "f", "v"),
        S("XADD", "mx", "0-0", "f", "v"), S("XADD", "mx", "1-1", "f", "v"), S("XLEN", "mx"), S("PING"),
        S("XRANGE", "mx", "-", "+"), S("EXEC"), S("XLEN", "mx"),
        S("MULTI"), S("NOSUCH"), S("XADD", "mx", "2-2", "f", "v"), S("EXEC"), S("XLEN", "mx"),
        S("MULTI"), S("XLEN"), S("EXEC"), S("MULTI"), S("XINFO", "NOPE"), S("EXEC"),
        S("MULTI"), S("XADD", "mx", "3-3", "f", "v"), S("DISCARD"), S("XLEN", "mx"), S("EXEC"),
        S("MULTI"), S("SHUTDOWN"), S("EXEC"), S("MULTI"), S("EXEC"),
        S("MULTI"), S("XREAD", "BLOCK", "0", "STREAMS", "mx", "$"), S("XREAD", "BLOCK", "10", "STREAMS", "mx", "0"),
        S("XREAD", "STREAMS", "mx", "9-9"), S("EXEC"),
        S("MULTI"), S("XADD", "mx", "5-5", "a", "b"), S("XDEL", "mx", "1-1"), S("XTRIM", "mx", "MAXLEN", "1"),
        S("XINFO", "STREAM", "mx"), S("DEL", "mx2"), S("XSETID", "mx", "9-9"), S("EXISTS", "mx"), S("EXEC"),
        S("MULTI"), S("XADD", "mx", "*", "f"), S("XADD", "mx", "bad", "f", "v"), S("EXEC"),
        S("MULTI"), S("RESET"), S("EXEC"), S("MULTI"), S("UNWATCH"), S("EXEC")] + state("mx"), None),
    ("watch", [
        S("WATCH"), S("WATCH", "wa", "wb"), S("MULTI"), S("WATCH", "wa"), S("XADD", "wa", "1-1", "f", "v"),
        S("EXEC"), S("XLEN", "wa"),
        S("WATCH", "wa"), Other("XADD", "wa", "2-2", "f", "v"), S("MULTI"), S("XADD", "wa", "3-3", "f", "v"),
        S("EXEC"), S("XLEN", "wa"),
        S("WATCH", "wa"), Other("XADD", "wb", "1-1", "f", "v"), S("MULTI"), S("XADD", "wa", "3-3", "f", "v"),
        S("EXEC"), S("XLEN", "wa"),
        S("WATCH", "wa"), S("XDEL", "wa", "1-1"), S("MULTI"), S("XLEN", "wa"), S("EXEC"),
        S("WATCH", "wa"), S("XDEL", "wa", "77-7"), S("MULTI"), S("XLEN", "wa"), S("EXEC"),
        S("WATCH", "wa"), S("XTRIM", "wa", "MAXLEN", "100"), S("MULTI"), S("XLEN", "wa"), S("EXEC"),
        S("WATCH", "wa"), S("XTRIM", "wa", "MAXLEN", "1"), S("MULTI"), S("XLEN", "wa"), S("EXEC"),
        S("WATCH", "wa", "wa"), Other("DEL", "wa"), Other("XADD", "wa", "3-3", "f", "v"), S("MULTI"),
        S("XLEN", "wa"), S("EXEC"),
        S("WATCH", "wc"), S("MULTI"), S("XADD", "wc", "1-1", "f", "v"), S("EXEC"),
        S("WATCH", "wc"), Other("FLUSHALL"), S("MULTI"), S("PING"), S("EXEC"),
        S("WATCH", "wd"), Other("FLUSHALL"), S("MULTI"), S("PING"), S("EXEC"),
        S("WATCH", "we"), Other("XADD", "we", "1-1", "f", "v"), S("UNWATCH"), S("MULTI"), S("PING"), S("EXEC"),
        S("WATCH", "we"), Other("XADD", "we", "2-2", "f", "v"), S("MULTI"), S("DISCARD"), S("MULTI"),
        S("PING"), S("EXEC"),
        S("WATCH", "we"), Other("XADD", "we", "3-3", "f", "v"), S("RESET"), S("MULTI"), S("PING"), S("EXEC"),
        S("WATCH", "we"), Other("XADD", "we", "4-4", "f", "v"), S("EXEC")], None),
    ("xgroup", [
        S("XGROUP", "CREATE", "cg", "g", "$"), S("XGROUP", "CREATE", "cg", "g", "$", "MKSTREAM"),
        S("XGROUP", "CREATE", "cg", "g", "$", "MKSTREAM"), S("XGROUP", "CREATE", "cg", "g2", "0", "ENTRIESREAD", "5"),
        S("XGROUP", "CREATE", "cg", "g3", "bad"), S("XGROUP", "CREATE", "cg", "g3", "-"),
        S("XGROUP", "CREATE", "cg", "g4", "0", "ENTRIESREAD", "-5"), S("XGROUP", "CREATE", "cg", "g4", "0", "ENTRIESREAD", "-1"),
        S("XGROUP", "CREATE", "cg", "g5", "0", "ENTRIESREAD", "x"), S("XGROUP", "CREATE", "cg", "g5", "0", "FOO"),
        S("XGROUP", "CREATE", "cg", "g5", "0", "MKSTREAM", "MKSTREAM"), S("XGROUP", "CREATE", "cg", "g6", "0", "ENTRIESREAD"),
        S("XGROUP", "CREATE", "nokey", "g", "0"), S("XGROUP", "CREATE", "nokey", "g", "0", "ENTRIESREAD", "-3"),
        S("XGROUP", "CREATE", "nokey", "g", "bad"), S("XGROUP", "CREATE", "cg"), S("XGROUP", "CREATE", "cg", "g"),
        S("XGROUP", "SETID", "cg", "g", "0"), S("XGROUP", "SETID", "cg", "g", "-"), S("XGROUP", "SETID", "cg", "g", "+"),
        S("XINFO", "GROUPS", "cg"), S("XGROUP", "SETID", "cg", "g", "5", "ENTRIESREAD", "3"),
        S("XGROUP", "SETID", "cg", "g", "5", "FOO"), S("XGROUP", "SETID", "cg", "g", "5", "ENTRIESREAD"),
        S("XGROUP", "SETID", "cg", "g", "5", "MKSTREAM"), S("XGROUP", "SETID", "cg", "nog", "bad"),
        S("XGROUP", "SETID", "cg", "g", "bad"), S("XGROUP", "SETID", "nokey", "g", "0"), S("XGROUP", "SETID", "cg", "g", "$"),
        S("XGROUP", "CREATECONSUMER", "cg", "g", "c1"), S("XGROUP", "CREATECONSUMER", "cg", "g", "c1"),
        S("XGROUP", "CREATECONSUMER", "cg", "nog", "c1"), S("XGROUP", "CREATECONSUMER", "nokey", "g", "c1"),
        S("XGROUP", "DELCONSUMER", "cg", "g", "c1"), S("XGROUP", "DELCONSUMER", "cg", "g", "c9"),
        S("XGROUP", "DELCONSUMER", "cg", "nog", "c1"), S("XGROUP", "DELCONSUMER", "nokey", "g", "c1"),
        S("XINFO", "GROUPS", "cg"), S("XINFO", "CONSUMERS", "cg", "g", mask="cg"), S("XINFO", "STREAM", "cg"),
        S("XGROUP", "DESTROY", "cg", "g"), S("XGROUP", "DESTROY", "cg", "g"), S("XGROUP", "DESTROY", "nokey", "g"),
        S("XGROUP", "HELP"), S("XGROUP", "FOO"), S("XGROUP", "HELP", "x"), S("XGROUP", "DESTROY", "cg"),
        S("XINFO", "GROUPS", "cg"), S("DEL", "cg"), S("XINFO", "GROUPS", "cg")], None),
    ("xreadgroup xack xpending", [
        S("XADD", "rg", "1-1", "a", "1"), S("XADD", "rg", "2-1", "b", "2"), S("XADD", "rg", "3-1", "c", "3"),
        S("XGROUP", "CREATE", "rg", "g", "0"), S("XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "rg", ">"),
        S("XINFO", "GROUPS", "rg"), S("XREADGROUP", "GROUP", "g", "c2", "STREAMS", "rg", ">"),
        S("XREADGROUP", "GROUP", "g", "c2", "STREAMS", "rg", ">"), S("XINFO", "CONSUMERS", "rg", "g", mask="cg"),
        S("XPENDING", "rg", "g"), S("XPENDING", "rg", "g", "-", "+", "10", mask="cg"),
        S("XPENDING", "rg", "g", "-", "+", "10", "c2", mask="cg"), S("XPENDING", "rg", "g", "-", "+", "10", "nobody"),
        S("XPENDING", "rg", "g", "(1-1", "+", "1", mask="cg"), S("XPENDING", "rg", "g", "-", "(3-1", "10", mask="cg"),
        S("XPENDING", "rg", "g", "IDLE", "100000", "-", "+", "10"), S("XPENDING", "rg", "g", "-", "+", "-5"),
        S("XPENDING", "rg", "g", "-", "+"), S("XPENDING", "rg", "g", "-", "+", "x"), S("XPENDING", "rg", "g", "IDLE", "x", "-", "+", "1"),
        S("XPENDING", "rg", "g", "IDLE", "5", "-", "+"), S("XPENDING", "rg", "nog"), S("XPENDING", "nokey", "g"),
        S("XPENDING", "rg", "g", "bad", "+", "1"), S("XPENDING", "rg", "g", "(18446744073709551615-18446744073709551615", "+", "1"),
        S("XPENDING", "rg", "g", "-", "(0-0", "1"), S("XPENDING", "rg", "g", "-", "+", "1", "c1", "x", mask="cg"),
        S("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "rg", "0"), S("XPENDING", "rg", "g", "-", "+", "10", mask="cg"),
        S("XDEL", "rg", "2-1"), S("XREADGROUP", "GROUP", "g", "c2", "STREAMS", "rg", "0"),
        S("XREADGROUP", "GROUP", "g", "c2", "COUNT", "1", "STREAMS", "rg", "2-1"),
        S("XACK", "rg", "g", "1-1", "2-1", "9-9"), S("XACK", "rg", "g", "1-1"), S("XACK", "rg", "g", "bad"),
        S("XACK", "rg", "g", "3-1", "bad"), S("XACK", "rg", "nog", "3-1"), S("XACK", "nokey", "g", "3-1"),
        S("XPENDING", "rg", "g"), S("XINFO", "GROUPS", "rg"), S("XINFO", "STREAM", "rg", "FULL", mask="cg"),
        S("XADD", "rg", "4-1", "d", "4"), S("XREADGROUP", "GROUP", "g", "c3", "NOACK", "STREAMS", "rg", ">"),
        S("XPENDING", "rg", "g"), S("XINFO", "GROUPS", "rg"),
        S("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "rg", "$"), S("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "rg", "bad"),
        S("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "rg", "nokey", ">", ">"), S("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "rg"),
        S("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "rg", "x", "y"), S("XREADGROUP", "STREAMS", "rg", ">", "x", "y"),
        S("XREADGROUP", "GROUP", "g", "c1", "COUNT", "x", "STREAMS", "rg", ">"), S("XREAD", "NOACK", "STREAMS", "rg", "0"),
        S("XREAD", "GROUP", "a", "b", "STREAMS", "rg", "0"), S("XREAD", "STREAMS", "rg", ">"),
        S("XREADGROUP", "GROUP", "g", "c9", "BLOCK", "10", "STREAMS", "rg", ">"), S("XINFO", "CONSUMERS", "rg", "g", mask="cg"),
        S("XGROUP", "SETID", "rg", "g", "0"), S("XREADGROUP", "GROUP", "g", "c4", "COUNT", "2", "STREAMS", "rg", ">"),
        S("XPENDING", "rg", "g"), S("XINFO", "CONSUMERS", "rg", "g", mask="cg"), S("XGROUP", "DELCONSUMER", "rg", "g", "c4"),
        S("XPENDING", "rg", "g"), S("XINFO", "STREAM", "rg", "FULL", "COUNT", "1", mask="cg")], None),
    ("xclaim xautoclaim", [
        xadds("cl", ["%d-1" % i for i in range(1, 6)]), S("XGROUP", "CREATE", "cl", "g", "0"),
        S("XREADGROUP", "GROUP", "g", "c1", "STREAMS", "cl", ">"),
        S("XCLAIM", "cl", "g", "c2", "0", "1-1", "JUSTID"), S("XCLAIM", "cl", "g", "c2", "999999", "2-1"),
        S("XCLAIM", "cl", "g", "c2", "0", "2-1", "3-1"), S("XPENDING", "rg", "g"), S("XPENDING", "cl", "g"),
        S("XPENDING", "cl", "g", "-", "+", "10", mask="cg"), S("XCLAIM", "cl", "g", "c2", "0", "1-1", "1-1", "JUSTID"),
        S("XCLAIM", "cl", "g", "c3", "0", "1-1", "RETRYCOUNT", "7"), S("XPENDING", "cl", "g", "-", "+", "10", mask="cg"),
        S("XCLAIM", "cl", "g", "c3", "0", "1-1", "RETRYCOUNT", "-2", "JUSTID"), S("XPENDING", "cl", "g", "-", "1-1", "1", mask="cg"),
        S("XCLAIM", "cl", "g", "c3", "0", "1-1", "IDLE", "5000", "TIME", "1000", "JUSTID"),
        S("XCLAIM", "cl", "g", "c3", "0", "1-1", "IDLE", "-100", "JUSTID"),
        S("XCLAIM", "cl", "g", "c3", "0", "1-1", "TIME", "99999999999999", "JUSTID"),
        S("XCLAIM", "cl", "g", "c3", "0", "9-9", "FORCE"), S("XADD", "cl", "9-9", "f", "v"),
        S("XCLAIM", "cl", "g", "c3", "999999", "9-9", "FORCE"), S("XPENDING", "cl", "g", "9-9", "9-9", "1", mask="cg"),
        S("XCLAIM", "cl", "g", "c4", "0", "8-8", "FORCE", "JUSTID"), S("XDEL", "cl", "3-1"),
        S("XCLAIM", "cl", "g", "c4", "999999", "3-1", "4-1"), S("XPENDING", "cl", "g"),
        S("XCLAIM", "cl", "g", "c4", "0", "1-1", "JUSTID", "2-1"), S("XCLAIM", "cl", "g", "c4", "0", "bad"),
        S("XCLAIM", "cl", "g", "c4", "0", "1-1", "-"), S("XCLAIM", "cl", "g", "c4", "0", "1-1", "LASTID"),
        S("XCLAIM", "cl", "g", "c4", "0", "1-1", "LASTID", "bad"), S("XCLAIM", "cl", "g", "c4", "x", "1-1"),
        S("XCLAIM", "cl", "g", "c4", "0", "1-1", "IDLE", "x"), S("XCLAIM", "cl", "g", "c4", "0", "1-1", "TIME", "x"),
        S("XCLAIM", "cl", "g", "c4", "0", "1-1", "RETRYCOUNT", "x"), S("XCLAIM", "cl", "nog", "c4", "x", "1-1"),
        S("XCLAIM", "nokey", "g", "c4", "0", "1-1"), S("XCLAIM", "cl", "g", "c4", "-5", "1-1", "JUSTID"),
        S("XINFO", "GROUPS", "cl"), S("XCLAIM", "cl", "g", "c5", "0", "1-1", "LASTID", "20-0", "JUSTID"),
        S("XINFO", "GROUPS", "cl"), S("XCLAIM", "cl", "g", "c5", "999999", "2-1", "LASTID", "30-0"), S("XINFO", "GROUPS", "cl"),
        S("XINFO", "CONSUMERS", "cl", "g", mask="cg"),
        S("XAUTOCLAIM", "cl", "g", "c6", "0", "0", "COUNT", "2"), S("XAUTOCLAIM", "cl", "g", "c6", "0", "0"),
        S("XAUTOCLAIM", "cl", "g", "c7", "999999", "0"), S("XINFO", "CONSUMERS", "cl", "g", mask="cg"),
        S("XAUTOCLAIM", "cl", "g", "c7", "0", "(1-1", "JUSTID"), S("XAUTOCLAIM", "cl", "g", "c7", "0", "-", "COUNT", "1"),
        S("XAUTOCLAIM", "cl", "g", "c7", "0", "+"), S("XAUTOCLAIM", "cl", "g", "c7", "0", "(18446744073709551615-18446744073709551615"),
        S("XAUTOCLAIM", "cl", "g", "c7", "0", "0", "COUNT", "0"), S("XAUTOCLAIM", "cl", "g", "c7", "0", "0", "COUNT", "x"),
        S("XAUTOCLAIM", "cl", "g", "c7", "0", "0", "COUNT", "576460752303423488"),
        S("XAUTOCLAIM", "cl", "g", "c7", "0", "0", "COUNT", "1000000", "JUSTID"),
        S("XAUTOCLAIM", "cl", "g", "c7", "0", "0", "COUNT"), S("XAUTOCLAIM", "cl", "g", "c7", "0", "0", "FOO"),
        S("XAUTOCLAIM", "cl", "g", "c7", "x", "0"), S("XAUTOCLAIM", "cl", "g", "c7", "0", "bad"),
        S("XAUTOCLAIM", "cl", "nog", "c7", "0", "0"), S("XAUTOCLAIM", "nokey", "g", "c7", "0", "0", "FOO"),
        S("XAUTOCLAIM", "nokey", "g", "c7", "0", "0"), S("XPENDING", "cl", "g"),
        xadds("ac", ["%d-0" % i for i in range(1, 26)]), S("XGROUP", "CREATE", "ac", "g", "0"),
        S("XREADGROUP", "GROUP", "g", "c", "STREAMS", "ac", ">"),
        S("XAUTOCLAIM", "ac", "g", "d", "999999", "0", "COUNT", "1", "JUSTID"),
        S("XAUTOCLAIM", "ac", "g", "d", "999999", "0", "COUNT", "2", "JUSTID"),
        S("XAUTOCLAIM", "ac", "g", "d", "999999", "0", "COUNT", "3", "JUSTID"),
        S("XDEL", "ac", "2-0", "5-0", "25-0"), S("XAUTOCLAIM", "ac", "g", "d", "0", "0", "COUNT", "3"),
        S("XAUTOCLAIM", "ac", "g", "d", "0", "4-0", "COUNT", "100", "JUSTID"), S("XPENDING", "ac", "g"),
        S("XINFO", "STREAM", "ac", "FULL", "COUNT", "2", mask="cg")], None),
    ("pipelined mix", [R(b"".join(encode(c) for c in [
        ["XADD", "p", "1-1", "f", "v"], ["XADD", "p", "1-1", "f", "v"], ["XLEN", "p"],
        ["XADD", "p", "bad", "f", "v"], ["XRANGE", "p", "-", "+"], ["XDEL", "p", "1-1"],
        ["XADD", "p", "1-*", "f", "v"], ["EXISTS", "p"], ["DEL", "p"], ["XLEN", "p"], ["DBSIZE"]]),
        replies=11)], None),
]


def case_keys(cases):
    """Every key the cases touch (from the commands' key positions)."""
    keys = set()

    def b(k):
        return k.encode("utf-8", "surrogateescape") if isinstance(k, str) else k

    def add(args):
        if not args:
            return
        cmd = b(args[0]).upper()
        if cmd == b"WATCH":
            keys.update(b(k) for k in args[1:])
        if cmd in (b"XGROUP", b"XINFO") and len(args) > 2:
            keys.add(b(args[2]))
        if cmd in (b"XACK", b"XPENDING", b"XCLAIM", b"XAUTOCLAIM") and len(args) > 1:
            keys.add(b(args[1]))
        if cmd in (b"XADD", b"XLEN", b"XRANGE", b"XREVRANGE", b"XTRIM", b"XDEL", b"TYPE", b"XSETID") and len(args) > 1:
            keys.add(b(args[1]))
        elif cmd == b"XREAD" and b"STREAMS" in [b(a).upper() for a in args]:
            rest = args[[b(a).upper() for a in args].index(b"STREAMS") + 1:]
            keys.update(b(k) for k in rest[:len(rest) // 2])
        elif cmd in (b"EXISTS", b"DEL", b"UNLINK"):
            keys.update(b(k) for k in args[1:])

    for _, steps, _ in cases:
        for st in steps:
            if isinstance(st.send, list):
                add(st.send)
            else:
                buf = st.send
                pos = 0
                while pos < len(buf):  # decode our own pipelined multibulks
                    val, pos = D.parse(buf, pos)
                    add(val[1])
    return sorted(keys)


# ---------------------------------------------------------------- running

def show(reply):
    if isinstance(reply, bytes) and len(reply) > 2048:
        return "<%d bytes sha1 %s: %s ...>" % (len(reply), hashlib.sha1(reply).hexdigest(),
                                              repr(reply[:120])[2:-1])
    return D.show(reply)


def label(st):
    if isinstance(st.send, bytes):
        s = "raw %d bytes %r" % (len(st.send), st.send[:60])
        return s + " ..." if len(st.send) > 60 else s
    parts = []
    for a in st.send:
        if isinstance(a, str):
            a = a.encode("utf-8", "surrogateescape")
        plain = a and all(32 < c < 127 for c in a)
        shown = a[:20] if len(a) > 40 else a
        shown = shown.decode() if plain else repr(shown)
        parts.append(shown + ("...(%d)" % len(a) if len(a) > 40 else ""))
    s = " ".join(parts)
    return s if len(s) <= 160 else s[:157] + "..."


def run_case(port, steps, proto, setup):
    """Transcript of one case on a fresh connection, after the setup DEL."""
    return D.run_case(port, steps, proto, setup=setup, setup_label="(setup) DEL <every key of every case>",
                      label=label, shown=show)


# ---------------------------------------------------------------- random

RKEYS = ["r:a", "r:b", "r:c", b"r:\x00\xff"]


class Gen:
    """Seeded random stream operations. The state (last id, live ids per
    key) follows redis-server's replies, so the sequence depends only on the
    seed."""

    def __init__(self, rnd, approx=True):
        self.rnd = rnd
        self.approx = approx  # whether to trim with ~ too
        self.last = {}    # key -> (ms, seq) of the last id (kept after XDEL/XTRIM)
        self.ids = {}     # key -> list of ids (ms, seq) added (maybe deleted since)

    def pick_key(self):
        return self.rnd.choice(RKEYS)

    def some_tuple(self, key):
        r = self.rnd
        ids = self.ids.get(key)
        if ids and r.random() < 0.7:
            return r.choice(ids[-150:])
        last = self.last.get(key, (0, 0))
        return (r.randint(0, last[0] + 3), r.randint(0, 3))

    def fmt(self, t):
        return "%d" % t[0] if self.rnd.random() < 0.2 else "%d-%d" % t

    def some_id(self, key):
        return self.fmt(self.some_tuple(key))

    def bounds(self, key):
        """(low, high) for XRANGE; mostly ordered, sometimes special or
        exclusive."""
        r = self.rnd
        a, b = self.some_tuple(key), self.some_tuple(key)
        if r.random() < 0.85:
            a, b = min(a, b), max(a, b)
        lo, hi = self.fmt(a), self.fmt(b)
        if r.random() < 0.2:
            lo = "(" + lo
        if r.random() < 0.2:
            hi = "(" + hi
        if r.random() < 0.15:
            lo = "-"
        if r.random() < 0.15:
            hi = "+"
        if r.random() < 0.02:
            lo, hi = hi, lo
        return lo, hi

    def value(self):
        r = self.rnd
        x = r.random()
        if x < 0.8:
            return str(r.randint(0, 999))
        if x < 0.95:
            return r.choice(["", "a b", "\x00", "\r\n", "\xff"])
        return "x" * r.randint(0, 4)

    def fields(self):
        r = self.rnd
        n = 1 if r.random() < 0.8 else 2
        out = []
        for _ in range(n):
            out += [r.choice(["f", "f", "f", "g"]), self.value()]
        return out

    def trim_spec(self, key):
        r = self.rnd
        out = []
        if r.random() < 0.6:
            out += ["MAXLEN"]
            op = r.choice(["", "", "=", "~" if self.approx else "="])
            if op:
                out.append(op)
            n = len(self.ids.get(key, []))
            out.append(str(r.choice([0, 1, 10, 50, 100, 150, 200] + [max(0, n - r.randint(0, 120))] * 4)))
        else:
            out += ["MINID"]
            op = r.choice(["", "", "=", "~" if self.approx else "="])
            if op:
                out.append(op)
            out.append(self.some_id(key))
        if out[1] == "~" and r.random() < 0.4:
            out += ["LIMIT", str(r.choice([0, 1, 50, 100, 150, 1000]))]
        return out

    def group_op(self, key):
        """Consumer-group operations (timing-free: min-idle 0, JUSTID or
        masked times)."""
        r = self.rnd
        g = r.choice(["g0", "g0", "g1"])
        c = r.choice(["c0", "c1", "c2"])
        x = r.random()
        if x < 0.12:
            start = r.choice(["0", "$", self.some_id(key)])
            return ["XGROUP", "CREATE", key, g, start] + (["MKSTREAM"] if r.random() < 0.5 else []) + (
                ["ENTRIESREAD", str(r.choice([-1, 0, 1, 3, 10]))] if r.random() < 0.15 else [])
        if x < 0.18:
            return ["XGROUP", "SETID", key, g, r.choice(["0", "$", self.some_id(key)])] + (
                ["ENTRIESREAD", str(r.choice([-1, 0, 2]))] if r.random() < 0.2 else [])
        if x < 0.2:
            return ["XGROUP", r.choice(["DESTROY", "DELCONSUMER"]), key, g] + ([c] if r.random() < 0.5 else [])[:1]
        if x < 0.45:
            cmd = ["XREADGROUP", "GROUP", g, c, "COUNT", str(r.randint(1, 4))]
            if r.random() < 0.1:
                cmd.append("NOACK")
            return cmd + ["STREAMS", key, r.choice([">", ">", ">", "0", self.some_id(key)])]
        if x < 0.6:
            return ["XACK", key, g] + [self.some_id(key) for _ in range(r.randint(1, 3))]
        if x < 0.7:
            return ["XPENDING", key, g] + (["-", "+", "20"] + ([c] if r.random() < 0.3 else [])
                                            if r.random() < 0.5 else [])
        if x < 0.8:
            return ["XCLAIM", key, g, c, "0"] + [self.some_id(key) for _ in range(r.randint(1, 2))] + r.choice(
                [["JUSTID"], [], ["FORCE", "JUSTID"], ["RETRYCOUNT", "5"]])
        if x < 0.88:
            return ["XAUTOCLAIM", key, g, c, "0", r.choice(["0", "-", self.some_id(key)]),
                    "COUNT", str(r.randint(1, 5))] + (["JUSTID"] if r.random() < 0.5 else [])
        if x < 0.96:
            return ["XINFO", "GROUPS", key]
        return ["XINFO", "CONSUMERS", key, g]

    def op(self):
        r = self.rnd
        key = self.pick_key()
        if r.random() < 0.15:
            return self.group_op(key)
        x = r.random()
        if x < 0.45:
            last = self.last.get(key, (0, 0))
            y = r.random()
            if y < 0.08:
                i = "%d-%d" % (last[0], max(0, last[1] - r.randint(0, 1)))   # equal or smaller
            elif y < 0.1:
                i = "%d-%d" % (max(0, last[0] - 1), r.randint(0, 5))
            elif y < 0.25:
                i = "%d-*" % (last[0] + r.randint(0, 2))
            elif y < 0.5:
                i = "%d-%d" % (last[0], last[1] + r.randint(1, 3))
            else:
                i = "%d-%d" % (last[0] + r.randint(1, 50), r.randint(0, 3))
            opts = []
            if r.random() < 0.05:
                opts.append("NOMKSTREAM")
            if r.random() < 0.07:
                opts += self.trim_spec(key)
            return ["XADD", key] + opts + [i] + self.fields()
        if x < 0.55:
            ids = [self.some_id(key) for _ in range(r.randint(1, 3))]
            return ["XDEL", key] + ids
        if x < 0.58:
            return ["XTRIM", key] + self.trim_spec(key)
        if x < 0.85:
            rev = r.random() < 0.4
            lo, hi = self.bounds(key)
            cmd = ["XREVRANGE", key, hi, lo] if rev else ["XRANGE", key, lo, hi]
            if r.random() < 0.5:
                cmd += ["COUNT", str(r.choice([0, 1, 2, 5, 10, 100, -1]))]
            return cmd
        if x < 0.9:
            return ["XLEN", key]
        if x < 0.92:
            full = [[], ["FULL"], ["FULL", "COUNT", str(r.choice([0, 1, 3, -1]))]]
            return ["XINFO", "STREAM", key] + r.choice(full)
        if x < 0.95:
            return ["EXISTS"] + [self.pick_key() for _ in range(r.randint(1, 4))]
        if x < 0.98:
            return ["DBSIZE"]
        if x < 0.995:
            return ["TYPE", key]
        return [r.choice(["DEL", "UNLINK"])] + [self.pick_key() for _ in range(r.randint(1, 2))]

    def observe(self, cmd, reply):
        """Update the state from redis-server's reply to cmd."""
        name = cmd[0]
        if name == "XADD" and reply.startswith(b"$") and not reply.startswith(b"$-1"):
            i = reply.split(b"\r\n")[1].decode()
            ms, seq = (int(p) for p in i.split("-"))
            self.last[cmd[1]] = (ms, seq)
            ids = self.ids.setdefault(cmd[1], [])
            ids.append((ms, seq))
            del ids[:-1000]
        elif name in ("DEL", "UNLINK"):
            for k in cmd[1:]:
                self.last.pop(k, None)
                self.ids.pop(k, None)


def read_n(conn, n):
    return [conn.reply() for _ in range(n)]


def run_random(ref_port, sw_port, seed, nops, proto, batch=64, verbose=False, approx=True, base=None):
    """Runs nops random ops on both servers; returns (ok, executed). base:
    the --seed that leads to this seed (for the replay hint)."""
    rnd = random.Random(seed)
    gen = Gen(rnd, approx)
    conns = [D.Conn(ref_port), D.Conn(sw_port)]
    history = []
    stats = {}
    try:
        for c in conns:
            if proto == 3:
                c.send(encode(["HELLO", "3"]))
                c.reply()
            c.send(encode(["DEL"] + RKEYS))
            c.reply()
        done = 0
        while done < nops:
            # A batch is generated from the state after the previous batch:
            # XADD ids in a batch may collide, which is what the errors are for.
            cmds = []
            for _ in range(min(batch, nops - done)):
                cmd = gen.op()
                cmds.append(cmd)
                if cmd[0] == "XADD" or cmd[0] in ("DEL", "UNLINK"):
                    break  # the next op depends on this reply
            data = b"".join(encode(c) for c in cmds)
            for c in conns:
                c.send(data)
            ref = [mask_cg(x) if isinstance(x, bytes) else x for x in read_n(conns[0], len(cmds))]
            got = [mask_cg(x) if isinstance(x, bytes) else x for x in read_n(conns[1], len(cmds))]
            for k, cmd in enumerate(cmds):
                history.append(cmd)
                if ref[k] != got[k]:
                    print("FAIL random [RESP%d] seed %d, op %d of %d:" % (proto, seed, done + k + 1, nops))
                    print("     last ops before it:")
                    for h in history[-11:-1]:
                        print("       " + label(Step(h)))
                    print("     command:      " + label(Step(cmd)))
                    print("     redis-server: " + show(ref[k]))
                    print("     swarmlog:     " + show(got[k]))
                    print("     replay: differential_streams.py --random-only --seed %d --ops %d --proto %d%s"
                          % (seed if base is None else base, done + k + 1, proto,
                             "" if approx else " --no-approx"))
                    return False, done + k + 1
                if isinstance(ref[k], str):
                    print("FAIL random [RESP%d] seed %d op %d: both %s" % (proto, seed, done + k + 1, ref[k]))
                    return False, done + k + 1
                gen.observe(cmd, ref[k])
                kind = "err" if ref[k].startswith(b"-") else (
                    "empty" if ref[k] in (b"*0\r\n", b":0\r\n", b"*-1\r\n", b"_\r\n", b"$-1\r\n")
                    else "ok")
                stats[cmd[0]] = stats.get(cmd[0], {})
                stats[cmd[0]][kind] = stats[cmd[0]].get(kind, 0) + 1
            done += len(cmds)
        # Final state of every key, compared in full.
        for key in RKEYS:
            for cmd in (["XLEN", key], ["XRANGE", key, "-", "+"], ["EXISTS", key],
                        ["XINFO", "STREAM", key, "FULL", "COUNT", "0"]):
                for c in conns:
                    c.send(encode(cmd))
                a, b = (mask_cg(x) if isinstance(x, bytes) else x for x in (conns[0].reply(), conns[1].reply()))
                if a != b:
                    print("FAIL random [RESP%d] seed %d: final %s: redis %s, swarmlog %s"
                          % (proto, seed, label(Step(cmd)), show(a), show(b)))
                    return False, done
    finally:
        for c in conns:
            c.close()
    if verbose:
        print("     " + ", ".join("%s %s" % (k, "/".join("%s %d" % kv for kv in sorted(v.items())))
                                  for k, v in sorted(stats.items())))
    return True, done


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--case", help="only cases whose name contains this")
    ap.add_argument("--proto", type=int, choices=(2, 3))
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--ops", type=int, default=2500, help="random operations per protocol")
    ap.add_argument("--no-random", action="store_true")
    ap.add_argument("--random-only", action="store_true")
    ap.add_argument("--no-approx", action="store_true",
                    help="no ~ trimming in the random part (to look past a known ~ mismatch)")
    args = ap.parse_args()

    cases = CASES
    if args.case:
        cases = [c for c in cases if args.case in c[0]]
    if args.list:
        for name, steps, protos in cases:
            print("%-40s %d steps, RESP%s" % (name, len(steps), protos or "2+3"))
        print("%-40s %d ops per protocol" % ("random", args.ops))
        return 0

    try:
        sw_port = int(os.environ["SWARMLOG_PORT"])
        ref_port = int(os.environ["REDIS_PORT"])
    except KeyError:
        print("SWARMLOG_PORT and REDIS_PORT must be set: run under "
              "tests/lib/with-server --reference", file=sys.stderr)
        return 2

    setup = S("DEL", *case_keys(CASES))
    passed = failed = 0
    t0 = time.monotonic()
    if not args.random_only:
        for name, steps, protos in cases:
            for proto in ([protos] if protos else [2, 3]):
                if args.proto and proto != args.proto:
                    continue
                lbl = "%s [RESP%d]" % (name, proto)
                ref = run_case(ref_port, steps, proto, setup)
                got = run_case(sw_port, steps, proto, setup)
                if ref == got:
                    passed += 1
                    print("ok   " + lbl)
                    if args.verbose:
                        print("\n".join("     " + l for l in ref))
                else:
                    failed += 1
                    print("FAIL " + lbl)
                    diff = difflib.unified_diff(ref, got, "redis-server", "swarmlog", lineterm="", n=2)
                    print("\n".join("     " + l for l in diff))
        print("cases: %.1f s" % (time.monotonic() - t0))

    if not args.no_random and not args.case:
        seed = args.seed
        if seed is None:
            env = os.environ.get("SWARMLOG_TEST_SEED")
            seed = int(env) if env else int.from_bytes(os.urandom(4), "little")
        print("random: seed %d (replay with --seed %d or SWARMLOG_TEST_SEED=%d)" % (seed, seed, seed))
        for proto in (2, 3):
            if args.proto and proto != args.proto:
                continue
            t1 = time.monotonic()
            s = seed + proto - 2
            ok, n = run_random(ref_port, sw_port, s, args.ops, proto, verbose=args.verbose,
                               approx=not args.no_approx, base=seed)
            if ok:
                passed += 1
                print("ok   random [RESP%d] seed %d, %d ops, %.1f s" % (proto, s, n, time.monotonic() - t1))
            else:
                failed += 1
    print("differential_streams: %d passed, %d failed (%.1f s)" % (passed, failed, time.monotonic() - t0))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
