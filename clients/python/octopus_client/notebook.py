"""The Notebook Bell: a crab's live values in Jupyter.

    from octopus_client.notebook import Bell
    Bell("http://127.0.0.1:8765", "local_system").run(iterations=5)

run() shows the table at once (from each matching crab's ring buffer, read over HTTP), then
follows the hub: each further iteration waits for new snapshots (at most `timeout` seconds,
so a silent crab shows its growing age instead of hanging the cell) and redraws the same
output in place (IPython.display with a display_id). With matplotlib (Debian
python3-matplotlib) a small chart of the first crab's recent values sits under the table.
Outside Jupyter it prints the text table. Either way run() returns the last text table.
The subscription starts right after the newest hub_seq the buffers held: no gap, no repeat.
"""
from __future__ import annotations

import fnmatch
import io
import time
from typing import List, Optional, Sequence, Union

from .address import SslArg
from .bell_table import PERCENT, BellTable, value_unit
from .events import CrabEvent, Snapshot
from .http_api import SyncHubApi
from .sync import Subscriber


def _in_jupyter() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and hasattr(shell, "kernel")


def chart_png(table: BellTable, crab: str, width: float = 7.0,
              height: float = 2.4) -> Optional[bytes]:
    """A PNG line chart of the crab's recent values (percent keys when it has any, else up to
    four numeric keys), or None without matplotlib or data. Uses no pyplot state."""
    points = table.series.get(crab)
    if not points or len(points) < 2:
        return None
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    keys = sorted({k for _, vals in points for k in vals})
    percent = [k for k in keys if value_unit(k) == PERCENT]
    keys = percent or keys[:4]
    fig = Figure(figsize=(width, height), dpi=80)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    t0 = points[-1][0]
    for key in keys:
        xs = [t - t0 for t, vals in points if key in vals]
        ys = [vals[key] for _, vals in points if key in vals]
        ax.plot(xs, ys, label=key, linewidth=1.2)
    ax.set_xlabel("seconds before the newest snapshot")
    if percent:
        ax.set_ylabel("%")
    ax.set_title(crab, fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


class Bell:
    """hub: http(s):// or ws(s)://; crabs: a name or glob, or a list of them; keys: the
    columns (default: every key seen); token and ssl as for the other classes."""

    def __init__(self, hub: str, crabs: Union[str, Sequence[str]] = "*",
                 keys: Optional[Sequence[str]] = None, token: Optional[str] = None,
                 ssl: SslArg = None, *, chart: bool = True, history: int = 300):
        self.hub = hub
        self.crabs: List[str] = [crabs] if isinstance(crabs, str) else list(crabs)
        self.keys = list(keys) if keys else None
        self.token = token
        self.ssl = ssl
        self.chart = chart
        self.table = BellTable(self.keys, history)
        self.api = SyncHubApi(hub, token, ssl)

    def _matches(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, g) for g in self.crabs)

    def _seed(self) -> int:
        """Each matching crab's state and ring buffer; the newest hub_seq seen."""
        newest = 0
        for info in self.api.crabs():
            if not self._matches(info.name):
                continue
            self.table.set_state(info.name, "online" if info.online else "offline")
            for snap in self.api.buffer(info.name):
                self.table.add(snap)
                newest = max(newest, snap.hub_seq)
        return newest

    def run(self, iterations: int = 5, timeout: float = 10.0) -> str:
        """Shows the table, then redraws it iterations - 1 more times, each after new
        snapshots arrived (or `timeout` seconds passed). Returns the last text table."""
        newest = self._seed()
        display = _Display(self.chart)
        text = display.show(self.table, self._title())
        if iterations <= 1:
            return text
        with Subscriber(self.hub, crabs=self.crabs, keys=self.keys, start=newest,
                        token=self.token, ssl=self.ssl) as sub:
            for _ in range(iterations - 1):
                self._wait_for_news(sub, timeout)
                text = display.show(self.table, self._title())
        return text

    def _wait_for_news(self, sub, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        got = False
        while True:
            wait = 0 if got else deadline - time.monotonic()
            if wait < 0:
                return
            try:
                event = sub.next(wait) if wait > 0 else sub.next_nowait()
            except TimeoutError:
                return
            if event is None:
                return
            if isinstance(event, Snapshot):
                self.table.add(event)
                got = True
            elif isinstance(event, CrabEvent) and event.event in ("online", "offline"):
                self.table.set_state(event.crab, event.event)
                got = True

    def _title(self) -> str:
        return f"{', '.join(self.crabs)} on {self.api.address.http}"


class _Display:
    """Where the Bell draws: one IPython output updated in place, or stdout."""

    def __init__(self, chart: bool):
        self.jupyter = _in_jupyter()
        self.chart = chart
        self.table_handle = None
        self.chart_handle = None

    def show(self, table: BellTable, title: str) -> str:
        now = time.time()
        text = table.text(now)
        if not self.jupyter:
            print(f"{title}\n{text}\n", flush=True)
            return text
        from IPython.display import HTML, Image, display
        page = HTML(table.html(now, title))
        if self.table_handle is None:
            self.table_handle = display(page, display_id=True)
        else:
            self.table_handle.update(page)
        first = min(table.series) if table.series else None
        png = chart_png(table, first) if self.chart and first else None
        if png is not None:
            if self.chart_handle is None:
                self.chart_handle = display(Image(data=png, format="png"), display_id=True)
            else:
                self.chart_handle.update(Image(data=png, format="png"))
        return text
