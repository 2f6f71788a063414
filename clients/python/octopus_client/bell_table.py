"""BellTable: what the Notebook Bell shows, with no sockets and no clock of its own (render
takes `now`). One row per crab, sorted by name: crab, state, age (seconds since its newest
received_at), seq, then one column per key in the order octopus-bell and the Web Bell use (by
unit: percent, bytes/s, bytes, load, the rest; then natural order, load1 < load5 < load15).
Cells show numbers in their key's unit with the same rules as clients/bell_table.cpp and
web/src/units.js: `12.5%`, `16.0 KiB/s`, `1.0 GiB`, `1.19`, JavaScript toFixed rounding
(the exact binary value, ties away from zero). It also keeps each crab's recent numeric
history for the chart.
"""
from __future__ import annotations

import html
import math
import re
from collections import deque
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Deque, Dict, List, Optional, Tuple

from .events import Snapshot

PERCENT, BYTES_PER_S, BYTES, LOAD, NONE = range(5)
_LOAD = re.compile(r"^load[0-9]+$")
_RUN = re.compile(r"([0-9]+)")


def value_unit(key: str) -> int:
    if key in ("cpu", "memory", "disk", "swap") or key.endswith(("_pct", "_percent")):
        return PERCENT
    if key.endswith(("_bps", "_bytes_per_s")):
        return BYTES_PER_S
    if key.endswith("_bytes"):
        return BYTES
    if _LOAD.match(key):
        return LOAD
    return NONE


def display_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def fixed(v: float, digits: int) -> str:
    """JavaScript's Number.prototype.toFixed: exact binary value, ties away from zero."""
    if abs(v) >= 1e21:
        return display_value(v)
    q = Decimal(v).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = f"{q:f}"
    return text[1:] if text.startswith("-") and q == 0 else text


def binary_size(v: float, per: str) -> str:
    if abs(v) < 1024:
        return fixed(v, 0) + " B" + per
    v /= 1024
    units = ("KiB", "MiB", "GiB", "TiB")
    unit = 0
    while abs(v) >= 1024 and unit + 1 < len(units):
        v /= 1024
        unit += 1
    return f"{fixed(v, 1)} {units[unit]}{per}"


def human_value(key: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return display_value(value)
    v = float(value)
    if not math.isfinite(v):
        return display_value(value)
    unit = value_unit(key)
    if unit == PERCENT:
        return fixed(v, 1) + "%"
    if unit == BYTES_PER_S:
        return binary_size(v, "/s")
    if unit == BYTES:
        return binary_size(v, "")
    if unit == LOAD:
        return fixed(v, 2)
    return display_value(value)


def key_order(key: str) -> Tuple:
    """Sort key: unit, then natural order (digit runs by value), then bytewise."""
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in _RUN.split(key) if p)
    return value_unit(key), parts, key


def format_age(seconds: float) -> str:
    return f"{max(seconds, 0.0):.1f}s"


class BellTable:
    def __init__(self, keys: Optional[List[str]] = None, history: int = 300):
        self.keys = list(keys) if keys else None
        self.history = history
        self.latest: Dict[str, Snapshot] = {}
        self.state: Dict[str, str] = {}
        self.series: Dict[str, Deque[Tuple[float, Dict[str, float]]]] = {}

    def add(self, snap: Snapshot) -> None:
        old = self.latest.get(snap.crab)
        if old is None or snap.hub_seq > old.hub_seq:
            self.latest[snap.crab] = snap
        points = self.series.setdefault(snap.crab, deque(maxlen=self.history))
        t = snap.timestamp if isinstance(snap.timestamp, (int, float)) else snap.received_at
        points.append((t, {k: float(v) for k, v in snap.values.items()
                           if isinstance(v, (int, float)) and not isinstance(v, bool)}))

    def set_state(self, crab: str, state: str) -> None:
        self.state[crab] = state

    def columns(self) -> List[str]:
        if self.keys:
            return self.keys
        seen = {k for s in self.latest.values() for k in s.values}
        return sorted(seen, key=key_order)

    def rows(self, now: float) -> Tuple[List[str], List[List[str]]]:
        keys = self.columns()
        header = ["crab", "state", "age", "seq"] + keys
        rows = []
        for crab in sorted(set(self.latest) | set(self.state)):
            snap = self.latest.get(crab)
            row = [crab, self.state.get(crab, "-"),
                   format_age(now - snap.received_at) if snap else "-",
                   str(snap.seq) if snap else "-"]
            row += [human_value(k, snap.values[k]) if snap and k in snap.values else "-"
                    for k in keys]
            rows.append(row)
        return header, rows

    def text(self, now: float) -> str:
        header, rows = self.rows(now)
        widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]

        def line(cells):
            return "  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
        return "\n".join([line(header)] + [line(r) for r in rows])

    def html(self, now: float, caption: str = "") -> str:
        header, rows = self.rows(now)
        esc = html.escape
        head = "".join(f"<th>{esc(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(
            f'<td style="text-align:{"left" if i < 2 else "right"}">{esc(c)}</td>'
            for i, c in enumerate(r)) + "</tr>" for r in rows)
        cap = f"<caption>{esc(caption)}</caption>" if caption else ""
        return (f'<table class="octopus-bell">{cap}<thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table>")
