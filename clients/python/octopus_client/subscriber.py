"""Subscriber: the consumer side of /v1/subscribe for asyncio code (dashboards, MAI workers).

One Subscriber holds one subscription on one WebSocket at a time. A background reader decodes
every hub message (a `snapshots` batch becomes one Snapshot per item, each with its exact
bytes) into a bounded buffer that `async for` drains; when the buffer is full the reader stops
reading, so a slow consumer pushes back on the hub (which then skips live events into a `gap`,
or paces a durable subscription) instead of growing this process.
Invariant: after a lost connection it subscribes again from the last hub_seq it received, so
the stream goes on with no gap and no duplicate (events the hub no longer has are a `gap`);
durable and group redeliveries of events already handed out in this process are skipped.
Control replies (subscribed, acked, error) are handled by the reader itself, so `await ack()`
is answered even while the consumer is not iterating.
"""
from __future__ import annotations

import asyncio
import datetime as _dt
import json
import logging
from collections import deque
from typing import Any, Deque, Iterable, List, Optional, Sequence, Tuple, Union

import websockets.exceptions

from .address import SslArg
from .crab import NAME_RE
from .errors import FATAL, BadRequest, HubUnavailable, OctopusError, error_for
from .events import Alert, Snapshot, decode_subscriber_message
from .link import ReconnectingClient
from .ws import closed_error, open_ws

log = logging.getLogger("octopus_client.subscriber")

Start = Union[str, int, float, _dt.datetime, dict]

# Hub_seqs of group events handed out and not yet acknowledged that are remembered to skip a
# redelivery (the hub keeps at most 65,536 unacknowledged events per member).
GROUP_MEMORY = 65536


_NOTHING = object()


class _End:
    """Queued after the last event: the iteration ends, raising `error` when there is one."""

    def __init__(self, error: Optional[BaseException]):
        self.error = error


def start_to_from(start: Start, alerts: bool) -> Union[str, dict]:
    """The subscribe message's `from` for a `start` argument."""
    if isinstance(start, dict):
        return start
    if isinstance(start, bool):
        raise ValueError("start must be 'now', 'buffer', a hub_seq, a time or a dict")
    if alerts:
        if start == "now":
            return "now"
        if isinstance(start, int) and start >= 0:
            return {"alert_seq": start}
        raise ValueError("an alert subscription starts at 'now' or an alert_seq (int)")
    if start in ("now", "buffer"):
        return start
    if isinstance(start, int):
        if start < 0:
            raise ValueError("a hub_seq start must be >= 0")
        return {"hub_seq": start}
    if isinstance(start, _dt.datetime):
        if start.tzinfo is None:
            raise ValueError("a datetime start must be timezone-aware")
        return {"since": start.timestamp()}
    if isinstance(start, float):
        return {"since": start}
    raise ValueError(f"start must be 'now', 'buffer', a hub_seq (int), a time (float or "
                     f"datetime) or a dict, got {start!r}")


