#!/usr/bin/python3
"""The table of bench/run (see there); standard library only.

  results.py --kv FILE --meta FILE --logs DIR --steps "NAME ..." --md OUT.md --png OUT.png --plot-dir DIR

FILE (--kv) holds the key=value lines the bench/ scripts wrote (BENCH_KV), --meta
the machine and versions (key=value). Prints the table (markdown) on stdout,
writes OUT.md (header, table, notes, each step's own output from DIR/NAME) and
OUT.png (gnuplot: the ratios swarmlog/redis with their targets, and the
absolute targets as margins), using --plot-dir for gnuplot's data and script.
"""
import argparse
import os
import subprocess
import sys

SERVERS = ["redis-mem", "redis-aof", "swarm-strict", "swarm-relaxed"]
HEAD = ["workload", "metric", "redis in memory", "redis appendfsync always", "swarmlog strict",
        "swarmlog relaxed", "strict / always", "relaxed / in memory", "target"]
MIB = 1048576


def load_kv(path):
    d = {}
    with open(path) as f:
        for line in f:
            k, sep, v = line.rstrip("\n").partition("=")
            if sep:
                d[k] = v
    return d


class Results:
    def __init__(self, kv):
        self.kv = kv
        self.rows = []      # table rows: lists of cells
        self.chart = []     # (label, strict ratio, relaxed ratio, strict target, relaxed target)
        self.margins = []   # (label, strict margin, relaxed margin): value vs target, >= 1 = met
        self.verdicts = []  # (what, met)

    def num(self, key):
        v = self.kv.get(key)
        try:
            return float(v)
        except (TypeError, ValueError):
            return None

    def add(self, workload, metric, vals, fmt, target="", met=None, ratios=True, cells=None):
        """One row: vals maps server -> number (or None); fmt formats a number;
        cells overrides the formatted cell of a server; ratios: strict/aof and
        relaxed/mem from vals. met: None (no target), True, False or a string
        saying what missed."""
        row = [workload, metric]
        for s in SERVERS:
            if cells and s in cells:
                row.append(cells[s])
            else:
                row.append(fmt(vals[s]) if vals.get(s) is not None else "—")
        r = self.ratios(vals) if ratios else (None, None)
        row += [f"{x:.2f}" if x is not None else "—" for x in r]
        if target:
            verdict = "met" if met is True else "MISSED" + ("" if met is False else f" ({met})")
            row.append(f"{target}: **{verdict}**" if verdict != "met" else f"{target}: met")
            self.verdicts.append((f"{workload}, {metric}", met is True))
        else:
            row.append("")
        self.rows.append(row)
        return r

    @staticmethod
    def ratios(vals):
        def div(a, b):
            return vals[a] / vals[b] if vals.get(a) is not None and vals.get(b) else None
        return div("swarm-strict", "redis-aof"), div("swarm-relaxed", "redis-mem")


def rate(x):
    return f"{x:,.0f}/s"


def ms(x):
    return f"{x:.3f} ms"


def count(x):
    """1000000 -> 1M, 10000 -> 10k"""
    x = int(x or 0)
    if x and x % 1000000 == 0:
        return f"{x // 1000000}M"
    if x and x % 1000 == 0:
        return f"{x // 1000}k"
    return f"{x:,}"


def mb(kb):
    return f"{kb / 1024:.1f} MB"


def ok_all(parts):
    """parts: [(name, met)] -> True or the names that missed"""
    missed = [n for n, m in parts if not m]
    return True if not missed else ", ".join(missed)


