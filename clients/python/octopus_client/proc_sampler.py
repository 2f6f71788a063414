"""ProcSampler: this machine's figures from /proc and statvfs, the same keys and rules as the
C++ sampler (clients/proc_sampler.cpp) behind octopus-crab, so a Python crab's rows read like
a C++ crab's: cpu, memory, disk (percent busy or used), load1/5/15, disk_read_bps,
disk_write_bps, net_rx_bps, net_tx_bps (bytes per second between two samples).

Never raises and never returns NaN: a source it cannot read gives 0 for its keys. Rates are
deltas over a monotonic clock against the previous call (the first call, against the state
read at construction). Values are rounded to 3 decimals. Reads only; no network, no psutil.
"""
from __future__ import annotations

import os
import time
from typing import Dict, Optional, Tuple

_VIRTUAL = ("loop", "ram", "zram", "dm-", "md")
_SECTOR = 512


def _read(path: str) -> Optional[str]:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def parse_cpu(text: Optional[str]) -> Optional[Tuple[int, int]]:
    """(total, idle) jiffies from /proc/stat's first line; guest time is inside user time, so
    only the first eight fields count."""
    if not text:
        return None
    fields = text.split("\n", 1)[0].split()
    if not fields or fields[0] != "cpu" or len(fields) < 5:
        return None
    nums = [int(x) for x in fields[1:9]]
    return sum(nums), nums[3] + (nums[4] if len(nums) > 4 else 0)


def memory_percent(text: Optional[str]) -> float:
    if not text:
        return 0.0
    info = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("MemTotal:", "MemAvailable:"):
            info[parts[0]] = int(parts[1])
    total, available = info.get("MemTotal:"), info.get("MemAvailable:")
    if not total or available is None or available > total:
        return 0.0
    return (total - available) / total * 100.0


def load_averages(text: Optional[str]) -> Tuple[float, float, float]:
    try:
        a, b, c = (float(x) for x in text.split()[:3])
        return a, b, c
    except (AttributeError, ValueError):
        return 0.0, 0.0, 0.0


def disk_percent(path: str) -> float:
    """Used / (used + available to unprivileged users), as df shows it."""
    try:
        st = os.statvfs(path)
    except OSError:
        return 0.0
    used = (st.f_blocks - st.f_bfree) * 1.0
    usable = used + st.f_bavail
    return used / usable * 100.0 if usable > 0 else 0.0


def _is_partition_of(name: str, disk: str) -> bool:
    # Partitions are <disk><n>, or <disk>p<n> when the disk name ends in a digit.
    if len(name) <= len(disk) or not name.startswith(disk):
        return False
    rest = name[len(disk):]
    if disk[-1].isdigit():
        if not rest.startswith("p"):
            return False
        rest = rest[1:]
    return rest.isdigit()


def disk_bytes(text: Optional[str]) -> Optional[Tuple[int, int]]:
    """(read, written) bytes of the whole physical disks in /proc/diskstats."""
    if text is None:
        return None
    disks = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 10 and f[3].isdigit():
            disks[f[2]] = (int(f[5]) * _SECTOR, int(f[9]) * _SECTOR)
    read = written = 0
    for name, (r, w) in disks.items():
        if name.startswith(_VIRTUAL) or any(_is_partition_of(name, d) for d in disks):
            continue
        read += r
        written += w
    return read, written


def net_bytes(text: Optional[str]) -> Optional[Tuple[int, int]]:
    """(received, sent) bytes of every interface but lo in /proc/net/dev."""
    if text is None:
        return None
    rx = tx = 0
    for line in text.splitlines():
        name, colon, rest = line.partition(":")
        if not colon or name.strip() == "lo":
            continue
        f = rest.split()
        if len(f) >= 9 and all(x.isdigit() for x in f[:9]):
            rx += int(f[0])
            tx += int(f[8])
    return rx, tx


def _rate(now, before, seconds: float) -> Tuple[float, float]:
    if now is None or before is None or seconds <= 0:
        return 0.0, 0.0
    return tuple(max(a - b, 0) / seconds for a, b in zip(now, before))


def _round(v: float) -> float:
    r = round(v, 3)
    return 0.0 if r != r or r in (float("inf"), float("-inf")) or r == 0 else r


class ProcSampler:
    def __init__(self, proc_root: str = "/proc", disk_path: str = "/"):
        self.proc = proc_root
        self.disk_path = disk_path
        self._state = self._read_state()

    def _read_state(self):
        return (time.monotonic(), parse_cpu(_read(self.proc + "/stat")),
                disk_bytes(_read(self.proc + "/diskstats")), net_bytes(_read(self.proc + "/net/dev")))

    def sample(self) -> Dict[str, float]:
        """The values of one snapshot."""
        at, cpu, disk, net = now = self._read_state()
        before_at, before_cpu, before_disk, before_net = self._state
        self._state = now
        seconds = at - before_at
        busy = 0.0
        if cpu and before_cpu and cpu[0] > before_cpu[0]:
            total = cpu[0] - before_cpu[0]
            idle = max(cpu[1] - before_cpu[1], 0)
            busy = (total - min(idle, total)) / total * 100.0
        load = load_averages(_read(self.proc + "/loadavg"))
        d = _rate(disk, before_disk, seconds)
        n = _rate(net, before_net, seconds)
        values = {"cpu": busy, "memory": memory_percent(_read(self.proc + "/meminfo")),
                  "load1": load[0], "load5": load[1], "load15": load[2],
                  "disk": disk_percent(self.disk_path), "disk_read_bps": d[0],
                  "disk_write_bps": d[1], "net_rx_bps": n[0], "net_tx_bps": n[1]}
        return {k: _round(v) for k, v in values.items()}
