#!/usr/bin/python3
"""Consumer groups against a model: a seeded random scenario of producers and
consumers, every reply checked against a simple model of Redis 7.0's
consumer-group rules.

Simulated (a single-threaded driver, operations in a seeded random order; a consumer
is just a name):
- producers XADD entries (explicit, increasing IDs, so runs are
  reproducible and comparable between servers);
- live consumers XREADGROUP `>` (COUNT 1..5 or none), re-read their own
  history (`0` or an ID, COUNT), XACK what they hold (sometimes stale IDs,
  duplicates, IDs never delivered or already acknowledged);
- XREADGROUP BLOCK: served at once, timing out (nil, no consumer created),
  or blocked on a second connection and woken by an XADD; with two
  consumers blocked on one group each XADD must wake exactly the one that
  blocked first (Redis serves blocked clients first come, first served);
- consumers "crash": a crashed consumer never reads or acknowledges again,
  its pending entries are taken over by others with XAUTOCLAIM (min-idle 0,
  a small value after the driver made sure every entry is idle long enough,
  or 1,000,000 ms so only entries aged with XCLAIM IDLE/TIME qualify;
  start `-`, `0-0`, an ID or `(ID`; COUNT; JUSTID) and XCLAIM with explicit
  IDs (duplicates, IDs not pending, IDLE, TIME, RETRYCOUNT, JUSTID);
- XDEL of pending, undelivered, acknowledged and unknown IDs: XAUTOCLAIM
  must report a deleted pending entry in its deleted list and drop it,
  XCLAIM drops it silently, XREADGROUP history shows it as [id, nil];
- XDEL purges of the whole stream and of its oldest entries, so the
  entries-read / lag estimates meet every tombstone case;
- XGROUP CREATECONSUMER / DELCONSUMER (of consumers with nothing pending);
  group g1 is created at 0 (MKSTREAM), g2 at `$` a quarter of the way
  through, g3 at an explicit (maybe deleted) ID half way.

Checked continuously (XINFO GROUPS after every operation, the rest every
few operations and at the end):
- every reply equals the model's (entries, IDs, counts, cursors, deleted
  lists, delivery counts);
- `>` only ever delivers entries never delivered to the group before; a
  claim only returns entries that were pending and idle enough; the
  per-consumer XPENDING lists are disjoint and add up to the group's PEL
  (an entry is owned by one consumer at a time);
- XPENDING summary (count, min, max, per-consumer counts), XPENDING extended
  (owner, delivery count: 1 on first delivery, +1 per history re-read and
  per claim without JUSTID, RETRYCOUNT sets it; idle only range-checked),
  XINFO GROUPS (consumers, pending, last-delivered-id, entries-read, lag
  with Redis 7.0's tombstone rules, nil when unknown), XINFO CONSUMERS
  (pending; idle masked), XINFO STREAM FULL COUNT 0 (counters,
  max-deleted-entry-id, recorded-first-entry-id, entries, group PELs;
  times and radix-tree figures masked);
- at the end the survivors drain the groups (read `>`, XAUTOCLAIM from
  0-0, XACK everything) and every produced entry must have been
  acknowledged exactly once, or be deleted and either never delivered or
  dropped from the PEL by XAUTOCLAIM (reported) / XCLAIM.

The same seeded scenario runs against redis-server (REDIS_PORT, when set:
it checks the model) and swarmlog (SWARMLOG_PORT); when both ran, their
XPENDING / XINFO GROUPS / XINFO CONSUMERS results before and after the
drain are compared too (idle masked).

Run: tests/lib/with-server --reference /usr/bin/python3 tests/compat/groups_model.py
Options: --seed N (also $SWARMLOG_TEST_SEED), --ops N, --only redis|swarmlog,
--log FILE (every command of each run, redis-cli style), --verbose,
--stats.
Exit status 1 on any violation, with the operation number, the command and
what differed.
"""
import argparse
import bisect
import collections
import os
import random
import sys
import time

import redis

KEY = "gm:stream"
BIG_IDLE = 1000000        # ms: only entries aged with XCLAIM IDLE/TIME are this idle
AGE_IDLE = 50000000       # ms given to XCLAIM IDLE (or TIME now - AGE_IDLE)
MAX_RUN_S = 900           # BIG_IDLE must stay far above the run's length
DEFAULT_OPS = 2500
ZERO = (0, 0)


class Violation(Exception):
    pass


def enc(i):
    return ("%d-%d" % i).encode()


def dec(b):
    ms, seq = b.split(b"-")
    return (int(ms), int(seq))


def quote(a):
    s = a.decode() if isinstance(a, bytes) else str(a)
    if s and all(c.isalnum() or c in "-_:()$>+.*" for c in s):
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def short(v, limit=1500):
    s = repr(v)
    return s if len(s) <= limit else s[:limit] + "... (%d chars)" % len(s)


# ---------------------------------------------------------------- the model

class Stream:
    """Entries (IDs only ever grow), Redis 7.0's stream counters."""

    def __init__(self):
        self.order = []          # every ID ever added, increasing
        self.fields = {}         # ID -> field list, live entries only
        self.last_id = ZERO
        self.max_deleted = ZERO
        self.entries_added = 0
        self._first = 0          # index into order: no live entry before it

    @property
    def length(self):
        return len(self.fields)

    @property
    def first_id(self):
        while self._first < len(self.order) and self.order[self._first] not in self.fields:
            self._first += 1
        return self.order[self._first] if self._first < len(self.order) else ZERO

    def add(self, i, fields):
        self.order.append(i)
        self.fields[i] = fields
        self.last_id = i
        self.entries_added += 1

    def delete(self, i):
        if i not in self.fields:
            return False
        del self.fields[i]
        if i > self.max_deleted:
            self.max_deleted = i
        return True

    def after(self, last, count):
        """Live entries with ID > last, at most count (None: all)."""
        out = []
        for j in range(bisect.bisect_right(self.order, last), len(self.order)):
            i = self.order[j]
            if i in self.fields:
                out.append(i)
                if count is not None and len(out) == count:
                    break
        return out

    # Redis 7.0.15 t_stream.c: streamRangeHasTombstones(s, start, NULL)
    def has_tombstones_from(self, start):
        if not self.length or self.max_deleted == ZERO:
            return False
        if self.first_id > self.max_deleted:
            return False
        return start <= self.max_deleted

    # streamEstimateDistanceFromFirstEverEntry; None = SCG_INVALID_ENTRIES_READ
    def estimate(self, i):
        if not self.entries_added:
            return 0
        if not self.length and i <= self.last_id:
            return self.entries_added
        if i == self.last_id:
            return self.entries_added
        if i > self.last_id:
            return None
        first = self.first_id
        if self.max_deleted == ZERO or self.max_deleted < first:
            if i < first:
                return self.entries_added - self.length
            if i == first:
                return self.entries_added - self.length + 1
        return None