def build(res):
    n = res.num
    ge = lambda x, t: x is not None and x >= t

    # PING
    for t in ("PING_MBULK", "PING_INLINE"):
        vals = {s: n(f"ping.{s}.{t}") for s in SERVERS}
        rs, rr = res.ratios(vals)
        met = ok_all([("strict", ge(rs, 1.0)), ("relaxed", ge(rr, 1.0))])
        res.add("PING c50 P16", f"{t} req/s", vals, rate, "≥ 1.0× (both)", met)
        res.chart.append((t.replace("_", " "), rs, rr, 1.0, 1.0))

    # XADD
    for label, name in (("c50P16", "c50 P16"), ("c50P1", "c50 P1"), ("c1P1", "c1 P1")):
        vals = {s: n(f"xadd.{s}.{label}.rps") for s in SERVERS}
        rs, rr = res.ratios(vals)
        if label == "c50P16":
            target, met = "strict ≥ 1.0×, relaxed ≥ 0.8×", ok_all([("strict", ge(rs, 1.0)), ("relaxed", ge(rr, 0.8))])
            tr = 0.8
        else:
            target, met, tr = "strict ≥ 1.0×", ge(rs, 1.0), None
        res.add(f"XADD {name}", "req/s", vals, rate, target, met)
        res.chart.append((f"XADD {name}", rs, rr, 1.0, tr))
        if label == "c1P1":
            for q in ("p50", "p99"):
                res.add(f"XADD {name}", f"{q} latency (lower is better)",
                        {s: n(f"xadd.{s}.{label}.{q}_ms") for s in SERVERS}, ms)
    # EV.ADD: swarmlog's own, against XADD of the same payload on redis
    for label, name in (("c50P16", "c50 P16"), ("c50P1", "c50 P1"), ("c1P1", "c1 P1")):
        vals = {"redis-mem": n(f"xadd.redis-mem.{label}.rps"), "redis-aof": n(f"xadd.redis-aof.{label}.rps"),
                "swarm-strict": n(f"xadd.swarm-strict.ev{label}.rps"),
                "swarm-relaxed": n(f"xadd.swarm-relaxed.ev{label}.rps")}
        rs, rr = res.add(f"EV.ADD 3 tags {name}", "req/s (redis: XADD, same payload)", vals, rate)
        res.chart.append((f"EV.ADD/XADD {name}", rs, rr, None, None))

    # XRANGE
    entries = n("footprint.entries") or 0
    for p in ("1", "16"):
        vals = {s: n(f"xrange.{s}.big.{p}.rps") for s in SERVERS}
        rs, rr = res.ratios(vals)
        res.add(f"XRANGE COUNT 100, {count(entries)} key, c50 P{p}", "req/s", vals, rate,
                "relaxed ≥ 1.0× in memory", ge(rr, 1.0))
        res.chart.append((f"XRANGE P{p}", rs, rr, None, 1.0))

    # XREAD BLOCK fan-out
    vals = {s: n(f"fanout.{s}.deliveries_s") for s in SERVERS}
    rs, rr = res.add("XREAD BLOCK, 100 readers", "deliveries/s", vals, rate)
    res.chart.append(("XREAD fan-out", rs, rr, None, None))
    res.add("XREAD BLOCK, 100 readers", "wake p99 (lower is better)",
            {s: n(f"fanout.{s}.p99_ms") for s in SERVERS}, ms)

    # XREADGROUP + XACK
    for mode, how in (("seq", "sequential"), ("pipe", "pipelined")):
        if n(f"xreadgroup.redis-mem.{mode}.entries_s") is None:
            continue
        vals = {s: n(f"xreadgroup.{s}.{mode}.entries_s") for s in SERVERS}
        rs, rr = res.add(f"XREADGROUP+XACK, 10 consumers, {how}", "entries/s", vals, rate)
        res.chart.append((f"XREADGROUP {mode}", rs, rr, None, None))
        res.add(f"XREADGROUP+XACK, 10 consumers, {how}", "cycle p99 (lower is better)",
                {s: n(f"xreadgroup.{s}.{mode}.p99_ms") for s in SERVERS}, ms)

    # EV.QUERY (swarmlog only; the servers are relaxed)
    ev, small = n("evquery.events") or 0, n("evquery.small_events") or 0
    us, p50 = n("evquery.q1.big.usec"), n("evquery.q1.big.p50_ms")
    if us is not None:
        res.add(f"EV.QUERY 0.1% tag COUNT 100, {count(ev)} log",
                "server µs/call (round trip p50)", {}, str, ratios=False,
                cells={"swarm-relaxed": f"{us:.1f} µs ({p50:.3f} ms)"})
        b, s_ = n("evquery.q1eq.big.usec"), n("evquery.q1eq.small.usec")
        k = n("evquery.q1eq.big.answer") or 0
        res.add(f"EV.QUERY 0.1% tag, {count(ev)} vs {count(small)} log",
                f"server time, same {k:.0f} events: ratio", {}, str, ratios=False,
                cells={"swarm-relaxed": f"{b / s_:.2f}× ({b:.1f} vs {s_:.1f} µs)"})

    # replication (swarmlog only)
    rev = n("replication.events") or 0
    vals = {m: n(f"replication.{m.split('-')[1]}.events_s") for m in ("swarm-strict", "swarm-relaxed")}
    res.add(f"replication catch-up, {count(rev)} events", "events/s", vals, rate,
            "≥ 300,000/s", ok_all([(m.split("-")[1], ge(v, 300000)) for m, v in vals.items()]), ratios=False)
    res.margins.append(("catch-up ≥ 300k/s", *[v / 300000 if v else None for v in vals.values()]))
    rt = n("replication.rate") or 0
    for q in ("p50", "p99"):
        vals = {m: n(f"replication.{m.split('-')[1]}.b_{q}_ms") for m in ("swarm-strict", "swarm-relaxed")}
        if q == "p99":
            met = ok_all([(m.split("-")[1], v is not None and v < 5) for m, v in vals.items()])
            res.add(f"live replication, {count(rt)} events/s", "publish → peer's subscriber p99", vals, ms,
                    "< 5 ms", met, ratios=False)
            res.margins.append(("live p99 < 5 ms", *[5 / v if v else None for v in vals.values()]))
        else:
            res.add(f"live replication, {count(rt)} events/s", "publish → peer's subscriber p50", vals, ms,
                    ratios=False)

    # memory
    def rss(s, when):
        return n(f"footprint.{s}.{when}.VmRSS")
    idle = {s: rss(s, "idle") for s in SERVERS}
    cells = {s: f"{mb(idle[s])} ({mb(n(f'footprint.{s}.idle.RssAnon'))})" for s in SERVERS if idle[s]}
    met = ok_all([(s.split("-")[1], v is not None and v <= 4096) for s, v in idle.items() if s.startswith("swarm")])
    res.add("memory, idle", "VmRSS (RssAnon)", idle, mb, "swarmlog ≤ 4 MB", met, cells=cells)
    res.margins.append(("RSS idle ≤ 4 MB", *[4096 / idle[s] if idle[s] else None for s in ("swarm-strict", "swarm-relaxed")]))
    loaded = {s: rss(s, "loaded") for s in SERVERS}
    cells = {}
    for s in SERVERS:
        if loaded[s]:
            a, m = n(f"footprint.{s}.loaded.RssAnon"), n(f"footprint.{s}.loaded.MapRss")
            cells[s] = f"{mb(loaded[s])} ({mb(a)}" + (f", {mb(m)})" if s.startswith("swarm") else ")")
    res.add(f"memory after {count(entries)} XADDs", "VmRSS (RssAnon, LMDB map)",
            loaded, mb, cells=cells)

    # disk per event
    aof = n("footprint.redis-aof.disk")
    per = {s: (n(f"footprint.{s}.disk") or 0) / entries if entries else None for s in SERVERS}
    per["redis-mem"] = None
    cells = {"redis-mem": "— (no file)", "redis-aof": f"{per['redis-aof']:.1f} B (AOF)" if aof else "—"}
    for s in ("swarm-strict", "swarm-relaxed"):
        if per[s]:
            cells[s] = f"{per[s]:.1f} B (data.mdb)"
    rs = per["swarm-strict"] / per["redis-aof"] if per["swarm-strict"] and per["redis-aof"] else None
    row = res.add(f"disk after {count(entries)} XADDs", "bytes per entry", per, str,
                  "strict ≤ 1.5× AOF", ge(1.5, rs) if rs is not None else False, ratios=False, cells=cells)
    res.rows[-1][6] = f"{rs:.2f}" if rs is not None else "—"
    rr = per["swarm-relaxed"] / per["redis-aof"] if per["swarm-relaxed"] and per["redis-aof"] else None
    res.margins.append(("disk/entry ≤ 1.5× AOF", 1.5 / rs if rs else None, 1.5 / rr if rr else None))

    # binary
    sw, rd = n("binary.swarm.stripped"), n("binary.redis.stripped")
    kb = lambda b: f"{b / 1024:,.0f} KiB"
    vals = {"redis-mem": rd, "redis-aof": rd, "swarm-strict": sw, "swarm-relaxed": sw}
    res.add("server binary, stripped", "size (shared libs aside)", vals, kb, "swarmlog ≤ 1 MiB",
            ge(MIB, sw) if sw else False)
    res.margins.append(("binary ≤ 1 MiB", MIB / sw if sw else None, MIB / sw if sw else None))


