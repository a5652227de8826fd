#!/usr/bin/python3
"""Reacts to OrderPlaced: takes the payment (PaymentReceived), then ships
(Shipped). Runs until SIGTERM/SIGINT.

At-least-once with idempotent effects: it reads OrderPlaced events with
EV.READ BLOCK from a cursor file it saves after each batch, and for each
order runs the optimistic-concurrency loop of docs/event-log.md: read the
order's events (its revision), decide, EV.ADD ... EXPECT <revision> with an
event id (paid:<id>, shipped:<id>); on WRONGVERSION read again. A batch seen
twice after a crash, or a cancellation racing the payment, changes nothing.

    payments_service.py --port 7000 --cursor /tmp/payments.offsets
"""
import argparse
import signal
import sys

import orders
import swarmlog


def advance(r, key):
    """Drive one order to a terminal state; returns it."""
    oid = orders.order_id(key)
    while True:
        events, revision = swarmlog.key_events(r, key)
        state = orders.fold(events).get(oid, orders.new_order())
        try:
            if state["status"] == "placed":
                orders.publish_retrying(r, key, {"amount": state["amount"]}, tags=[orders.TAG],
                                        type="PaymentReceived", event_id="paid:" + oid, expect=revision)
            elif state["status"] == "paid":
                orders.publish_retrying(r, key, {"carrier": "swarm-post"}, tags=[orders.TAG],
                                        type="Shipped", event_id="shipped:" + oid, expect=revision)
            else:
                return state["status"]
        except swarmlog.WrongVersion:
            continue  # someone else wrote to the order meanwhile: read again


class Stop(Exception):
    pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    orders.add_connection_args(ap)
    ap.add_argument("--cursor", required=True, help="file keeping the offset map processed up to")
    args = ap.parse_args()

    def stop(signum, frame):
        raise Stop()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    r = orders.connect(args)
    cursor = swarmlog.OffsetMap.load(args.cursor)
    handled = 0
    loop = swarmlog.read_loop(r, cursor, where=orders.TAG, types=["OrderPlaced"], count=100, block_ms=500)
    try:
        for batch in loop:
            for ev in batch.events:
                advance(r, ev.key)
                handled += 1
            if batch.offsets != cursor:
                batch.offsets.save(args.cursor)
                cursor = batch.offsets
    except Stop:
        pass
    finally:
        loop.close()
    print("payments_service: handled %d orders" % handled)
    return 0


if __name__ == "__main__":
    sys.exit(main())