class Subscriber(ReconnectingClient):
    """`async for event in Subscriber(hub, crabs=["edge-*"])` yields Snapshot, CrabEvent,
    Gap (and Alert, AlertGap with alerts=True) in the hub's order.

    start: "buffer" (what the rings hold, the default), "now", a hub_seq (int: everything
    after it), a time (float Unix seconds or an aware datetime: received since then), or the
    protocol's `from` dict. durable=NAME keeps the position on the hub across reconnects and
    restarts (acknowledge with `await sub.ack(event)`); group=NAME shares the stream among the
    group's members. keys projects values. overflow: "drop" (a gap) or "disconnect".
    reconnect=False raises HubUnavailable instead of reconnecting.
    """

    _log = log

    def __init__(self, hub: str, crabs: Union[str, Sequence[str]] = ("*",),
                 keys: Optional[Sequence[str]] = None, start: Start = "buffer",
                 durable: Optional[str] = None, group: Optional[str] = None,
                 token: Optional[str] = None, ssl: SslArg = None, *, alerts: bool = False,
                 overflow: str = "drop", id: str = "py", reconnect: bool = True,
                 max_buffered: int = 10000, backoff: tuple = (0.1, 5.0),
                 connect_timeout: float = 10.0):
        super().__init__(hub, token, ssl, backoff, connect_timeout)
        self.crabs = [crabs] if isinstance(crabs, str) else list(crabs)
        self.keys = list(keys) if keys else None
        if durable is not None and group is not None:
            raise BadRequest("bad_message", "durable and group cannot be combined")
        for what, name in (("durable", durable), ("group", group)):
            if name is not None and not NAME_RE.match(name):
                raise BadRequest("bad_message", f"{what} name {name!r} must match "
                                                f"^[A-Za-z0-9][A-Za-z0-9._-]{{0,63}}$")
        if alerts and (keys or durable or group):
            raise BadRequest("bad_message", "an alert subscription takes no keys, durable or "
                                            "group")
        if overflow not in ("drop", "disconnect"):
            raise ValueError('overflow must be "drop" or "disconnect"')
        self.durable = durable
        self.group = group
        self.alerts = alerts
        self.overflow = overflow
        self.id = id
        self.start_from = start_to_from(start, alerts)
        self.reconnect = reconnect
        self.max_buffered = max_buffered

        self._events: Deque[Any] = deque()
        self._have: Optional[asyncio.Event] = None
        self._room: Optional[asyncio.Event] = None
        self._ws = None
        self._finished = False
        self.last_hub_seq: Optional[int] = None     # newest snapshot received
        self.last_alert_seq: Optional[int] = None   # newest alert received
        self.subscribed_hub_seq: Optional[int] = None  # the hub's hub_seq at the first subscribe
        self.subscribed_alert_seq: Optional[int] = None
        self.acked_hub_seq = 0                       # durable: the hub's acknowledged cursor
        self._ack_target = 0                         # durable: highest ack asked for
        self._ack_waiters: List[Tuple[int, asyncio.Future]] = []
        self._ack_resend = False
        self._group_seen: Deque[int] = deque()
        self._group_seen_set = set()
        self.connects = 0
        self.skipped = 0  # redeliveries skipped (already handed out in this process)

    # --- public API ---------------------------------------------------------------------------

    _fatal_errors = FATAL + (BadRequest,)  # a subscribe the hub refuses is refused again

    @property
    def label(self) -> str:
        return f"subscriber {self.id}"

    def _on_start(self) -> None:
        self._have = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()

    async def start(self) -> "Subscriber":
        if not self._finished:
            self._start_task()
        return self

    def __aiter__(self) -> "Subscriber":
        return self

    def _pop(self):
        """The next buffered event, _NOTHING when none is here yet; the end raises (the
        subscription's error once, then StopAsyncIteration)."""
        if self._events:
            item = self._events.popleft()
            if len(self._events) < self.max_buffered:
                self._room.set()
            if not isinstance(item, _End):
                return item
            self._finished = True
            self._events.clear()
            if item.error is not None:
                error, item.error = item.error, None
                raise error
        if self._finished:
            raise StopAsyncIteration
        return _NOTHING

    async def __anext__(self):
        while True:
            item = self._pop()
            if item is not _NOTHING:
                return item
            if self._task is None:
                await self.start()
            self._have.clear()
            await self._have.wait()

    def next_nowait(self):
        """The next event if one is already here, else None (the end raises as in next)."""
        item = self._pop()
        return None if item is _NOTHING else item

    async def next(self, timeout: Optional[float] = None):
        """The next event; asyncio.TimeoutError after `timeout` seconds without one."""
        return await asyncio.wait_for(self.__anext__(), timeout)

    async def wait_subscribed(self, timeout: Optional[float] = None) -> None:
        """Waits until the subscription is in place on the hub (HubUnavailable on timeout;
        the subscription's own refusal, such as Forbidden, when it was refused)."""
        await self.start()

        async def wait():
            while not self._up.is_set():
                if self._finished or (self._events and isinstance(self._events[-1], _End)):
                    end = self._events[-1] if self._events else None
                    if end is not None and end.error is not None:
                        raise end.error
                    raise HubUnavailable("closed", "the subscription ended")
                self._have.clear()
                up = asyncio.ensure_future(self._up.wait())
                have = asyncio.ensure_future(self._have.wait())
                try:
                    await asyncio.wait([up, have], return_when=asyncio.FIRST_COMPLETED)
                finally:
                    up.cancel()
                    have.cancel()
        try:
            await asyncio.wait_for(wait(), timeout)
        except asyncio.TimeoutError:
            why = f" (last error: {self.last_error})" if self.last_error else ""
            raise HubUnavailable("unreachable", f"not subscribed after {timeout} s{why}") \
                from None

    async def ack(self, event: Union[Snapshot, int], wait: bool = True) -> None:
        """Acknowledges every event up to this one (cumulative). Durable: returns once the
        hub has the cursor on disk (wait=False: at once); group: the events are done and will
        not be redelivered."""
        hub_seq = event.hub_seq if isinstance(event, Snapshot) else int(event)
        if self.durable is None and self.group is None:
            raise BadRequest("bad_message", f"subscription {self.id!r} is neither durable nor "
                                            f"in a group")
        if self.group is not None:
            while self._group_seen and self._group_seen[0] <= hub_seq:
                self._group_seen_set.discard(self._group_seen.popleft())
            await self._send_ack(hub_seq)
            return
        if hub_seq <= self.acked_hub_seq:
            return
        future = asyncio.get_running_loop().create_future()
        self._ack_waiters.append((hub_seq, future))
        self._room.set()  # the reader must read on to find the reply
        if hub_seq > self._ack_target:
            self._ack_target = hub_seq
            await self._send_ack(hub_seq)
        if wait:
            await asyncio.shield(future)

    async def close(self) -> None:
        self._finished = True
        await self._stop_task()
        error = HubUnavailable("closed", "the subscriber was closed")
        for _, f in self._ack_waiters:
            if not f.done():
                f.set_exception(error)
                f.exception()
        self._ack_waiters.clear()
        if self._have is not None:
            self._have.set()

    # --- connection ---------------------------------------------------------------------------

    async def _send_ack(self, hub_seq: int) -> None:
        ws = self._ws
        if ws is None or not self._up.is_set():
            return  # sent again after the next subscribe
        try:
            await ws.send(json.dumps({"type": "ack", "sub": self.id, "hub_seq": hub_seq}))
        except websockets.exceptions.ConnectionClosed:
            pass  # the reader sees the loss; the ack is sent again after resubscribing

    def _subscribe_message(self) -> str:
        msg: dict = {"type": "subscribe", "id": self.id, "crabs": self.crabs}
        if self.keys:
            msg["keys"] = self.keys
        if self.alerts:
            msg["alerts"] = True
        if self.durable:
            msg["durable"] = self.durable
        if self.group:
            msg["group"] = self.group
        if self.overflow != "drop":
            msg["overflow"] = self.overflow
        start = self._resume_from()
        if start != "now":
            msg["from"] = start
        return json.dumps(msg)

    def _resume_from(self):
        first = self.connects == 0
        if self.alerts:
            if self.last_alert_seq is not None:
                return {"alert_seq": self.last_alert_seq}
            if not first and self.subscribed_alert_seq is not None and self.start_from == "now":
                return {"alert_seq": self.subscribed_alert_seq}
            return self.start_from
        if self.group is not None:
            return self.start_from if first else "now"
        if self.last_hub_seq is not None:
            return {"hub_seq": self.last_hub_seq}
        if not first and self.subscribed_hub_seq is not None and self.start_from == "now":
            return {"hub_seq": self.subscribed_hub_seq}
        return self.start_from

    def _finish(self, error: Optional[BaseException]) -> None:
        self._events.append(_End(error))
        self._have.set()
        for _, f in self._ack_waiters:
            if not f.done():
                f.set_exception(error or HubUnavailable("closed", "the subscription ended"))
                f.exception()
        self._ack_waiters.clear()

    def _give_up(self, error: OctopusError) -> None:
        self._finish(error)

    def _may_retry(self) -> bool:
        return self.reconnect

    async def _session(self) -> bool:
        """One connection; True when the subscription ended for good (unsubscribed)."""
        ws = await open_ws(self.address, "/v1/subscribe", self._token, self._ssl,
                           self.connect_timeout)
        try:
            await ws.send(self._subscribe_message())
            while True:
                try:
                    text = await asyncio.wait_for(ws.recv(), self.connect_timeout)
                except asyncio.TimeoutError:
                    raise HubUnavailable("unreachable", "no answer to subscribe within "
                                                        f"{self.connect_timeout} s") from None
                events, control = decode_subscriber_message(text)
                if control is None:
                    self._deliver(events)  # a crab event can precede "subscribed"
                    continue
                if control.get("type") == "subscribed":
                    break
                if control.get("type") == "error":
                    raise error_for(control.get("code", ""), control.get("message", ""))
            if self.connects == 0:
                self.subscribed_hub_seq = control.get("hub_seq")
                self.subscribed_alert_seq = control.get("alert_seq")
            self.connects += 1
            self._backoff.reset()
            self._ws = ws
            self._up.set()
            if self._ack_target > self.acked_hub_seq:
                await self._send_ack(self._ack_target)
            return await self._read(ws)
        except websockets.exceptions.ConnectionClosed:
            raise closed_error(ws) from None
        finally:
            self._up.clear()
            self._ws = None
            await ws.close()

    async def _read(self, ws) -> bool:
        pending_error: Optional[OctopusError] = None
        while True:
            while len(self._events) >= self.max_buffered and not self._ack_waiters:
                self._room.clear()
                await self._room.wait()
            try:
                text = await ws.recv()
            except websockets.exceptions.ConnectionClosedOK:
                raise closed_error(ws) from None
            try:
                events, control = decode_subscriber_message(text)
            except (ValueError, KeyError, TypeError):
                log.warning("subscriber %s: ignoring a malformed hub message %.200s", self.id,
                            text)
                continue
            if control is None:
                self._deliver(events)
                continue
            kind = control.get("type")
            if kind == "acked":
                self._on_acked(control.get("hub_seq", 0))
            elif kind == "error":
                error = error_for(control.get("code", ""), control.get("message", ""))
                log.warning("subscriber %s: hub error: %s", self.id, error)
                self.last_error = error
                pending_error = error  # a subscription the hub drops: "unsubscribed" follows
            elif kind == "unsubscribed":
                self._finish(pending_error)
                return True

    def _deliver(self, events: Iterable[Any]) -> None:
        out = self._events
        n = len(out)
        for ev in events:
            if isinstance(ev, Snapshot):
                h = ev.hub_seq
                if self.group is not None:
                    if h in self._group_seen_set:
                        self.skipped += 1
                        continue
                    self._group_seen.append(h)
                    self._group_seen_set.add(h)
                    if len(self._group_seen) > GROUP_MEMORY:
                        self._group_seen_set.discard(self._group_seen.popleft())
                elif self.last_hub_seq is not None and h <= self.last_hub_seq:
                    self.skipped += 1
                    if self._ack_resend and h >= self._ack_target:
                        self._ack_resend = False
                        asyncio.ensure_future(self._send_ack(self._ack_target))
                    continue
                if self.last_hub_seq is None or h > self.last_hub_seq:
                    self.last_hub_seq = h
            elif isinstance(ev, Alert):
                if self.last_alert_seq is not None and ev.alert_seq <= self.last_alert_seq:
                    self.skipped += 1
                    continue
                self.last_alert_seq = ev.alert_seq
            out.append(ev)
        if len(out) != n:
            self._have.set()

    def _on_acked(self, hub_seq: int) -> None:
        if hub_seq > self.acked_hub_seq:
            self.acked_hub_seq = hub_seq
        keep = []
        for n, f in self._ack_waiters:
            if n <= self.acked_hub_seq:
                if not f.done():
                    f.set_result(None)
            else:
                keep.append((n, f))
        self._ack_waiters = keep
        if keep:
            # The hub clamps an ack to what it has handed this connection (after a reconnect,
            # the replay may not have reached it yet): ask again when it has.
            self._ack_resend = True