def markdown(rows):
    width = [max(len(r[i]) for r in [HEAD] + rows) for i in range(len(HEAD))]
    line = lambda r: "| " + " | ".join(c.ljust(w) for c, w in zip(r, width)) + " |"
    sep = "|" + "|".join("-" * (w + 2) if i < 2 or i == len(width) - 1 else "-" * (w + 1) + ":"
                         for i, w in enumerate(width)) + "|"
    return "\n".join([line(HEAD), sep] + [line(r) for r in rows])


def plot(res, png, tmpdir):
    """results.png: ratios (with target marks) and margins against the absolute targets"""
    def val(x):
        return "NaN" if x is None else f"{x:.4f}"
    with open(os.path.join(tmpdir, "ratios.dat"), "w") as f:
        for i, (label, rs, rr, ts, tr) in enumerate(res.chart):
            f.write(f'{i} "{label}" {val(rs)} {val(rr)} {val(ts)} {val(tr)}\n')
    with open(os.path.join(tmpdir, "margins.dat"), "w") as f:
        for i, (label, ms_, mr) in enumerate(res.margins):
            f.write(f'{i} "{label}" {val(ms_)} {val(mr)}\n')
    def tics(items):
        return ", ".join(f'"{label}" {i}' for i, (label, *_rest) in enumerate(items))
    gp = f"""
set terminal pngcairo size 1400,1000 font "sans,10"
set output "{png}"
set multiplot layout 2,1 title "swarmlog vs redis-server on this machine (bench/run)"
set style fill solid 0.8 border -1
set grid ytics
set key top left
set boxwidth 0.38
set offsets 0, 0, graph 0.12, 0
set yrange [0:*]
set xrange [-0.6:{len(res.chart) - 0.4}]
set xtics ({tics(res.chart)}) rotate by 25 right nomirror
set ylabel "swarmlog / redis (higher is better)"
set title "throughput ratio: strict / redis appendfsync always, relaxed / redis in memory; black marks = target"
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "gray40"
plot "{tmpdir}/ratios.dat" using ($1 - 0.2):3 with boxes lc rgb "#c0504d" title "strict / appendfsync always", \\
     "" using ($1 + 0.2):4 with boxes lc rgb "#4f81bd" title "relaxed / in memory", \\
     "" using ($1 - 0.2):5:(0.19) with xerrorbars pt -1 lw 3 lc rgb "black" notitle, \\
     "" using ($1 + 0.2):6:(0.19) with xerrorbars pt -1 lw 3 lc rgb "black" notitle, \\
     "" using ($1 - 0.2):3:(sprintf("%.2f", $3)) with labels offset 0, 0.6 font ",8" notitle, \\
     "" using ($1 + 0.2):4:(sprintf("%.2f", $4)) with labels offset 0, 0.6 font ",8" notitle
unset arrow 1
set xrange [-0.6:{len(res.margins) - 0.4}]
set xtics ({tics(res.margins)}) norotate center
set ylabel "margin (≥ 1 = target met)"
set title "absolute targets: value / target (≥ targets) or target / value (≤ and < targets)"
set arrow 2 from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb "black"
plot "{tmpdir}/margins.dat" using ($1 - 0.2):3 with boxes lc rgb "#c0504d" title "swarmlog strict", \\
     "" using ($1 + 0.2):4 with boxes lc rgb "#4f81bd" title "swarmlog relaxed", \\
     "" using ($1 - 0.2):3:(sprintf("%.2f", $3)) with labels offset 0, 0.6 font ",8" notitle, \\
     "" using ($1 + 0.2):4:(sprintf("%.2f", $4)) with labels offset 0, 0.6 font ",8" notitle
unset multiplot
"""
    script = os.path.join(tmpdir, "results.gp")
    with open(script, "w") as f:
        f.write(gp)
    subprocess.run(["gnuplot", script], check=True)


