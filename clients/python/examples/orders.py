"""The order workflow shared by the examples and the test: event types, the
per-order state machine and the fold of events into order states.

Each order is a key ``order:<id>`` tagged ``orders``; its events:
OrderPlaced -> PaymentReceived -> Shipped, or OrderPlaced -> Cancelled.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import swarmlog  # noqa: E402  (clients/python/swarmlog.py)

TAG = "orders"
TYPES = ("OrderPlaced", "PaymentReceived", "Shipped", "Cancelled")
# status -> {event type -> next status}
TRANSITIONS = {
    None: {"OrderPlaced": "placed"},
    "placed": {"PaymentReceived": "paid", "Cancelled": "cancelled"},
    "paid": {"Shipped": "shipped"},
}
TERMINAL = ("shipped", "cancelled")


def order_key(order_id):
    return "order:" + order_id


def order_id(key):
    return key[len("order:"):] if key.startswith("order:") else key


def new_order():
    # applied: the "stream:offset" of every event applied, in order; it is
    # what the test compares with the log (no event twice, none skipped).
    return {"status": None, "amount": None, "applied": [], "anomalies": 0}


def apply(order, ev):
    """Fold one event into an order's state (a dict, changed in place)."""
    nxt = TRANSITIONS.get(order["status"], {}).get(ev.type)
    if nxt is None:
        order["anomalies"] += 1          # an event this state cannot take
    else:
        order["status"] = nxt
    if ev.type == "OrderPlaced":
        order["amount"] = ev.payload.get("amount")
    order["applied"].append("%s:%d" % (ev.stream, ev.offset))
    return order


def fold(events):
    """Order states from a sequence of events (log order)."""
    orders = {}
    for ev in events:
        if ev.key.startswith("order:"):
            apply(orders.setdefault(order_id(ev.key), new_order()), ev)
    return orders


def connect(args):
    import redis
    return redis.Redis(host=args.host, port=args.port, password=os.environ.get("SWARMLOG_PASSWORD"))


def add_connection_args(parser):
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("SWARMLOG_PORT", "6379")))


def publish_retrying(r, *args, attempts=20, **kwargs):
    """swarmlog.publish, retried on connection errors: safe because every
    publish in this workflow carries an event id (a repeat stores nothing)."""
    import time
    import redis
    for i in range(attempts):
        try:
            return swarmlog.publish(r, *args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError):
            if i == attempts - 1:
                raise
            time.sleep(min(0.05 * 2 ** i, 1.0))
