#!/usr/bin/python3
"""Folds the order events into current order states, exactly once.

The states and the offset map live in one sqlite3 database and change in
one transaction per batch: the events' effects and the cursor past them
commit together or not at all. Killed at any point (even mid-commit), the
projection restarts from the last committed map with the state that goes
with it: nothing applied twice, nothing skipped.

    projection.py --port 7000 --db orders.sqlite [--mode read|subscribe|query] [--until-caught-up]

Modes: read (EV.READ BLOCK loop, the default), subscribe (EV.SUBSCRIBE),
query (EV.QUERY pages, then polls). --until-caught-up exits once the
projection has everything stored when it checks (after a read, a page or
the subscription's caught-up message that returned no more).
"""
import argparse
import json
import signal
import sqlite3
import sys
import time

import orders
import swarmlog

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id TEXT PRIMARY KEY, status TEXT, amount TEXT, applied TEXT NOT NULL, anomalies INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS cursor (one INTEGER PRIMARY KEY CHECK (one = 0), offsets TEXT NOT NULL);
"""


def open_db(path):
    db = sqlite3.connect(path, isolation_level=None, timeout=30)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(SCHEMA)
    return db


def load_cursor(db):
    row = db.execute("SELECT offsets FROM cursor WHERE one = 0").fetchone()
    return swarmlog.OffsetMap.parse(row[0]) if row else swarmlog.OffsetMap()


def load_orders(db):
    return {oid: {"status": status, "amount": amount, "applied": json.loads(applied), "anomalies": anomalies}
            for oid, status, amount, applied, anomalies in
            db.execute("SELECT id, status, amount, applied, anomalies FROM orders")}


def commit_batch(db, events, offsets, work_ms=0.0):
    """Apply the events and store the new cursor in one transaction."""
    db.execute("BEGIN IMMEDIATE")
    try:
        for ev in events:
            if work_ms:
                time.sleep(work_ms / 1000.0)  # stands for real work per event
            oid = orders.order_id(ev.key)
            row = db.execute("SELECT status, amount, applied, anomalies FROM orders WHERE id = ?", (oid,)).fetchone()
            order = orders.new_order() if row is None else \
                {"status": row[0], "amount": row[1], "applied": json.loads(row[2]), "anomalies": row[3]}
            orders.apply(order, ev)
            db.execute("INSERT OR REPLACE INTO orders (id, status, amount, applied, anomalies) VALUES (?, ?, ?, ?, ?)",
                       (oid, order["status"], order["amount"], json.dumps(order["applied"]), order["anomalies"]))
        db.execute("INSERT OR REPLACE INTO cursor (one, offsets) VALUES (0, ?)", (offsets.to_json(),))
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def batches(r, mode, cursor):
    if mode == "read":
        return swarmlog.read_loop(r, cursor, where=orders.TAG, count=200, block_ms=300)
    if mode == "subscribe":
        return swarmlog.subscribe(r, cursor, where=orders.TAG, max_batch=200, idle_timeout=0.3)

    def poll():
        cur = cursor
        while True:
            for batch in swarmlog.pages(r, cur, where=orders.TAG, count=200):
                cur = batch.offsets
                yield batch
            time.sleep(0.2)
    return poll()


class Stop(Exception):
    pass


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    orders.add_connection_args(ap)
    ap.add_argument("--db", required=True, help="sqlite3 database: order states and the offset map")
    ap.add_argument("--mode", choices=("read", "subscribe", "query"), default="read")
    ap.add_argument("--until-caught-up", action="store_true", help="exit once everything stored is applied")
    ap.add_argument("--work-ms", type=float, default=0.0, help="simulated work per event (ms)")
    args = ap.parse_args()

    def stop(signum, frame):
        raise Stop()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    db = open_db(args.db)
    cursor = load_cursor(db)
    r = orders.connect(args)
    applied = 0
    loop = batches(r, args.mode, cursor)
    try:
        for batch in loop:
            if batch.events or batch.offsets != cursor:
                commit_batch(db, batch.events, batch.offsets, args.work_ms)
                cursor = batch.offsets
                applied += len(batch.events)
            if args.until_caught_up and batch.caught_up and not batch.events:
                break
    except Stop:
        pass
    finally:
        loop.close()
        db.close()
    print("projection: applied %d events, at %s" % (applied, cursor))
    return 0


if __name__ == "__main__":
    sys.exit(main())