def main():
    ap = argparse.ArgumentParser()
    for a in ("kv", "meta", "logs", "steps", "md", "png", "plot-dir"):
        ap.add_argument("--" + a, required=True)
    args = ap.parse_args()
    kv, meta = load_kv(args.kv), load_kv(args.meta)
    res = Results(kv)
    build(res)
    table = markdown(res.rows)
    print(table)
    missed = [w for w, m in res.verdicts if not m]
    print(f"\ntargets met: {len(res.verdicts) - len(missed)} of {len(res.verdicts)}")
    plot(res, args.png, args.plot_dir)

    steps = args.steps.split()
    secs = ", ".join(f"{s} {kv.get(f'step.{s}.seconds', '?')} s" for s in steps)
    md = [f"# swarmlog benchmarks ({meta.get('mode', '?')})", "",
          f"Made by `bench/run` on {meta.get('date', '?')} in {meta.get('seconds', '?')} s ({secs}).", "",
          "| machine | |", "|---|---|"]
    for k, label in (("cpu", "CPU"), ("cores", "cores"), ("ram", "RAM"), ("kernel", "kernel"), ("disk", "disk")):
        md.append(f"| {label} | {meta.get(k, '?')} |")
    md += ["", "| software | version |", "|---|---|"]
    for k, label in (("redis", "redis-server"), ("swarmlog", "swarmlog (git)"), ("compiler", "compiler"),
                     ("lmdb", "LMDB"), ("libevent", "libevent"), ("hiredis", "hiredis"), ("gnuplot", "gnuplot")):
        md.append(f"| {label} | {meta.get(k, '?')} |")
    md += ["", "## Results", "", table, "",
           f"Targets met: {len(res.verdicts) - len(missed)} of {len(res.verdicts)}."
           + (" Missed: " + "; ".join(missed) + "." if missed else ""), "",
           "![ratios and targets](" + os.path.basename(args.png) + ")", "", NOTES, "",
           "## Each script's own output", ""]
    for s in steps:
        path = os.path.join(args.logs, s)
        with open(path) as f:
            text = f.read().rstrip()
        md += [f"### {s}", "", "```", text, "```", ""]
    with open(args.md, "w") as f:
        f.write("\n".join(md))


