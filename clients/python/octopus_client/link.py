"""ReconnectingClient: what Crab and Subscriber share: the hub's address, token and TLS
context, one background task that holds one WebSocket session at a time, and the reconnect
loop around it.

The loop runs `_session()` until it returns True (the session ended for good) or the client
closes; an error that no retry can fix (errors.FATAL: a refused token or scope, a bad name)
ends it through `_give_up()`; anything else is remembered in `last_error` and retried after a
jittered, doubling backoff that a successful session resets. Nothing here knows the protocol.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Optional, Tuple

from .address import Backoff, SslArg, parse_hub, resolve_ssl
from .errors import FATAL, HubUnavailable, OctopusError


class ReconnectingClient:
    _log = logging.getLogger("octopus_client")
    # Errors that end the client instead of a reconnect; subclasses may add to them.
    _fatal_errors: Tuple[type, ...] = FATAL

    def __init__(self, hub: str, token: Optional[str], ssl: SslArg, backoff: tuple,
                 connect_timeout: float):
        self.address = parse_hub(hub)
        self._token = token
        self._ssl = resolve_ssl(self.address, ssl)
        self._backoff = Backoff(*backoff)
        self.connect_timeout = connect_timeout
        self._task: Optional[asyncio.Task] = None
        self._up: Optional[asyncio.Event] = None
        self._attempted: Optional[asyncio.Event] = None
        self._closing = False
        self.last_error: Optional[OctopusError] = None

    # --- what subclasses provide --------------------------------------------------------------

    @property
    def label(self) -> str:
        raise NotImplementedError

    def _on_start(self) -> None:
        """Creates the subclass's asyncio objects (inside the running loop)."""

    def _check_usable(self) -> None:
        """Raises when the client may not start (closed, given up)."""

    async def _session(self) -> bool:
        """One connection, from open to loss; True when the client is done for good."""
        raise NotImplementedError

    def _give_up(self, error: OctopusError) -> None:
        """The client stops for `error`: fail whoever waits."""

    def _may_retry(self) -> bool:
        return True

    # --- shared -------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._up is not None and self._up.is_set()

    def _start_task(self) -> None:
        """Starts the background task; RuntimeError (and nothing changed) without a running
        event loop."""
        if self._task is None:
            loop = asyncio.get_running_loop()
            self._up = asyncio.Event()
            self._attempted = asyncio.Event()  # set after each failed connection
            self._on_start()
            self._task = loop.create_task(self._run(), name=self.label)

    async def start(self):
        """Starts connecting in the background and returns at once."""
        self._check_usable()
        self._start_task()
        return self

    async def __aenter__(self):
        return await self.start()

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def close(self) -> None:
        raise NotImplementedError

    async def _stop_task(self) -> None:
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass

    def _unavailable(self, what: str) -> OctopusError:
        why = f" (last error: {self.last_error})" if self.last_error else ""
        return HubUnavailable("unreachable", f"{self.label}: {what}{why}")

    async def _run(self) -> None:
        while not self._closing:
            try:
                if await self._session():
                    return
                self.last_error = HubUnavailable("unreachable", "the hub closed the connection")
            except asyncio.CancelledError:
                raise
            except self._fatal_errors as e:
                self._log.error("%s: %s; giving up", self.label, e)
                self._give_up(e)
                return
            except OctopusError as e:
                self.last_error = e
            except Exception as e:  # a bug or an unexpected library error: keep going
                self._log.exception("%s: unexpected error", self.label)
                self.last_error = HubUnavailable("unreachable", repr(e))
            self._attempted.set()
            if not self._may_retry():
                self._give_up(self.last_error)
                return
            delay = self._backoff.next()
            self._log.info("%s: %s; reconnecting in %.2f s", self.label, self.last_error, delay)
            await asyncio.sleep(delay)
