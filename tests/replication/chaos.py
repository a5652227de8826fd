#!/usr/bin/python3
"""Seeded randomized replication scenarios: 4 nodes, a random sequence of
publishes and deletions (XDEL, DEL: tombstones) on every node, link cuts, heals, clean restarts and kill -9 of
nodes; at the end every link is healed and the nodes must converge:
identical offsets and Lamport-ordered histories, every stream gapless, each
published event present exactly once, identical key views (the same
entries in every key on every node), and per node a strictly increasing
Lamport clock across the whole run.

  tests/replication/chaos.py                 # the short run CI does (seed printed)
  tests/replication/chaos.py --steps 2000    # a long run
  tests/replication/chaos.py --seed N        # replay (or SWARMLOG_TEST_SEED=N)
"""
import argparse
import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
import replication as R  # noqa: E402  (Node, converge, ...)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=int(os.environ.get("SWARMLOG_TEST_SEED", "0")) or None)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--nodes", type=int, default=4)
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1 << 32)
    print("chaos: seed %d (replay with --seed %d), %d steps, %d nodes" % (seed, seed, a.steps, a.nodes))
    rnd = random.Random(seed)
    try:
        nodes = [R.Node("n%d" % i) for i in range(a.nodes)]
        links = set()
        published = {}  # (node index) -> count
        last_lamport = {}

        def link(i, j):
            nodes[i].r.execute_command("EV.PEER", "ADD", nodes[j].addr())
            links.add((i, j))

        def cut(i, j):
            for x, y in ((i, j), (j, i)):
                if nodes[x].proc is not None:
                    nodes[x].r.execute_command("EV.PEER", "REMOVE", nodes[y].addr())
                links.discard((x, y))

        for i in range(1, a.nodes):
            link(i, rnd.randrange(i))
        for step in range(a.steps):
            x = rnd.random()
            i = rnd.randrange(a.nodes)
            n = nodes[i]
            if x < 0.5:
                count = rnd.randint(1, 40)
                p = n.r.pipeline(transaction=False)
                for k in range(count):
                    p.execute_command("EV.ADD", "c%d" % rnd.randrange(5), "TAGS", "1", "n%d" % i, "step", str(step))
                replies = p.execute()
                lam = R.d(replies[-1])["lamport"]
                if lam <= last_lamport.get(i, 0):
                    R.fail("seed %d step %d: node %d's lamport went from %d to %d" % (seed, step, i,
                                                                                     last_lamport[i], lam))
                last_lamport[i] = lam
                published[i] = published.get(i, 0) + count
            elif x < 0.62:  # deletions, which travel as tombstone events
                key = "c%d" % rnd.randrange(5)
                if rnd.random() < 0.7:
                    entries = n.r.xrange(key)
                    gone = rnd.sample([e[0] for e in entries], min(len(entries), rnd.randint(1, 5)))
                    made = gone and n.r.xdel(key, *gone) > 0
                else:
                    made = n.r.delete(key) == 1
                published[i] = published.get(i, 0) + (1 if made else 0)
            elif x < 0.7:
                j = rnd.randrange(a.nodes)
                if j != i:
                    cut(i, j)
            elif x < 0.85:
                j = rnd.randrange(a.nodes)
                if j != i:
                    link(i, j)
            elif x < 0.93:
                n.stop()
                n.start()
            else:
                n.stop(signal.SIGKILL)
                n.start()
            if rnd.random() < 0.2:
                time.sleep(rnd.choice([0.01, 0.05, 0.2]))
        # heal: every node names every other
        for i in range(a.nodes):
            for j in range(a.nodes):
                if i != j:
                    nodes[i].r.execute_command("EV.PEER", "ADD", nodes[j].addr())
        hist = R.converge(nodes, timeout=120)
        total = sum(published.values())
        if len(hist) != total:
            R.fail("seed %d: %d events after convergence, %d published" % (seed, len(hist), total))
        views = [{k: sorted(tuple(sorted(e[1].items())) for e in n.r.xrange(k)) for k in n.r.keys("*")}
                 for n in nodes]
        for n, v in zip(nodes[1:], views[1:]):
            if v != views[0]:
                R.fail("seed %d: %s's key views differ from %s's after convergence" % (seed, n.name, nodes[0].name))
        for n in nodes:
            n.stop()
        print("chaos: converged, %d events from %d nodes, every stream gapless, nothing twice" % (total, a.nodes))
    finally:
        R.cleanup()


if __name__ == "__main__":
    main()
