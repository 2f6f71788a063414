#!/usr/bin/env python3
"""bench/report.py RESULTS.json: turns the JSON result lines of one compare.sh run into the
markdown table (RESULTS.md, also printed) and the plot (RESULTS.png, gnuplot): throughput and p99
latency per scenario, Octopus beside NATS, and the issue-4 targets as ratios measured in this run.
It only reads and formats; every figure comes from the result lines, none is typed in here."""
import json
import os
import subprocess
import sys


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip().startswith("{")]


def find(rows, **want):
    for r in rows:
        if all(r.get(k) == v for k, v in want.items()):
            return r
    return None


def k(x):
    return "-" if x is None else f"{x / 1000:.1f}k"


def ms(us):
    return "-" if us is None else f"{us / 1000:.2f}"


def ratio(a, b):
    return None if not a or not b else a / b


def fmt_ratio(x):
    return "-" if x is None else f"{x:.2f}x"


def client(r):
    """The load generator's CPU, flagged when it kept a core busy (its limit, not the server's)."""
    if r.get("client_cpu_s") is None:
        return "-"
    flag = " **saturated**" if r.get("client_saturated") else ""
    return f"{r.get('client_cpu_s'):.2f} ({r.get('client_busy', 0) * 100:.0f}%){flag}"


