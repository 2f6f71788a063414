"""Blocking faces of the asyncio classes, for scripts and notebooks with no event loop.

Each object runs its asyncio twin on a LoopThread: a daemon thread with its own event loop
(several objects may share one by passing loop=). Calls hand a coroutine to that loop and wait
for its result, so the twin's rules hold unchanged: one thread owns the connection state, and
the caller's thread only waits. `HubApi` needs no loop and is SyncHubApi itself.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from typing import Any, Mapping, Optional

from . import crab as _crab
from . import subscriber as _subscriber
from .errors import HubUnavailable
from .http_api import SyncHubApi as HubApi  # noqa: F401  (re-exported)

__all__ = ["LoopThread", "Crab", "Subscriber", "HubApi"]


class LoopThread:
    """An event loop running in a daemon thread. run(coro, timeout) waits for the result."""

    def __init__(self, name: str = "octopus-client"):
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        self.loop.close()

    def run(self, coro, timeout: Optional[float] = None) -> Any:
        if threading.current_thread() is self._thread:
            raise RuntimeError("a blocking call from the client's own loop thread would "
                               "deadlock; use the asyncio classes there")
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise

    def call(self, fn, *args) -> Any:
        """Runs a plain function on the loop's thread and returns its result."""
        async def wrapper():
            return fn(*args)
        return self.run(wrapper())

    def stop(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(5)


class _Blocking:
    """Owns (or shares) a LoopThread and builds the asyncio twin on it."""

    def __init__(self, build, loop: Optional[LoopThread]):
        self._own_loop = loop is None
        self._loop = loop or LoopThread()

        async def make():
            return build()
        try:
            self._async = self._loop.run(make())
        except BaseException:
            self._stop_loop()
            raise

    def __getattr__(self, name: str) -> Any:
        # Counters and state (acked, queued, connected, last_error, ...) read through.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._async, name)

    def _stop_loop(self) -> None:
        if self._own_loop:
            self._loop.stop()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Crab(_Blocking):
    """octopus_client.Crab, blocking: push() returns once the hub has the snapshot durably.
    Same arguments, plus loop= to share a LoopThread."""

    def __init__(self, hub: str, name: str, token: Optional[str] = None, ssl=None, *,
                 loop: Optional[LoopThread] = None, **options):
        super().__init__(lambda: _crab.Crab(hub, name, token, ssl, **options), loop)
        self._loop.run(self._async.start())

    def push(self, values: Mapping[str, Any], timestamp: Optional[float] = None,
             tags: Optional[Mapping[str, str]] = None, timeout: Optional[float] = None) -> int:
        return self._loop.run(self._async.push(values, timestamp, tags, timeout))

    def push_nowait(self, values: Mapping[str, Any], timestamp: Optional[float] = None,
                    tags: Optional[Mapping[str, str]] = None) -> None:
        self._loop.call(self._async.push_nowait, values, timestamp, tags)

    def flush(self, timeout: Optional[float] = None) -> None:
        self._loop.run(self._async.flush(timeout))

    def wait_connected(self, timeout: Optional[float] = None) -> None:
        self._loop.run(self._async.wait_connected(timeout))

    def close(self, timeout: float = 5.0) -> None:
        try:
            self._loop.run(self._async.close(timeout))
        finally:
            self._stop_loop()


class Subscriber(_Blocking):
    """octopus_client.Subscriber, blocking: `for event in sub` (or sub.next(timeout))."""

    def __init__(self, hub: str, crabs=("*",), keys=None, start="buffer", durable=None,
                 group=None, token=None, ssl=None, *, loop: Optional[LoopThread] = None,
                 **options):
        super().__init__(lambda: _subscriber.Subscriber(hub, crabs, keys, start, durable, group,
                                                        token, ssl, **options), loop)
        self._loop.run(self._async.start())

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return self._loop.run(self._async.__anext__())
        except StopAsyncIteration:
            raise StopIteration from None

    def next(self, timeout: Optional[float] = None):
        """The next event; TimeoutError after `timeout` seconds without one."""
        try:
            return self._loop.run(self._async.next(timeout))
        except asyncio.TimeoutError:
            raise TimeoutError(f"no event within {timeout} s") from None
        except StopAsyncIteration:
            raise HubUnavailable("closed", "the subscription has ended") from None

    def next_nowait(self):
        """The next event if one has arrived, else None."""
        try:
            return self._loop.call(self._async.next_nowait)
        except StopAsyncIteration:
            raise HubUnavailable("closed", "the subscription has ended") from None

    def wait_subscribed(self, timeout: Optional[float] = None) -> None:
        self._loop.run(self._async.wait_subscribed(timeout))

    def ack(self, event, wait: bool = True) -> None:
        self._loop.run(self._async.ack(event, wait))

    def close(self) -> None:
        try:
            self._loop.run(self._async.close())
        finally:
            self._stop_loop()