class Nack:
    __slots__ = ("owner", "count", "aged", "t_hi")

    def __init__(self, owner, count, aged, t_hi):
        self.owner = owner
        self.count = count
        self.aged = aged      # delivery time set far in the past (XCLAIM IDLE/TIME)
        self.t_hi = t_hi      # monotonic time by which the delivery time was set


class Group:
    def __init__(self, name, last_id, entries_read):
        self.name = name
        self.last_id = last_id
        self.entries_read = entries_read     # None: invalid (nil)
        self.start_id = last_id              # entries after it are this group's to process
        self.pel = {}                        # ID -> Nack
        self.consumers = {}                  # name (bytes) -> set of pending IDs
        self.live = []                       # names of running consumers
        self.crashed = []                    # names that stopped without acking
        self.in_hand = {}                    # name -> IDs it believes it holds
        self.delivered = set()               # IDs delivered with `>`
        self.acked = collections.Counter()   # ID -> times an XACK removed it
        self.dropped = {}                    # ID -> how a deleted pending entry left the PEL
        self.next_no = 0

    def new_name(self):
        n = ("%s-c%d" % (self.name, self.next_no)).encode()
        self.next_no += 1
        return n

    def lag(self, s):
        if not s.entries_added:
            return 0
        if self.entries_read is not None and not s.has_tombstones_from(self.last_id):
            return s.entries_added - self.entries_read
        er = s.estimate(self.last_id)
        return None if er is None else s.entries_added - er

    def own(self, i, consumer):
        """Move pending ID i to consumer (creating the consumer)."""
        n = self.pel[i]
        if n.owner != consumer:
            self.consumers[n.owner].discard(i)
            self.consumers.setdefault(consumer, set()).add(i)
            n.owner = consumer

    def unpend(self, i):
        n = self.pel.pop(i)
        self.consumers[n.owner].discard(i)
        return n


# ---------------------------------------------------------------- a run

