#!/usr/bin/python3
"""Places orders (OrderPlaced) and cancels some (Cancelled).

Every event carries an event id (placed:<id>, cancelled:<id>), so a retry
after a lost reply or a restart stores nothing twice. A cancellation is
EXPECT 0: it only lands while the order is still just placed; when
payments_service got there first the server answers WRONGVERSION and the
order stays paid.

    orders_publisher.py --port 7000 --orders 100 --rate 50
"""
import argparse
import random
import sys
import time

import orders
import swarmlog


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    orders.add_connection_args(ap)
    ap.add_argument("--orders", type=int, default=100, help="how many orders to place")
    ap.add_argument("--rate", type=float, default=50, help="orders per second (0: as fast as possible)")
    ap.add_argument("--prefix", default="o", help="order ids are <prefix><n>")
    ap.add_argument("--cancel", type=float, default=0.1, help="chance to cancel an order right away")
    ap.add_argument("--cancel-late", type=float, default=0.1, help="chance to try cancelling an older order")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    r = orders.connect(args)
    placed, cancelled, too_late = [], set(), 0
    start = time.monotonic()
    for n in range(args.orders):
        oid = "%s%d" % (args.prefix, n)
        amount = str(rnd.randint(1, 500))
        try:
            orders.publish_retrying(r, orders.order_key(oid), {"amount": amount, "customer": "c%d" % rnd.randint(1, 20)},
                                    tags=[orders.TAG], type="OrderPlaced", event_id="placed:" + oid, expect="NOKEY")
        except swarmlog.WrongVersion:
            pass  # placed by an earlier run of this publisher (same prefix)
        placed.append(oid)
        victim = None
        if rnd.random() < args.cancel:
            victim = oid
        elif rnd.random() < args.cancel_late and len(placed) > 1:
            victim = rnd.choice(placed[-10:-1])
        if victim is not None:
            try:
                orders.publish_retrying(r, orders.order_key(victim), {"reason": "customer"}, tags=[orders.TAG],
                                        type="Cancelled", event_id="cancelled:" + victim, expect=0)
                cancelled.add(victim)  # a repeat answers the stored event
            except swarmlog.WrongVersion:
                too_late += 1  # already paid: nothing stored
        if args.rate > 0:
            delay = start + (n + 1) / args.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    print("orders_publisher: placed %d, cancelled %d, too late to cancel %d" % (len(placed), len(cancelled), too_late))
    return 0


if __name__ == "__main__":
    sys.exit(main())
