#!/usr/bin/python3
"""Approximate trimming ('~') removes exactly what Redis removes.

Redis trims whole stream nodes, and a node closes at 100 entries or when
its listpack would reach 4096 bytes, so matching Redis means matching its
listpack byte accounting (store/node.c). This runs seeded random XADD (with
MAXLEN ~ / MINID ~), XDEL and XTRIM sequences whose payloads cross every
listpack encoding boundary (integer-looking values, 6/12/32-bit string
lengths, repeated and changing field sets) against redis-server and
swarmlog, comparing every reply, XLEN after every step and the final XRANGE.

Run: tests/lib/with-server --reference -- /usr/bin/python3 tests/compat/trim_nodes.py [--seeds N] [--first S]
"""
import argparse
import os
import random
import sys

import redis

INTS = [0, 5, 127, 128, 4095, 4096, -1, -4097, 70000, 2**31, -2**40, 2**63 - 1]
SIZES = [0, 1, 10, 62, 63, 64, 100, 300, 1000, 4095, 5000]
FIELD_SETS = [["f"], ["f", "g"], ["a", "b", "c"]]


def value(rnd):
    kind = rnd.random()
    if kind < 0.3:
        return str(rnd.choice(INTS))
    if kind < 0.4:
        return "0" + str(rnd.randint(0, 99))  # not canonical: stored as a string
    return "v" * rnd.choice(SIZES)


def xadd(rnd, ms):
    names = rnd.choice(FIELD_SETS + [[str(rnd.randint(0, 5))]])
    fields = []
    for i in range(rnd.choice([1, 1, 2, 3])):
        name = names[i % len(names)] if rnd.random() < 0.8 else "x%d" % i
        fields += [name, value(rnd)]
    args = ["XADD", "n"]
    if rnd.random() < 0.2:
        if rnd.random() < 0.5:
            args += ["MAXLEN", "~", str(rnd.randint(0, 60))]
        else:
            args += ["MINID", "~", "%d-0" % max(1, ms - rnd.randint(0, 5000))]
    return args + ["%d-%d" % (ms, rnd.randint(0, 3))] + fields


def call(r, args):
    try:
        return r.execute_command(*args)
    except redis.ResponseError as e:
        return "ERR " + str(e)


def run(seed, ref, sut, ops):
    rnd = random.Random(seed)
    for r in (ref, sut):
        r.delete("n")
    ms = 1
    for op in range(ops):
        k = rnd.random()
        if k < 0.75:
            ms += rnd.choice([1, 1, 2, 200, 100000])
            args = xadd(rnd, ms)
        elif k < 0.9:
            args = ["XDEL", "n", "%d-%d" % (rnd.randint(1, ms), rnd.randint(0, 3))]
        else:
            args = ["XTRIM", "n", "MAXLEN", rnd.choice(["~", "="]), str(rnd.randint(0, 80))]
        want, got = call(ref, args), call(sut, args)
        if want != got or ref.xlen("n") != sut.xlen("n"):
            print(f"FAIL seed {seed} op {op}: {args[:5]}... redis {want!r} xlen {ref.xlen('n')}, "
                  f"swarmlog {got!r} xlen {sut.xlen('n')}")
            return False
    if ref.xrange("n") != sut.xrange("n"):
        print(f"FAIL seed {seed}: final XRANGE differs")
        return False
    return True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=15)
    ap.add_argument("--first", type=int, default=int(os.environ.get("SWARMLOG_TEST_SEED", "0")))
    ap.add_argument("--ops", type=int, default=600)
    a = ap.parse_args()
    ref = redis.Redis(host="127.0.0.1", port=int(os.environ["REDIS_PORT"]))
    sut = redis.Redis(host="127.0.0.1", port=int(os.environ["SWARMLOG_PORT"]))
    seeds = range(a.first, a.first + a.seeds)
    failed = [s for s in seeds if not run(s, ref, sut, a.ops)]
    print(f"trim_nodes: {len(seeds) - len(failed)} of {len(seeds)} seeds match redis-server "
          f"(first {a.first}, {a.ops} ops each)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