class Run:
    def __init__(self, label, port, seed, ops, log=None, verbose=False):
        self.label = label
        self.port = port
        self.seed = seed
        self.ops = ops
        self.logf = log
        self.verbose = verbose
        self.rnd = random.Random(seed)
        self.r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=30)
        self.r.response_callbacks.clear()    # raw RESP replies
        self.r2 = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)    # for blocked reads
        self.r2.response_callbacks.clear()
        self.s = Stream()
        self.groups = {}
        self.history = collections.deque(maxlen=30)
        self.op_no = 0
        self.op_name = "setup"
        self.ncmds = 0
        self.t_send = self.t_recv = 0.0
        self.t0 = time.monotonic()
        self.next_ms = 1000
        self.snapshots = {}
        self.slept = 0.0
        self.stats = collections.Counter()

    # -- plumbing

    def cmd(self, *args):
        args = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        line = " ".join(quote(a) for a in args)
        if self.logf:
            self.logf.write("%s\n" % line)
        self.t_send = time.monotonic()
        try:
            reply = self.r.execute_command(*args)
        except redis.ResponseError as e:
            self.history.append((line, "(error) %s" % e))
            self.fail("unexpected error reply: %s" % e)
        self.t_recv = time.monotonic()
        self.ncmds += 1
        self.history.append((line, short(reply, 300)))
        if self.verbose:
            print("  [%s op %d] %s -> %s" % (self.label, self.op_no, line, short(reply, 300)))
        return reply

    def fail(self, what):
        raise Violation("%s: op %d (%s): %s" % (self.label, self.op_no, self.op_name, what))

    def expect(self, what, expected, got):
        if expected != got:
            self.fail("%s differs\n    expected: %s\n    got:      %s" % (what, short(expected), short(got)))

    # -- helpers

    def next_id(self):
        if self.s.last_id != ZERO and self.rnd.random() < 0.3:
            return (self.s.last_id[0], self.s.last_id[1] + 1)
        self.next_ms = max(self.next_ms, self.s.last_id[0]) + self.rnd.randint(1, 3)
        return (self.next_ms, self.rnd.choice([0, 0, 1, 5]))

    def entry(self, i):
        return [enc(i), self.s.fields[i]]

    def idle_ok(self, g, i, min_idle, touched):
        """Whether pending ID i is at least min_idle ms idle (deterministic by
        construction: see ensure_idle and the aged flag)."""
        if not min_idle:
            return True
        n = g.pel[i]
        if n.aged:
            return True
        if i in touched or min_idle >= BIG_IDLE:
            return False
        return True   # ensure_idle() waited long enough

    def ensure_idle(self, g, min_idle):
        """Sleep until every pending entry of g (not aged) was delivered more
        than min_idle + 2 ms ago, so a small min-idle selects all of them
        whatever the timing."""
        if min_idle >= BIG_IDLE or not min_idle:
            return
        newest = max((n.t_hi for n in g.pel.values() if not n.aged), default=0.0)
        wait = newest + (min_idle + 3) / 1000.0 - time.monotonic()
        if wait > 0:
            time.sleep(wait)
            self.slept += wait

    def pick_min_idle(self, g):
        x = self.rnd.random()
        if x < 0.65:
            return 0
        if x < 0.8:
            return BIG_IDLE
        m = self.rnd.randint(1, 10)
        self.ensure_idle(g, m)
        return m

    def live_group(self):
        return self.rnd.choice(sorted(self.groups))

    def pending_pick(self, g, k):
        """Up to k pending IDs, preferring those of crashed consumers."""
        ids = sorted(g.pel)
        if not ids:
            return []
        crashed = set(g.crashed)
        weights = [4 if g.pel[i].owner in crashed else 1 for i in ids]
        return [self.rnd.choices(ids, weights)[0] for _ in range(k)]

    def other_id(self, g):
        """An ID that is not pending: acked, undelivered, deleted or unknown."""
        choices = []
        acked = [i for i in g.acked if i not in g.pel]
        if acked:
            choices.append(self.rnd.choice(acked))
        undelivered = self.s.after(g.last_id, 3)
        if undelivered:
            choices.append(self.rnd.choice(undelivered))
        if self.s.order:
            deleted = [i for i in self.s.order[-50:] if i not in self.s.fields and i not in g.pel]
            if deleted:
                choices.append(self.rnd.choice(deleted))
        choices.append((self.rnd.randint(1, self.next_ms + 5), self.rnd.randint(0, 3)))
        return self.rnd.choice(choices)

    # -- operations

    def op_xadd(self, n=None):
        for _ in range(n or self.rnd.choice([1, 1, 1, 2, 3])):
            i = self.next_id()
            fields = [b"n", str(self.s.entries_added).encode(),
                      b"p", b"x" * self.rnd.choice([0, 1, 5, 20])]
            got = self.cmd("XADD", KEY, enc(i), *fields)
            self.expect("XADD reply", enc(i), got)
            self.s.add(i, fields)

    def blocked_clients(self):
        info = self.r.execute_command("INFO", "clients").decode()
        for line in info.splitlines():
            if line.startswith("blocked_clients:"):
                return int(line.split(":")[1])
        self.fail("INFO clients has no blocked_clients")

    def op_read_new(self, g, c, block=False):
        """XREADGROUP `>`; with block, BLOCK: served at once when there is
        something to read, else either times out (nil) or is woken by an XADD
        from the main connection while it waits on a second one."""
        count = self.rnd.choice([1, 1, 2, 3, 5, None])
        args = ["XREADGROUP", "GROUP", g.name, c] + (["COUNT", count] if count else [])
        ids = self.s.after(g.last_id, count)
        if not block:
            got = self.cmd(*(args + ["STREAMS", KEY, ">"]))
        elif ids or self.rnd.random() < 0.25:
            ms = self.rnd.choice([1, 10, 20]) if not ids else self.rnd.choice([0, 100, 5000])
            got = self.cmd(*(args + ["BLOCK", ms, "STREAMS", KEY, ">"]))
            self.stats["XREADGROUP BLOCK %s" % ("served at once" if ids else "timed out")] += 1
        else:
            # One or two consumers block on the group (on their own
            # connections); each XADD must wake exactly the longest waiting.
            readers = [(c, count, args)]
            others = [o for o in g.live if o != c]
            if others and self.rnd.random() < 0.35:
                o = self.rnd.choice(others)
                n = self.rnd.choice([1, 2, None])
                readers.append((o, n, ["XREADGROUP", "GROUP", g.name, o] + (["COUNT", n] if n else [])))
            before = self.blocked_clients()
            conns = []
            try:
                for who, n, a in readers:
                    a = a + ["BLOCK", self.rnd.choice([0, 20000]), "STREAMS", KEY, ">"]
                    a = [x if isinstance(x, bytes) else str(x).encode() for x in a]
                    line = "(connection %d) " % (len(conns) + 2) + " ".join(quote(x) for x in a)
                    if self.logf:
                        self.logf.write("%s\n" % line)
                    conn = self.r2.connection_pool.get_connection("XREADGROUP")
                    conns.append((conn, line))
                    conn.send_command(*a)
                    self.wait_blocked(before + len(conns), line)
                for k, (who, n, a) in enumerate(readers):
                    conn, line = conns[k]
                    self.op_xadd(1)
                    try:
                        got = conn.read_response()
                    except redis.ResponseError as e:
                        self.history.append((line, "(error) %s" % e))
                        self.fail("blocked XREADGROUP: unexpected error reply: %s" % e)
                    except (redis.TimeoutError, redis.ConnectionError) as e:
                        self.history.append((line, "(no reply within 5 s: %s)" % e))
                        others = []
                        for (o, _, _), (oc, oline) in zip(readers[k + 1:], conns[k + 1:]):
                            try:
                                others.append("%s got %s" % (o.decode(), short(oc.read_response(), 300)))
                            except (redis.TimeoutError, redis.ConnectionError):
                                others.append("%s got nothing either" % o.decode())
                        self.fail("XADD %s did not wake %s, the consumer of %s blocked first (Redis serves "
                                  "blocked XREADGROUP clients first come, first served); instead %s"
                                  % (enc(self.s.last_id).decode(), who.decode(), g.name,
                                     "; ".join(others) or "no blocked reader was served"))
                    self.t_recv = time.monotonic()
                    self.ncmds += 1
                    self.history.append((line, short(got, 300)))
                    self.check_read(g, who, self.s.after(g.last_id, n), got)
                    if k + 1 < len(readers):
                        left = self.blocked_clients()
                        if left != before + len(readers) - k - 1:
                            self.fail("after one XADD woke %s, %d clients are blocked, want %d (one entry, "
                                      "one reader)" % (who.decode(), left, before + len(readers) - k - 1))
            finally:
                for conn, _ in conns:
                    self.r2.connection_pool.release(conn)
            self.stats["XREADGROUP BLOCK woken by XADD (%d blocked)" % len(readers)] += 1
            return
        self.check_read(g, c, ids, got)

    def wait_blocked(self, want, line):
        end = time.monotonic() + 10
        while self.blocked_clients() != want:
            if time.monotonic() > end:
                self.history.append((line, "(never blocked)"))
                self.fail("XREADGROUP BLOCK on a group with nothing new did not block "
                          "(INFO blocked_clients is %d, want %d)" % (self.blocked_clients(), want))
            time.sleep(0.001)

    def check_read(self, g, c, ids, got):
        expected = [[KEY.encode(), [self.entry(i) for i in ids]]] if ids else None
        # The invariants, explicitly, before the whole-reply comparison.
        if isinstance(got, list) and got and isinstance(got[0], list) and len(got[0]) == 2:
            for e in got[0][1]:
                i = dec(e[0])
                if i in g.delivered:
                    self.fail("`>` delivered %s to %s, but it was already delivered to the group (owner now %s)"
                              % (enc(i), c, g.pel[i].owner if i in g.pel else "nobody: acked/dropped"))
                if i <= g.last_id:
                    self.fail("`>` delivered %s, not after the group's last-delivered-id %s" % (enc(i), enc(g.last_id)))
        self.expect("XREADGROUP > reply", expected, got)
        for i in ids:
            if g.entries_read is not None and not self.s.has_tombstones_from(i):
                g.entries_read += 1
            elif self.s.entries_added:
                g.entries_read = self.s.estimate(i)
            g.last_id = i
            g.delivered.add(i)
            g.pel[i] = Nack(c, 1, False, self.t_recv)
            g.consumers.setdefault(c, set()).add(i)
            g.in_hand.setdefault(c, []).append(i)

    def op_history(self, g, c):
        mine = sorted(g.consumers.get(c, ()))
        start = ZERO
        if mine and self.rnd.random() < 0.3:
            start = self.rnd.choice(mine)
        count = self.rnd.choice([None, None, 1, 3])
        args = ["XREADGROUP", "GROUP", g.name, c] + (["COUNT", count] if count else []) + \
               ["STREAMS", KEY, enc(start) if start != ZERO else "0"]
        ids = [i for i in mine if i > start][:count]
        expected = [[KEY.encode(), [self.entry(i) if i in self.s.fields else [enc(i), None] for i in ids]]]
        self.stats["history nil entries"] += sum(1 for i in ids if i not in self.s.fields)
        got = self.cmd(*args)
        self.expect("XREADGROUP history reply", expected, got)
        g.consumers.setdefault(c, set())
        for i in ids:
            if i in self.s.fields:
                n = g.pel[i]
                n.count += 1
                n.aged = False
                n.t_hi = self.t_recv
        hand = g.in_hand.setdefault(c, [])
        hand.extend(i for i in ids if i not in hand)

    def op_ack(self, g, c):
        hand = g.in_hand.get(c, [])
        ids = self.rnd.sample(hand, self.rnd.randint(1, min(4, len(hand)))) if hand else []
        if not ids or self.rnd.random() < 0.1:
            ids.append(self.other_id(g))
        if self.rnd.random() < 0.05:
            ids.append(self.rnd.choice(ids))
        expected = len({i for i in ids if i in g.pel})
        self.stats["stale acks (owned by another)"] += sum(1 for i in set(ids) if i in g.pel and g.pel[i].owner != c)
        got = self.cmd("XACK", KEY, g.name, *[enc(i) for i in ids])
        self.expect("XACK count", expected, got)
        for i in dict.fromkeys(ids):
            if i in g.pel:
                g.unpend(i)
                g.acked[i] += 1
        g.in_hand[c] = [i for i in hand if i not in ids]

    def op_xautoclaim(self, g, c):
        count = self.rnd.choice([1, 2, 3, 5, 10, None])
        min_idle = self.pick_min_idle(g)
        pend = sorted(g.pel)
        x = self.rnd.random()
        excl = False
        if x < 0.3 or not pend:
            start, sarg = ZERO, "0-0"
        elif x < 0.45:
            start, sarg = ZERO, "-"
        elif x < 0.75:
            start = self.rnd.choice(pend)
            sarg = enc(start)
        elif x < 0.9:
            start = self.rnd.choice(pend)
            sarg, excl = b"(" + enc(start), True
        else:
            start = (self.rnd.randint(0, self.next_ms + 2), self.rnd.randint(0, 2))
            sarg = enc(start)
        justid = self.rnd.random() < 0.25
        args = ["XAUTOCLAIM", KEY, g.name, c, min_idle, sarg] + \
               (["COUNT", count] if count else []) + (["JUSTID"] if justid else [])
        ids = [i for i in pend if (i > start if excl else i >= start)]
        left = count or 100
        attempts = left * 10
        claimed, deleted, pos = [], [], 0
        while True:                      # while (attempts-- && count && raxNext(&ri))
            if attempts == 0:
                break
            attempts -= 1
            if left == 0 or pos >= len(ids):
                break
            i = ids[pos]
            pos += 1
            if i not in self.s.fields:
                deleted.append(i)
                left -= 1
                continue
            if not self.idle_ok(g, i, min_idle, ()):
                continue
            claimed.append(i)
            left -= 1
        cursor = ids[pos] if pos < len(ids) else ZERO
        expected = [enc(cursor),
                    [enc(i) if justid else self.entry(i) for i in claimed],
                    [enc(i) for i in deleted]]
        got = self.cmd(*args)
        if isinstance(got, list) and len(got) == 3:
            for e in got[1]:
                i = dec(e if justid else e[0])
                if i not in g.pel:
                    self.fail("XAUTOCLAIM claimed %s, which was not pending (%s)" % (enc(i), self.fate(g, i)))
                if not self.idle_ok(g, i, min_idle, ()):
                    self.fail("XAUTOCLAIM claimed %s, which was not idle %d ms" % (enc(i), min_idle))
            for b in got[2]:
                i = dec(b)
                if i in self.s.fields:
                    self.fail("XAUTOCLAIM reported %s as deleted, but it exists" % b)
        self.expect("XAUTOCLAIM reply", expected, got)
        self.stats["XAUTOCLAIM claimed"] += len(claimed)
        self.stats["XAUTOCLAIM deleted"] += len(deleted)
        if min_idle and claimed:
            self.stats["XAUTOCLAIM min-idle %s claimed" % ("big" if min_idle >= BIG_IDLE else "small")] += len(claimed)
        if min_idle >= BIG_IDLE and len(claimed) < len(ids[:pos]) - len(deleted):
            self.stats["XAUTOCLAIM skipped not idle"] += 1
        for i in deleted:
            g.unpend(i)
            g.dropped[i] = "reported by XAUTOCLAIM"
        for i in claimed:
            if g.pel[i].owner in g.crashed:
                self.stats["claimed from crashed"] += 1
            g.own(i, c)
            n = g.pel[i]
            if not justid:
                n.count += 1
            n.aged = False
            n.t_hi = self.t_recv
        hand = g.in_hand.setdefault(c, [])
        hand.extend(i for i in claimed if i not in hand)

    def op_xclaim(self, g, c, aging=False):
        if aging:
            # Make a pending entry look long idle, keeping or changing its owner.
            ids = self.pending_pick(g, 1)
            if not ids:
                return
            if self.rnd.random() < 0.6:
                c = g.pel[ids[0]].owner
            min_idle = 0
        else:
            ids = self.pending_pick(g, self.rnd.randint(0, 3))
            while not ids or self.rnd.random() < 0.2:
                ids.append(self.other_id(g))
            if self.rnd.random() < 0.1:
                ids.append(self.rnd.choice(ids))
            self.rnd.shuffle(ids)
            min_idle = self.pick_min_idle(g)
        opts = []
        justid = self.rnd.random() < (0.5 if aging else 0.25)
        age = None
        x = self.rnd.random()
        if aging or x < 0.1:
            if self.rnd.random() < 0.7:
                opts += ["IDLE", AGE_IDLE]
            else:
                opts += ["TIME", int(time.time() * 1000) - AGE_IDLE]
            age = True
        retry = None
        if self.rnd.random() < 0.05:
            retry = self.rnd.randint(0, 9)
            opts += ["RETRYCOUNT", retry]
        if justid:
            opts.append("JUSTID")
        # Expected, applied to a scratch copy of the state (duplicates see
        # the effect of the earlier claim in the same command).
        sim = {i: Nack(n.owner, n.count, n.aged, n.t_hi) for i, n in g.pel.items() if i in ids}
        gone = set()
        touched = set()
        reply, claims = [], []
        for i in ids:
            if i not in self.s.fields:
                if i in sim and i not in gone:
                    gone.add(i)
                continue
            if i not in sim or i in gone:
                continue
            n = sim[i]
            if min_idle:
                if not (n.aged or (i not in touched and min_idle < BIG_IDLE)):
                    continue
            if retry is not None:
                n.count = retry
            elif not justid:
                n.count += 1
            n.aged = bool(age)
            n.owner = c
            if not age:
                touched.add(i)
            claims.append(i)
            reply.append(enc(i) if justid else self.entry(i))
        args = ["XCLAIM", KEY, g.name, c, min_idle] + [enc(i) for i in ids] + opts
        got = self.cmd(*args)
        if isinstance(got, list):
            for e in got:
                i = dec(e if justid else e[0])
                if i not in g.pel:
                    self.fail("XCLAIM returned %s, which was not pending (%s)" % (enc(i), self.fate(g, i)))
        self.expect("XCLAIM reply", reply, got)
        self.stats["XCLAIM claimed"] += len(claims)
        self.stats["XCLAIM dropped deleted"] += len(gone)
        self.stats["XCLAIM duplicate claims"] += len(claims) - len(set(claims))
        for i in gone:
            g.unpend(i)
            g.dropped[i] = "dropped by XCLAIM"
        for i in claims:
            g.own(i, c)
        for i, n in sim.items():
            if i in g.pel:
                m = g.pel[i]
                m.count, m.aged = n.count, n.aged
                if i in claims:
                    m.t_hi = self.t_recv
        hand = g.in_hand.setdefault(c, [])
        hand.extend(i for i in dict.fromkeys(claims) if i not in hand)

    def op_xdel(self):
        x = self.rnd.random()
        live = self.s.after(ZERO, 25)
        if x < 0.02:
            ids = self.s.after(ZERO, None)   # purge: the stream is empty (still a key)
            self.stats["XDEL emptied the stream"] += bool(ids)
        elif x < 0.35:
            ids = live[:self.rnd.randint(1, 5)]   # retention: the oldest entries
        else:
            cands = []
            for g in self.groups.values():
                cands += sorted(g.pel)
            cands += self.s.after(min((g.last_id for g in self.groups.values()), default=ZERO), 5)
            if self.s.order:
                cands += self.rnd.sample(self.s.order, min(3, len(self.s.order)))
            ids = list(dict.fromkeys(self.rnd.choice(cands) for _ in range(self.rnd.randint(1, 3)))) if cands else []
        if not ids or self.rnd.random() < 0.1:
            ids.append((self.rnd.randint(1, self.next_ms), 9))
        expected = len({i for i in ids if i in self.s.fields})
        got = self.cmd("XDEL", KEY, *[enc(i) for i in ids])
        self.expect("XDEL count", expected, got)
        for i in ids:
            self.s.delete(i)
        if self.s.max_deleted != ZERO and self.s.length and self.s.first_id > self.s.max_deleted:
            self.stats["XDEL: every tombstone before the first entry"] += 1

    def op_crash(self, g):
        if len(g.live) <= 2:
            return
        c = self.rnd.choice(g.live)
        g.live.remove(c)
        g.crashed.append(c)
        if self.verbose:
            print("  [%s op %d] %s crashes holding %d" % (self.label, self.op_no, c.decode(),
                                                         len(g.consumers.get(c, ()))))

    def op_spawn(self, g):
        if len(g.live) >= 6:
            return
        c = g.new_name()
        g.live.append(c)
        if self.rnd.random() < 0.5:
            self.op_createconsumer(g, c)

    def op_createconsumer(self, g, c):
        expected = 0 if c in g.consumers else 1
        got = self.cmd("XGROUP", "CREATECONSUMER", KEY, g.name, c)
        self.expect("XGROUP CREATECONSUMER reply", expected, got)
        g.consumers.setdefault(c, set())

    def op_delconsumer(self, g):
        idle = sorted(c for c, ids in g.consumers.items() if not ids)
        if not idle:
            return
        c = self.rnd.choice(idle)
        got = self.cmd("XGROUP", "DELCONSUMER", KEY, g.name, c)
        self.expect("XGROUP DELCONSUMER reply (pending count)", 0, got)
        del g.consumers[c]
        g.in_hand.pop(c, None)
        if c in g.crashed:
            g.crashed.remove(c)

    def op_xpending_idle(self, g):
        m = self.rnd.choice([BIG_IDLE, BIG_IDLE, self.rnd.randint(1, 10)])
        self.ensure_idle(g, m)
        cons = None
        if g.consumers and self.rnd.random() < 0.4:
            cons = self.rnd.choice(sorted(g.consumers))
        args = ["XPENDING", KEY, g.name, "IDLE", m, "-", "+", 100000] + ([cons] if cons else [])
        got = self.cmd(*args)
        ids = [i for i in sorted(g.pel) if (m < BIG_IDLE or g.pel[i].aged) and (cons is None or g.pel[i].owner == cons)]
        self.expect("XPENDING IDLE %d (idle masked)" % m, self.xpending_ext(g, ids), self.mask_ext(got))

    def op_create_group(self, name, at=None):
        """XGROUP CREATE at `$` (at None) or at an explicit ID."""
        got = self.cmd("XGROUP", "CREATE", KEY, name, "$" if at is None else enc(at))
        self.expect("XGROUP CREATE reply", b"OK", got)
        g = self.groups[name] = Group(name, self.s.last_id if at is None else at, None)
        for _ in range(4):
            g.live.append(g.new_name())

    # -- checks

    def xinfo_groups(self):
        out = []
        for name in sorted(self.groups):
            g = self.groups[name]
            out.append([b"name", name.encode(), b"consumers", len(g.consumers), b"pending", len(g.pel),
                        b"last-delivered-id", enc(g.last_id), b"entries-read", g.entries_read,
                        b"lag", g.lag(self.s)])
        return out

    def xpending_summary(self, g):
        if not g.pel:
            return [0, None, None, None]
        return [len(g.pel), enc(min(g.pel)), enc(max(g.pel)),
                [[c, str(len(ids)).encode()] for c, ids in sorted(g.consumers.items()) if ids]]

    def xpending_ext(self, g, ids):
        return [[enc(i), g.pel[i].owner, None, g.pel[i].count] for i in ids]

    def mask_ext(self, got):
        if not isinstance(got, list):
            return got
        return [[e[0], e[1], None, e[3]] if isinstance(e, list) and len(e) == 4 else e for e in got]

    def xinfo_full(self):
        s = self.s
        groups = []
        for name in sorted(self.groups):
            g = self.groups[name]
            groups.append([
                b"name", name.encode(), b"last-delivered-id", enc(g.last_id), b"entries-read", g.entries_read,
                b"lag", g.lag(s), b"pel-count", len(g.pel),
                b"pending", [[enc(i), g.pel[i].owner, None, g.pel[i].count] for i in sorted(g.pel)],
                b"consumers", [[b"name", c, b"seen-time", None, b"pel-count", len(ids),
                                b"pending", [[enc(i), None, g.pel[i].count] for i in sorted(ids)]]
                               for c, ids in sorted(g.consumers.items())]])
        return [b"length", s.length, b"radix-tree-keys", None, b"radix-tree-nodes", None,
                b"last-generated-id", enc(s.last_id), b"max-deleted-entry-id", enc(s.max_deleted),
                b"entries-added", s.entries_added, b"recorded-first-entry-id", enc(s.first_id),
                b"entries", [self.entry(i) for i in s.after(ZERO, None)], b"groups", groups]

    def mask_full(self, got):
        try:
            got = list(got)
            got[3] = got[5] = None
            groups = []
            for g in got[17]:
                g = list(g)
                g[11] = [[e[0], e[1], None, e[3]] for e in g[11]]
                cons = []
                for c in g[13]:
                    c = list(c)
                    c[3] = None
                    c[7] = [[e[0], None, e[2]] for e in c[7]]
                    cons.append(c)
                g[13] = cons
                groups.append(g)
            got[17] = groups
        except (TypeError, IndexError, KeyError):
            pass    # not the expected shape: compared as it is
        return got

    def check_light(self):
        for x in self.xinfo_groups():
            self.stats["XINFO lag nil" if x[11] is None else "XINFO lag known"] += 1
            self.stats["XINFO entries-read nil" if x[9] is None else "XINFO entries-read known"] += 1
        got = self.cmd("XINFO", "GROUPS", KEY)
        self.expect("XINFO GROUPS", self.xinfo_groups(), got)

    def check_full(self, per_consumer=True):
        for name in sorted(self.groups):
            g = self.groups[name]
            got = self.cmd("XPENDING", KEY, name)
            self.expect("XPENDING %s summary" % name, self.xpending_summary(g), got)
            got = self.cmd("XPENDING", KEY, name, "-", "+", 100000)
            for e in got:
                i = dec(e[0])
                if i in g.pel:
                    aged = g.pel[i].aged
                    if aged and e[2] < BIG_IDLE or not aged and e[2] >= BIG_IDLE:
                        self.fail("XPENDING %s: idle %d ms of %s is not plausible (aged: %s)"
                                  % (name, e[2], e[0], aged))
            self.expect("XPENDING %s - + (idle masked)" % name, self.xpending_ext(g, sorted(g.pel)), self.mask_ext(got))
            if per_consumer:
                seen = {}
                for c in sorted(set(g.consumers) | set(g.crashed)):
                    part = self.cmd("XPENDING", KEY, name, "-", "+", 100000, c)
                    for e in part:
                        if e[0] in seen:
                            self.fail("%s is pending for two consumers at once: %s and %s"
                                      % (e[0], seen[e[0]], c))
                        seen[e[0]] = c
                        if e[1] != c:
                            self.fail("XPENDING ... %s lists %s owned by %s" % (c, e[0], e[1]))
                    want = sorted(i for i in g.consumers.get(c, ()))
                    self.expect("XPENDING %s - + N %s (idle masked)" % (name, c.decode()),
                                self.xpending_ext(g, want), self.mask_ext(part))
                if len(seen) != len(g.pel):
                    self.fail("per-consumer PELs hold %d entries, the group PEL %d" % (len(seen), len(g.pel)))
            got = self.cmd("XINFO", "CONSUMERS", KEY, name)
            masked = [[x[0], x[1], x[2], x[3], x[4], None] if isinstance(x, list) and len(x) == 6 else x for x in got]
            want = [[b"name", c, b"pending", len(ids), b"idle", None] for c, ids in sorted(g.consumers.items())]
            self.expect("XINFO CONSUMERS %s (idle masked)" % name, want, masked)
            self.check_model(g)
        self.check_light()
        self.expect("XLEN", self.s.length, self.cmd("XLEN", KEY))
        if per_consumer:
            self.expect("XINFO STREAM FULL COUNT 0 (times and radix-tree figures masked)",
                        self.xinfo_full(), self.mask_full(self.cmd("XINFO", "STREAM", KEY, "FULL", "COUNT", 0)))

    def fate(self, g, i):
        if i in g.pel:
            return "pending for %s" % g.pel[i].owner.decode()
        if g.acked[i]:
            return "acked"
        if i in g.dropped:
            return "deleted, " + g.dropped[i]
        if i in self.s.fields:
            return "undelivered" if i > g.last_id else "delivered?"
        return "deleted before delivery" if i in set(self.s.order) else "never existed"

    def check_model(self, g):
        # Every entry of the group is in exactly one state (the model's own
        # bookkeeping; the server's side is compared above).
        for i in g.pel:
            if g.acked[i] or i in g.dropped:
                self.fail("model: %s pending but also acked/dropped" % enc(i))
        for c, ids in g.consumers.items():
            for i in ids:
                if g.pel.get(i) is None or g.pel[i].owner != c:
                    self.fail("model: %s in %s's PEL but not owned by it" % (enc(i), c))

    def snapshot(self, tag):
        snap = {}
        for name in sorted(self.groups):
            snap["XPENDING %s" % name] = self.cmd("XPENDING", KEY, name)
            snap["XPENDING %s - + 100000" % name] = self.mask_ext(self.cmd("XPENDING", KEY, name, "-", "+", 100000))
            got = self.cmd("XINFO", "CONSUMERS", KEY, name)
            snap["XINFO CONSUMERS %s" % name] = [x[:5] for x in got]
        snap["XINFO GROUPS"] = self.cmd("XINFO", "GROUPS", KEY)
        self.snapshots[tag] = snap

    # -- the end

    def drain(self):
        self.op_name = "drain"
        for name in sorted(self.groups):
            g = self.groups[name]
            survivors = list(g.live)
            for c in survivors:   # finish what they hold (some of it may be stale)
                if g.in_hand.get(c):
                    ids = g.in_hand[c]
                    expected = len({i for i in ids if i in g.pel})
                    self.expect("drain XACK count", expected, self.cmd("XACK", KEY, name, *[enc(i) for i in ids]))
                    for i in dict.fromkeys(ids):
                        if i in g.pel:
                            g.unpend(i)
                            g.acked[i] += 1
                    g.in_hand[c] = []
            for rounds in range(3):
                for k, c in enumerate(survivors):
                    while self.s.after(g.last_id, 1):
                        self.op_read_new(g, c)
                        self.drain_ack(g, c)
                    cursor = b"0-0"
                    while True:
                        got = self.cmd("XAUTOCLAIM", KEY, name, c, 0, cursor, "COUNT", 7)
                        pend = sorted(i for i in g.pel if i >= dec(cursor))
                        claimed, deleted, left, pos = [], [], 7, 0
                        while left and pos < len(pend) and pos < 70:
                            i = pend[pos]
                            pos += 1
                            (claimed if i in self.s.fields else deleted).append(i)
                            left -= 1
                        nxt = pend[pos] if pos < len(pend) else ZERO
                        self.expect("drain XAUTOCLAIM reply",
                                    [enc(nxt), [self.entry(i) for i in claimed], [enc(i) for i in deleted]], got)
                        for i in deleted:
                            g.unpend(i)
                            g.dropped[i] = "reported by XAUTOCLAIM"
                        for i in claimed:
                            g.own(i, c)
                            g.pel[i].count += 1
                            g.pel[i].aged = False
                            g.pel[i].t_hi = self.t_recv
                        g.in_hand[c] = list(claimed)
                        self.drain_ack(g, c)
                        cursor = enc(nxt)
                        if nxt == ZERO:
                            break
                if not g.pel and not self.s.after(g.last_id, 1):
                    break
            self.check_light()

    def drain_ack(self, g, c):
        ids = g.in_hand.get(c, [])
        if not ids:
            return
        expected = len({i for i in ids if i in g.pel})
        self.expect("drain XACK count", expected, self.cmd("XACK", KEY, g.name, *[enc(i) for i in ids]))
        for i in dict.fromkeys(ids):
            if i in g.pel:
                g.unpend(i)
                g.acked[i] += 1
        g.in_hand[c] = []

    def final_check(self):
        self.op_name = "final"
        self.check_full()
        order = set(self.s.order)
        for name in sorted(self.groups):
            g = self.groups[name]
            got = self.cmd("XPENDING", KEY, name)
            if got[0] != 0:
                self.fail("group %s: %d entries still pending after the survivors drained it" % (name, got[0]))
            lost = []
            for i in self.s.order:
                if i <= g.start_id:
                    continue
                if g.acked[i] > 1:
                    self.fail("group %s: %s acknowledged %d times" % (name, enc(i), g.acked[i]))
                if g.acked[i] == 1:
                    continue
                if i in self.s.fields:
                    lost.append(i)       # live and never acknowledged
                elif i in g.dropped or i not in g.delivered:
                    continue             # deleted: reported/dropped, or never delivered
                else:
                    lost.append(i)
            if lost:
                self.fail("group %s: %d entries lost (neither acknowledged nor deleted-and-dropped), e.g. %s: %s"
                          % (name, len(lost), enc(lost[0]), self.fate(g, lost[0])))
            for i in g.acked:
                if i not in order:
                    self.fail("group %s: acknowledged %s, which was never produced" % (name, enc(i)))
        want = []
        for i in self.s.order:
            if i in self.s.fields:
                want.append(self.entry(i))
        self.expect("XRANGE - +", want, self.cmd("XRANGE", KEY, "-", "+"))

    # -- driver

    def run(self):
        rnd = self.rnd
        self.cmd("DEL", KEY)
        for _ in range(rnd.randint(0, 5)):
            self.op_xadd()
        got = self.cmd("XGROUP", "CREATE", KEY, "g1", "0", "MKSTREAM")
        self.expect("XGROUP CREATE reply", b"OK", got)
        g = self.groups["g1"] = Group("g1", ZERO, None)
        for _ in range(4):
            g.live.append(g.new_name())
        self.check_light()
        g2_at, g3_at = self.ops // 4, self.ops // 2
        table = [
            ("xadd", 18), ("read", 16), ("block", 3), ("ack", 16), ("xautoclaim", 8), ("xclaim", 7),
            ("age", 3), ("history", 4), ("xdel", 5), ("crash", 2), ("spawn", 2),
            ("createconsumer", 1), ("delconsumer", 1), ("xpending_idle", 2), ("check", 3),
        ]
        names = [t[0] for t in table]
        weights = [t[1] for t in table]
        for self.op_no in range(1, self.ops + 1):
            if time.monotonic() - self.t0 > MAX_RUN_S:
                self.fail("run longer than %d s: BIG_IDLE no longer separates fresh from aged entries" % MAX_RUN_S)
            if self.op_no == g2_at:
                self.op_name = "XGROUP CREATE g2 $"
                self.op_create_group("g2")
                self.check_light()
                continue
            if self.op_no == g3_at:
                at = rnd.choice(self.s.order) if self.s.order and rnd.random() < 0.8 else ZERO
                self.op_name = "XGROUP CREATE g3 %s" % enc(at).decode()
                self.op_create_group("g3", at)
                self.check_light()
                continue
            op = rnd.choices(names, weights)[0]
            g = self.groups[self.live_group()]
            c = rnd.choice(g.live)
            self.op_name = "%s %s %s" % (op, g.name, c.decode())
            if op == "xadd":
                self.op_name = op
                self.op_xadd()
            elif op == "read":
                self.op_read_new(g, c)
            elif op == "block":
                idle = [n for n in sorted(self.groups) if not self.s.after(self.groups[n].last_id, 1)]
                if idle and rnd.random() < 0.7:
                    g = self.groups[rnd.choice(idle)]
                    c = rnd.choice(g.live)
                    self.op_name = "%s %s %s" % (op, g.name, c.decode())
                self.op_read_new(g, c, block=True)
            elif op == "ack":
                self.op_ack(g, c)
            elif op == "xautoclaim":
                self.op_xautoclaim(g, c)
            elif op == "xclaim":
                self.op_xclaim(g, c)
            elif op == "age":
                self.op_xclaim(g, c, aging=True)
            elif op == "history":
                self.op_history(g, c)
            elif op == "xdel":
                self.op_name = op
                self.op_xdel()
            elif op == "crash":
                self.op_crash(g)
            elif op == "spawn":
                self.op_spawn(g)
            elif op == "createconsumer":
                self.op_createconsumer(g, rnd.choice(g.live + g.crashed))
            elif op == "delconsumer":
                self.op_delconsumer(g)
            elif op == "xpending_idle":
                self.op_xpending_idle(g)
            elif op == "check":
                self.check_full(per_consumer=True)
            self.check_light()
            if self.op_no % 10 == 0:
                self.check_full(per_consumer=self.op_no % 50 == 0)
        self.op_no += 1
        self.op_name = "before drain"
        self.check_full()
        self.snapshot("before drain")
        self.drain()
        self.final_check()
        self.snapshot("after drain")

    def summary(self):
        st = collections.Counter()
        for g in self.groups.values():
            st["acked"] += sum(g.acked.values())
            st["dropped"] += len(g.dropped)
            st["crashed"] += len(g.crashed)
        return ("%d ops, %d commands, %d entries (%d deleted), %d acks, %d deleted pending dropped, "
                "%d crashed consumers, %.1f s (%.1f s sleeping)"
                % (self.ops, self.ncmds, len(self.s.order), len(self.s.order) - self.s.length,
                   st["acked"], st["dropped"], st["crashed"], time.monotonic() - self.t0, self.slept))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int)
    ap.add_argument("--ops", type=int, default=DEFAULT_OPS)
    ap.add_argument("--only", choices=["redis", "swarmlog"])
    ap.add_argument("--log", help="write every command of each run to FILE.<server>")
    ap.add_argument("--verbose", action="store_true", help="print every command and reply")
    ap.add_argument("--stats", action="store_true", help="print what the run exercised")
    args = ap.parse_args()
    seed = args.seed
    if seed is None:
        env = os.environ.get("SWARMLOG_TEST_SEED")
        seed = int(env) if env else int.from_bytes(os.urandom(4), "little")
    print("groups_model: seed %d (replay with --seed %d or SWARMLOG_TEST_SEED=%d), %d ops"
          % (seed, seed, seed, args.ops))
    sys.stdout.flush()

    servers = []
    if os.environ.get("REDIS_PORT") and args.only != "swarmlog":
        servers.append(("redis-server", int(os.environ["REDIS_PORT"])))
    if os.environ.get("SWARMLOG_PORT") and args.only != "redis":
        servers.append(("swarmlog", int(os.environ["SWARMLOG_PORT"])))
    if not servers:
        print("groups_model: set SWARMLOG_PORT (and REDIS_PORT); run under tests/lib/with-server", file=sys.stderr)
        return 2

    results = {}
    runs = {}
    for label, port in servers:
        log = open("%s.%s" % (args.log, label), "w") if args.log else None
        run = Run(label, port, seed, args.ops, log=log, verbose=args.verbose)
        runs[label] = run
        try:
            run.run()
            results[label] = None
            print("ok   %s: %s" % (label, run.summary()))
            if args.verbose or args.stats:
                print("     " + ", ".join("%s %d" % kv for kv in sorted(run.stats.items())))
        except Violation as e:
            results[label] = str(e)
            print("FAIL %s" % e)
            print("     last commands (oldest first):")
            for line, reply in run.history:
                print("       %s\n         -> %s" % (line, reply))
        finally:
            if log:
                log.close()
        sys.stdout.flush()

    failed = any(results.values())
    if "redis-server" in results and "swarmlog" in results:
        if results["redis-server"] and not results["swarmlog"]:
            print("groups_model: the model disagrees with redis-server (a bug in this test)")
        elif results["swarmlog"] and not results["redis-server"]:
            print("groups_model: redis-server passed seed %d, swarmlog did not: a swarmlog bug" % seed)
        elif not failed:
            a, b = runs["redis-server"].snapshots, runs["swarmlog"].snapshots
            for tag in a:
                for what in a[tag]:
                    if a[tag][what] != b[tag].get(what):
                        failed = True
                        print("FAIL redis-server and swarmlog differ %s: %s\n    redis-server: %s\n    swarmlog:     %s"
                              % (tag, what, short(a[tag][what]), short(b[tag].get(what))))
            if not failed:
                print("ok   redis-server and swarmlog agree on XPENDING / XINFO GROUPS / XINFO CONSUMERS "
                      "before and after the drain")
    print("groups_model: %s (seed %d)" % ("FAILED" if failed else "passed", seed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