NOTES = """How to read it:
- Each row is one script of `bench/` run by `bench/run` (its own output is below). Every
  server ran on 127.0.0.1 with a fresh temp directory, the benchmark client on the same 2
  cores: compare ratios from the same run, not absolute numbers across machines or runs.
  Throughput figures are medians over alternating rounds where the script runs rounds.
- Ratios are swarmlog / redis for the two pairs that mean the same thing: swarmlog
  `durability strict` / redis `appendonly yes appendfsync always` (both fsync before
  answering), swarmlog `durability relaxed` / redis in memory (`--save '' --appendonly no`).
  For latency rows a ratio below 1 is better.
- EV.ADD has no redis counterpart: its redis columns are XADD of the same payload (`f v`) in
  the same run, as the reference for what appending the same bytes costs there.
- EV.QUERY and replication are swarmlog's own: no redis figures. EV.QUERY ran on swarmlog
  relaxed (the read path does not depend on durability).
- Memory: VmRSS from /proc/<pid>/status, idle = started, nothing stored; after = after the
  XRANGE workload's entries were loaded (pipelined XADDs). RssFile includes the mapped binary
  and libraries; "LMDB map" is the data.mdb mapping's resident pages (from smaps): clean file
  pages shared with the page cache, which the kernel can drop, unlike RssAnon.
- Disk: apparent size of swarmlog's data.mdb against redis's appendonlydir after the same
  XADDs (the redis server used for this ran with `auto-aof-rewrite-percentage 0`, so its AOF
  is the log of every write, not a compacted rewrite).
- Binary: `strip` of the server executable; redis-server is Debian's (jemalloc and Lua
  linked in), shared libraries aside for both."""


if __name__ == "__main__":
    sys.exit(main())
