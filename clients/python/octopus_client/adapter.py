"""Octopus: the in-process MVP's interface over a remote hub, the migration path for code
written against `gorgon.core.octopus.Octopus`.

    octo = Octopus("ws://hub:8765")          # was: Octopus()
    octo.register_crab(crab)                 # any object with .name and .collect()
    octo.collect_once("local_system")        # the stored envelope, as a Snapshot
    octo.collect_all()                       # CollectResult(snapshots, missing)
    octo.get_buffer("local_system")          # the ring buffer, oldest first

Each registered crab becomes a remote Crab on one shared LoopThread: collect() is sampled
every `interval` seconds and pushed, and the hub's collect requests are answered with a fresh
collect(); collect() runs in a worker thread, so a slow sensor never stalls the others.
collect_once, collect_all and get_buffer are HTTP calls (HubApi) from the caller's thread.
"""
from __future__ import annotations

import asyncio
import os
import signal
import threading
from typing import Any, Dict, List, Optional

from .address import SslArg
from .crab import Crab, check_name
from .errors import DuplicateCrab
from .events import CollectResult, CrabInfo, Snapshot
from .http_api import SyncHubApi
from .sampling import collect_answer, sample_forever
from .sync import LoopThread


class Octopus:
    """hub_url: ws(s):// or http(s)://; token needs push:NAME for each registered crab and
    read/collect for the calls that read. interval: seconds between samples of each crab (0:
    only answer collects). spool_dir: one spool file per crab, so a restart loses nothing."""

    def __init__(self, hub_url: str, token: Optional[str] = None, ssl: SslArg = None, *,
                 interval: float = 1.0, spool_dir: Optional[str] = None,
                 queue_size: int = 10000, connect_timeout: float = 10.0):
        self.hub_url = hub_url
        self._token = token
        self._ssl = ssl
        self.interval = interval
        self.spool_dir = spool_dir
        self.queue_size = queue_size
        self.connect_timeout = connect_timeout
        self.api = SyncHubApi(hub_url, token, ssl)
        self._loop = LoopThread("octopus-adapter")
        self._crabs: Dict[str, Crab] = {}
        self._samplers: Dict[str, asyncio.Task] = {}
        self._lock = threading.Lock()

    # --- the MVP's calls ----------------------------------------------------------------------

    def register_crab(self, crab: Any, interval: Optional[float] = None,
                      wait: bool = True) -> Crab:
        """Connects `crab` (an object with .name and .collect()) to the hub as a remote crab.
        With wait (the default) it returns once the hub welcomed it and raises what stopped
        it: DuplicateCrab when the name is taken, Unauthorized, Forbidden, HubUnavailable."""
        name = check_name(getattr(crab, "name", None))
        collect = getattr(crab, "collect", None)
        if not callable(collect):
            raise TypeError(f"crab {name!r} has no collect() method")
        with self._lock:
            if name in self._crabs:
                raise DuplicateCrab("duplicate_crab", f"crab {name!r} is already registered")
            spool = os.path.join(self.spool_dir, f"{name}.spool") if self.spool_dir else None
            remote = self._loop.run(self._start_crab(name, collect, spool, interval))
            self._crabs[name] = remote
        if wait:
            try:
                self._loop.run(self._welcomed(remote))
            except BaseException:
                self.unregister_crab(name)
                raise
        return remote

    def unregister_crab(self, name: str, timeout: float = 5.0) -> None:
        """Stops sampling the crab and closes its connection (the queue gets `timeout` s)."""
        with self._lock:
            remote = self._crabs.pop(name, None)
        if remote is not None:
            self._loop.run(self._stop_crab(name, remote, timeout))

    def collect_once(self, name: str, timeout: float = 2.0) -> Snapshot:
        return self.api.collect_once(name, timeout)

    def collect_all(self, timeout: float = 2.0) -> CollectResult:
        return self.api.collect_all(timeout)

    def get_buffer(self, name: str) -> List[Snapshot]:
        return self.api.buffer(name)

    def crabs(self) -> List[CrabInfo]:
        return self.api.crabs()

    def flush(self, timeout: Optional[float] = None) -> None:
        """Waits until every registered crab's snapshots are acknowledged."""
        for remote in list(self._crabs.values()):
            self._loop.run(remote.flush(timeout))

    @property
    def registered(self) -> Dict[str, Crab]:
        return dict(self._crabs)

    def serve_forever(self) -> None:
        """Blocks until SIGINT or SIGTERM, then closes (for a script that only hosts crabs)."""
        stop = threading.Event()
        old = {s: signal.signal(s, lambda *_: stop.set()) for s in (signal.SIGINT, signal.SIGTERM)}
        try:
            while not stop.wait(1.0):
                pass
        finally:
            for s, handler in old.items():
                signal.signal(s, handler)
            self.close()

    def close(self) -> None:
        for name in list(self._crabs):
            self.unregister_crab(name)
        self._loop.stop()

    def __enter__(self) -> "Octopus":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- on the loop thread -------------------------------------------------------------------

    async def _start_crab(self, name, collect, spool, interval) -> Crab:
        remote = Crab(self.hub_url, name, self._token, self._ssl,
                      on_collect=collect_answer(collect, in_thread=True),
                      queue_size=self.queue_size, overflow="drop_oldest", spool=spool,
                      connect_timeout=self.connect_timeout)
        await remote.start()
        every = self.interval if interval is None else interval
        if every and every > 0:
            self._samplers[name] = asyncio.ensure_future(
                sample_forever(remote, collect, every, in_thread=True))
        return remote

    async def _stop_crab(self, name: str, remote: Crab, timeout: float) -> None:
        task = self._samplers.pop(name, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await remote.close(timeout)

    async def _welcomed(self, remote: Crab) -> None:
        """Until the first welcome; a refusal (a taken name, a token) ends the wait at once."""
        await remote.wait_connected(self.connect_timeout, refusal_ends=True)
