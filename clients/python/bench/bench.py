"""Throughput of the Python client on this machine, beside the C++ load client in the same run.

    /usr/bin/python3 clients/python/bench/bench.py [--seconds 5] [--snapshots 100000]

Each scenario starts its own hub (build/bin/octopus, 127.0.0.1:0, a temp data dir, fsync
always, no local crab) and stops it after:

  crab        one Python Crab pushing pipelined (push_nowait, the queue kept full) for
              --seconds: acked snapshots/s, with the default window and batch and with
              octopus-crab's shape (window 64, one snapshot per frame);
  subscriber  --snapshots stored, then one Python Subscriber replays them from hub_seq 0
              (the hub sends `snapshots` batch frames of up to 64) and decodes every event
              with its exact bytes: events/s;
  c++         build/bin/octopus-bench ingest --crabs 1 --window 64 and replay --snapshots N
              with --json, the C++ load client on the same machine in the same run.

The snapshot is the C++ benchmark's (bench/payload.cpp): timestamp, cpu, memory, disk,
net_rx, net_tx, sent_ns. Client CPU (user+sys of this process) is printed beside each figure:
a Python client at ~100% of a core is the client's limit, not the hub's.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
REPO = HERE.parent.parent.parent

from octopus_client import Crab, Snapshot, Subscriber, SyncHubApi  # noqa: E402


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Hub:
    def __init__(self, binary: Path):
        self.dir = tempfile.TemporaryDirectory(prefix="octopus-pybench-")
        self.proc = subprocess.Popen(
            [str(binary), "serve", "--listen", "127.0.0.1:0", "--data", self.dir.name + "/data",
             "--no-local-crab"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in self.proc.stdout:
            m = re.search(r"octopus listening on [^ ]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        else:
            raise SystemExit("the hub did not start")
        # Keep reading its log so the pipe never fills and stalls the hub.
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self.dir.cleanup()


def payload(i: int) -> dict:
    x = i % 1000
    return {"cpu": round(x / 10.0, 2), "memory": round(40.0 + x / 50.0, 2), "disk": 61.25,
            "net_rx": 125000.0 + x, "net_tx": 64000.0 + x, "sent_ns": time.monotonic_ns()}


async def crab_run(url: str, seconds: float, **options) -> dict:
    async with Crab(url, "pybench", queue_size=100000, **options) as crab:
        await crab.wait_connected(10)
        high = 2 * crab.window
        i = 0
        cpu0, t0 = cpu_seconds(), time.monotonic()
        end = t0 + seconds
        while time.monotonic() < end:
            while crab.queued < high:
                i += 1
                crab.push_nowait(payload(i))
            await crab.wait_acked(crab.acked + crab.window // 4, timeout=30)
        acked, t1, cpu1 = crab.acked, time.monotonic(), cpu_seconds()
        await crab.flush(30)
    return {"acked": acked, "seconds": t1 - t0, "acked_per_s": acked / (t1 - t0),
            "client_cpu_s": cpu1 - cpu0}


async def replay_run(url: str, n: int) -> dict:
    api = SyncHubApi(url)
    batch = 1000
    for start in range(0, n, batch):
        api.push_many("pyfill", [(payload(i), None, None, i + 1)
                                 for i in range(start, min(start + batch, n))])
    got = 0
    last = 0
    async with Subscriber(url, crabs=["pyfill"], start=0) as sub:
        cpu0, t0 = cpu_seconds(), time.monotonic()
        async for ev in sub:
            if isinstance(ev, Snapshot):
                assert ev.hub_seq > last and ev.raw
                last = ev.hub_seq
                got += 1
                if got == n:
                    break
        t1, cpu1 = time.monotonic(), cpu_seconds()
    return {"events": got, "seconds": t1 - t0, "events_per_s": got / (t1 - t0),
            "client_cpu_s": cpu1 - cpu0}


def cpp_bench(binary: Path, args) -> dict:
    out = {}
    for name, argv in (("ingest", ["ingest", "--crabs", "1", "--window", "64", "--seconds",
                                   str(int(args.seconds))]),
                       ("replay", ["replay", "--snapshots", str(args.snapshots), "--crabs", "1"])):
        r = subprocess.run([str(binary)] + argv + ["--json"], capture_output=True, text=True,
                           timeout=600)
        line = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
        out[name] = json.loads(line[-1]) if line else {"error": r.stdout[-500:] + r.stderr[-500:]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--snapshots", type=int, default=100000)
    ap.add_argument("--bin", type=Path, default=REPO / "build" / "bin")
    ap.add_argument("--no-cpp", action="store_true", help="skip the C++ octopus-bench runs")
    args = ap.parse_args()
    results = {"machine": f"{os.cpu_count()} cpus", "python": sys.version.split()[0]}

    for label, options in (("crab (window 1000, batch 250)", {}),
                           ("crab (window 64, one per frame)", {"window": 64, "batch": 1})):
        hub = Hub(args.bin / "octopus")
        try:
            r = asyncio.run(crab_run(hub.url, args.seconds, **options))
        finally:
            hub.stop()
        results[label] = r
        print(f"python {label:34s} {r['acked_per_s']:10,.0f} acked/s   "
              f"client cpu {r['client_cpu_s'] / r['seconds']:.0%} of a core")

    hub = Hub(args.bin / "octopus")
    try:
        r = asyncio.run(replay_run(hub.url, args.snapshots))
    finally:
        hub.stop()
    results["subscriber replay"] = r
    print(f"python {'subscriber, replay in batch frames':34s} {r['events_per_s']:10,.0f} "
          f"events/s  client cpu {r['client_cpu_s'] / r['seconds']:.0%} of a core")

    if not args.no_cpp:
        cpp = cpp_bench(args.bin / "octopus-bench", args)
        results["c++"] = cpp
        ingest, replay = cpp["ingest"], cpp["replay"]
        print(f"c++    {'ingest, 1 crab, window 64':34s} "
              f"{ingest.get('acked_per_s', float('nan')):10,.0f} acked/s   "
              f"(octopus-bench, its wire client)")
        print(f"c++    {'subscriber, replay':34s} "
              f"{replay.get('replayed_per_s', float('nan')):10,.0f} events/s  "
              f"(octopus-bench replay, from disk)")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