def ingest_table(rows):
    out = ["### ingest (window 64; acked snapshots/s; ack latency ms)", "",
           "| crabs | target | acked/s | p50 | p99 | p99.9 | server CPU s | client CPU s | peak RSS MiB | ok |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r.get("scenario") != "ingest" or r.get("idle_subscribers"):
            continue
        name = "nats JetStream" if r.get("target") == "nats" else f"octopus {r.get('fsync')}"
        out.append(f"| {r.get('crabs')} | {name} | {k(r.get('acked_per_s'))} | "
                   f"{ms(r.get('latency_p50_us'))} | {ms(r.get('latency_p99_us'))} | "
                   f"{ms(r.get('latency_p999_us'))} | {r.get('hub_cpu_s') or 0:.2f} | "
                   f"{client(r)} | {(r.get('hub_peak_rss_kib') or 0) / 1024:.1f} | {r.get('ok')} |")
    return out


def fanout_table(rows):
    out = ["### fanout (10 crabs at a fixed total rate; push -> deliver latency ms)", "",
           "| subscribers | rate/s | target | delivered/s | p50 | p99 | p99.9 | drops | server CPU s | client CPU s | ok |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r.get("scenario") != "fanout":
            continue
        out.append(f"| {r.get('subscribers')} | {r.get('rate')} | {r.get('target')} | "
                   f"{k(r.get('delivered_per_s'))} | {ms(r.get('latency_p50_us'))} | "
                   f"{ms(r.get('latency_p99_us'))} | {ms(r.get('latency_p999_us'))} | "
                   f"{r.get('drops')} | {r.get('server_cpu_s') or 0:.2f} | {client(r)} | {r.get('ok')} |")
    return out


def other_lines(rows):
    out = []
    c = find(rows, scenario="connections")
    if c:
        out.append(f"- connections: {c.get('crabs')} crabs + {c.get('subscribers')} subscribers "
                   f"accepted in {c.get('accept_s') or 0:.2f} s; hub RSS growth "
                   f"{(c.get('rss_per_connection_bytes') or 0) / 1024:.1f} KiB per connection; "
                   f"burst {c.get('burst_acked')} acked, {c.get('burst_delivered')}/"
                   f"{c.get('burst_expected')} delivered; ok {c.get('ok')}")
    p = find(rows, scenario="replay")
    if p:
        out.append(f"- replay: {p.get('replayed')} of {p.get('snapshots')} stored snapshots at "
                   f"{k(p.get('replayed_per_s'))} events/s, first event after "
                   f"{p.get('first_event_ms') or 0:.1f} ms; ok {p.get('ok')}")
    return out


def targets(rows):
    def ingest(target, crabs, fsync=None, idle=None):
        for r in rows:
            if (r.get("scenario") == "ingest" and r.get("target") == target and
                    r.get("crabs") == crabs and (fsync is None or r.get("fsync") == fsync) and
                    bool(r.get("idle_subscribers")) == bool(idle)):
                return r.get("acked_per_s")
        return None

    def fan(target, subs, rate, key):
        r = find(rows, scenario="fanout", target=target, subscribers=subs, rate=rate)
        return r.get(key) if r else None

    top_rate = max([r.get("rate", 0) for r in rows if r.get("scenario") == "fanout"] or [0])
    c = find(rows, scenario="connections") or {}
    p = find(rows, scenario="replay") or {}
    lines = [
        ("ingest 100 crabs, always, vs JetStream", ratio(ingest("octopus", 100, "always"),
                                                         ingest("nats", 100)), ">= 1.5x"),
        ("ingest 100 crabs, interval, vs JetStream", ratio(ingest("octopus", 100, "interval"),
                                                           ingest("nats", 100)), ">= 2x"),
        (f"fanout 10 subscribers at {top_rate}/s, delivered/s vs NATS core",
         ratio(fan("octopus", 10, top_rate, "delivered_per_s"),
               fan("nats", 10, top_rate, "delivered_per_s")), ">= 1.0x"),
        ("fanout 1 subscriber at 10k/s, p99 vs NATS core (lower is better)",
         ratio(fan("octopus", 1, 10000, "latency_p99_us"), fan("nats", 1, 10000, "latency_p99_us")),
         "<= 1.0x"),
        ("fanout 10 subscribers at 10k/s, p99 vs NATS core (lower is better)",
         ratio(fan("octopus", 10, 10000, "latency_p99_us"),
               fan("nats", 10, 10000, "latency_p99_us")), "<= 1.0x"),
        ("ingest 10 crabs with one never-reading subscriber vs without",
         ratio(ingest("octopus", 10, "always", idle=True), ingest("octopus", 10, "always")),
         ">= 0.95x"),
    ]
    out = ["### targets (ratios from this run)", "", "| target | measured | wanted |",
           "|---|---|---|"]
    out += [f"| {name} | {fmt_ratio(v)} | {want} |" for name, v, want in lines]
    out.append(f"| connections: RSS growth per connection | "
               f"{(c.get('rss_per_connection_bytes') or 0) / 1024:.1f} KiB | <= 16 KiB |")
    out.append(f"| replay of stored snapshots to one subscriber | "
               f"{k(p.get('replayed_per_s'))}/s | >= 1M/s |")
    return out


def plot(rows, png):
    bars = []
    for r in rows:
        s, t = r.get("scenario"), r.get("target")
        if s == "ingest" and r.get("crabs") in (10, 100) and not r.get("idle_subscribers"):
            label = f"ingest {r['crabs']}c " + ("JS" if t == "nats" else r.get("fsync", ""))
            bars.append((label, t, r.get("acked_per_s") or 0, r.get("latency_p99_us") or 0))
        if s == "fanout" and r.get("subscribers") in (1, 10):
            label = f"fanout {r['subscribers']}s {r.get('rate', 0) // 1000}k/s"
            bars.append((label, t, r.get("delivered_per_s") or 0, r.get("latency_p99_us") or 0))
    if not bars:
        return
    data = png[:-4] + ".dat"
    with open(data, "w") as f:
        for i, (label, target, rate, p99) in enumerate(bars):
            f.write(f'{i} "{label}" {1 if target == "nats" else 0} {rate} {p99 / 1000}\n')
    script = f"""
set terminal pngcairo size 1400,560 font ",9"
set output "{png}"
set multiplot layout 1,2 title "octopus-bench compare: Octopus (blue) and NATS (orange), one run"
set style fill solid 0.8
set boxwidth 0.8
set xtics rotate by -40 left
set rmargin 10
set grid ytics
set logscale y
set ylabel "events/s (acked or delivered)"
plot "{data}" using 1:4:($3 > 0 ? 0xE69F00 : 0x0072B2):xtic(2) with boxes lc rgb variable notitle
set ylabel "p99 latency, ms"
plot "{data}" using 1:5:($3 > 0 ? 0xE69F00 : 0x0072B2):xtic(2) with boxes lc rgb variable notitle
unset multiplot
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    os.remove(data)


def main():
    path = sys.argv[1]
    rows = load(path)
    first = rows[0] if rows else {}
    lines = [f"## octopus-bench compare, {os.path.basename(path)[:-5]}", "",
             f"Machine: {first.get('nproc')} cpus, {first.get('cpu_model')}; load client, hub and "
             "nats-server on the same cores, loopback.",
             f"Commit: {first.get('commit', 'unknown')}. Client CPU is the load generator's "
             "(user+sys, % of one core over the run); **saturated** marks a run whose client "
             "kept a core busy, so its figure may be the client's limit.", ""]
    lines += targets(rows) + [""] + ingest_table(rows) + [""] + fanout_table(rows) + [""]
    lines += other_lines(rows)
    text = "\n".join(lines) + "\n"
    with open(path[:-5] + ".md", "w") as f:
        f.write(text)
    print(text)
    plot(rows, path[:-5] + ".png")


if __name__ == "__main__":
    main()
