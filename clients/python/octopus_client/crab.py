"""Crab: the crab side of /v1/crab for asyncio code.

It owns the seq numbering, a bounded queue of unacknowledged snapshots (optionally spooled to
disk, spool.py), one WebSocket at a time and its reconnects. Flow: connect -> hello ->
welcome(last_seq) -> drop what the hub holds, number what is new, resend the rest -> pipeline
frames (batches of up to `batch` snapshots, at most `window` unacknowledged) -> cumulative acks
trim the queue. Invariants: a seq is handed out once, in queue order, and only after the hub
has said which seqs it holds (or the spool remembers), so a resend is always a duplicate the
hub drops, never a second record; a snapshot leaves the queue only when the hub has it (ack or
welcome), refused it (its push fails with the typed error), or the queue overflowed
(overflow="drop_oldest"). Everything runs on the event loop's thread; nothing blocks except
the optional spool writes.
"""
from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
from collections import deque
from typing import Any, Awaitable, Callable, Deque, List, Mapping, Optional, Union

import websockets.exceptions

from .address import SslArg
from .errors import FATAL, BadName, HubUnavailable, OctopusError, QueueFull, error_for
from .link import ReconnectingClient
from .snapshot_codec import (BATCH_OVERHEAD, DEFAULT_LIMITS, Limits, batch_frame, encode_body,
                             snapshot_frame, snapshot_item, with_reply_to)
from .spool import Spool
from .ws import closed_error, open_ws

log = logging.getLogger("octopus_client.crab")

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

# Codes that mean "this snapshot is bad": the one refused fails; anything else is sent again.
_INVALID = {"bad_snapshot", "too_large", "bad_json", "bad_message"}

# What a collect callback may return: the values, or {"values":..,"timestamp":..,"tags":..},
# or None (no answer; the hub's request times out).
CollectResult = Union[None, Mapping[str, Any]]
CollectCallback = Callable[[str], Union[CollectResult, Awaitable[CollectResult]]]


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise BadName("bad_name", f"crab name {name!r} must match "
                                  f"^[A-Za-z0-9][A-Za-z0-9._-]{{0,63}}$")
    return name


def split_snapshot(result: Mapping[str, Any]):
    """(values, timestamp, tags) from a sampler's result: the values themselves, or a dict
    whose "values" is a mapping (sensor values are never mappings, so this is unambiguous)."""
    if isinstance(result, Mapping) and isinstance(result.get("values"), Mapping):
        return result["values"], result.get("timestamp"), result.get("tags")
    values = getattr(result, "values", None)
    if not isinstance(result, Mapping) and isinstance(values, Mapping):
        return values, getattr(result, "timestamp", None), getattr(result, "tags", None)
    return result, None, None


class _Entry:
    __slots__ = ("seq", "body", "size", "future")

    def __init__(self, seq: Optional[int], body: str, size: int):
        self.seq = seq
        self.body = body
        self.size = size
        self.future: Optional[asyncio.Future] = None


class Crab(ReconnectingClient):
    """A remote crab. `await push(values)` returns the snapshot's seq once the hub has it
    durably; `push_nowait(values)` queues it and returns at once.

    hub: ws://HOST:PORT, wss://..., http(s)://... or HOST[:PORT]. token: a push token (sent as
    Authorization: Bearer). ssl: for wss://, an SSLContext or a CA file (default: the
    system's trust store). on_collect(request_id) answers the hub's collect requests (sync or
    async; return values or {"values","timestamp","tags"}; None answers nothing).
    queue_size bounds the unacknowledged snapshots; when it is full, overflow="error" makes
    push raise QueueFull and "drop_oldest" drops the oldest (counted in `dropped`).
    spool: a file that keeps the queue across restarts of this process (spool_fsync: also
    across power loss). window: snapshots sent and not yet acknowledged; batch: most
    snapshots in one frame.
    """

    _log = log

    def __init__(self, hub: str, name: str, token: Optional[str] = None, ssl: SslArg = None, *,
                 on_collect: Optional[CollectCallback] = None, queue_size: int = 10000,
                 overflow: str = "error", spool: Optional[str] = None,
                 spool_fsync: bool = False, window: int = 1000, batch: int = 250,
                 limits: Limits = DEFAULT_LIMITS, backoff: tuple = (0.1, 5.0),
                 connect_timeout: float = 10.0):
        super().__init__(hub, token, ssl, backoff, connect_timeout)
        self.name = check_name(name)
        if overflow not in ("error", "drop_oldest"):
            raise ValueError('overflow must be "error" or "drop_oldest"')
        if queue_size < 1 or window < 1 or not 1 <= batch <= limits.max_batch:
            raise ValueError("queue_size and window must be >= 1, batch 1..max_batch")
        self.on_collect = on_collect
        self.queue_size = queue_size
        self.overflow = overflow
        self.window = window
        self.batch = batch
        self.limits = limits

        self._queue: Deque[_Entry] = deque()  # oldest first; seqs ascending once numbered
        self._sent = 0                          # _queue[:_sent] went out on the current link
        self._next_seq: Optional[int] = None    # None until a welcome (or the spool) says
        self._careful_until = 0                 # send one snapshot at a time up to this seq
        self._frames: Deque[tuple] = deque()   # (first seq, last seq) of each frame in flight
        self._spool: Optional[Spool] = None
        if spool is not None:
            self._spool = Spool(spool, fsync=spool_fsync)
            entries, self._next_seq = self._spool.load()
            for seq, body in entries:
                self._queue.append(_Entry(seq, body, len(body.encode("utf-8"))))
            if entries:
                log.info("crab %s: %d unacknowledged snapshots from spool %s", name,
                         len(entries), spool)

        self._ws = None
        self._wake: Optional[asyncio.Event] = None
        self._progress: Optional[asyncio.Event] = None
        self._drained: List[asyncio.Future] = []
        self._closed = False
        self._fatal: Optional[OctopusError] = None
        self.acked_seq = 0        # highest seq the hub confirmed
        self.acked = 0            # snapshots of this process it confirmed
        self.dropped = 0          # dropped by overflow="drop_oldest"
        self.refused = 0          # refused by the hub, their push failed
        self.connects = 0         # welcomes received
        self.collects = 0         # collect requests answered
        self.last_welcome_seq: Optional[int] = None

    # --- public API ---------------------------------------------------------------------------

    @property
    def label(self) -> str:
        return f"crab {self.name}"

    @property
    def queued(self) -> int:
        """Snapshots not yet acknowledged (sent or not)."""
        return len(self._queue)

    def _on_start(self) -> None:
        self._wake = asyncio.Event()
        self._progress = asyncio.Event()  # set at every ack

    def push_nowait(self, values: Mapping[str, Any], timestamp: Optional[float] = None,
                    tags: Optional[Mapping[str, str]] = None) -> None:
        """Queues one snapshot (timestamp None: now). Raises BadSnapshot for a value the hub
        would refuse, QueueFull when the queue is full and overflow="error"."""
        body, size = encode_body(values, timestamp, tags, self.limits)
        self._enqueue(body, size)

    async def push(self, values: Mapping[str, Any], timestamp: Optional[float] = None,
                   tags: Optional[Mapping[str, str]] = None,
                   timeout: Optional[float] = None) -> int:
        """Queues one snapshot and returns its seq once the hub acknowledged it as durable.
        After `timeout` seconds without that ack it raises HubUnavailable; the snapshot stays
        queued and is still sent."""
        body, size = encode_body(values, timestamp, tags, self.limits)
        entry = self._enqueue(body, size)
        entry.future = asyncio.get_running_loop().create_future()
        if self._task is None:
            await self.start()
        try:
            return await asyncio.wait_for(asyncio.shield(entry.future), timeout)
        except asyncio.TimeoutError:
            raise self._unavailable(f"no ack within {timeout} s; the snapshot stays queued") \
                from None

    async def flush(self, timeout: Optional[float] = None) -> None:
        """Waits until every queued snapshot is acknowledged (or refused, or dropped)."""
        self._check_usable()
        if not self._queue:
            return
        if self._task is None:
            await self.start()
        waiter = asyncio.get_running_loop().create_future()
        self._drained.append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except asyncio.TimeoutError:
            raise self._unavailable(f"{len(self._queue)} snapshots still unacknowledged after "
                                    f"{timeout} s") from None
        finally:
            if waiter in self._drained:
                self._drained.remove(waiter)

    async def wait_acked(self, count: int, timeout: Optional[float] = None) -> None:
        """Waits until the hub has acknowledged `count` snapshots of this process (acked)."""
        await self.start()

        async def wait():
            while self.acked < count:
                self._check_usable()
                if self._task.done():
                    raise self._unavailable("stopped")
                self._progress.clear()
                done = asyncio.ensure_future(self._progress.wait())
                try:
                    await asyncio.wait([done, self._task], return_when=asyncio.FIRST_COMPLETED)
                finally:
                    done.cancel()
        try:
            await asyncio.wait_for(wait(), timeout)
        except asyncio.TimeoutError:
            raise self._unavailable(f"{self.acked} of {count} acknowledged after {timeout} s") \
                from None

    async def wait_stopped(self) -> None:
        """Returns when the crab has stopped: closed, or given up (the error is raised)."""
        await self.start()
        await asyncio.gather(self._task, return_exceptions=True)
        self._check_usable()

    async def wait_connected(self, timeout: Optional[float] = None,
                             refusal_ends: bool = False) -> None:
        """Waits for the hub's welcome. On timeout it raises the last refusal when the hub
        refused (DuplicateCrab: another link holds the name), else HubUnavailable. With
        refusal_ends, a refusal raises at once instead of waiting for a later attempt."""
        await self.start()
        try:
            await asyncio.wait_for(self._wait_up(refusal_ends), timeout)
        except asyncio.TimeoutError:
            if self.last_error is not None and not isinstance(self.last_error, HubUnavailable):
                raise self.last_error from None
            raise self._unavailable(f"not connected after {timeout} s") from None

    async def close(self, timeout: float = 5.0) -> None:
        """When connected, gives the queue up to `timeout` seconds to drain; then closes the
        connection (1000). What is still unacknowledged stays in the spool, or is lost
        (logged); pending push() calls raise HubUnavailable("closed")."""
        if self._closed:
            return
        if self._queue and self.connected and timeout > 0:
            try:
                await self.flush(timeout)
            except OctopusError:
                pass
        self._closed = True
        await self._stop_task()
        left = len(self._queue)
        if left:
            where = f"kept in the spool {self._spool.path}" if self._spool else "lost"
            log.warning("crab %s: closing with %d unacknowledged snapshots (%s)", self.name,
                        left, where)
        self._fail_waiters(self._fatal or HubUnavailable("closed", "the crab was closed "
                                                                   "before the hub acked"))
        if self._spool is not None:
            self._spool.close()

    # --- queue --------------------------------------------------------------------------------

    def _check_usable(self) -> None:
        if self._fatal is not None:
            raise self._fatal
        if self._closed:
            raise HubUnavailable("closed", f"crab {self.name} is closed")

    def _unavailable(self, what: str) -> OctopusError:
        return self._fatal or super()._unavailable(what)

    def _enqueue(self, body: str, size: int) -> _Entry:
        self._check_usable()
        if len(self._queue) >= self.queue_size:
            if self.overflow == "error":
                raise QueueFull("queue_full", f"{len(self._queue)} snapshots wait for the "
                                              f"hub's ack (queue_size {self.queue_size})")
            old = self._queue.popleft()
            if self._sent:
                self._sent -= 1
            self.dropped += 1
            if old.future is not None and not old.future.done():
                old.future.set_exception(QueueFull("queue_full", "dropped: the queue was full"))
            if self._spool is not None:
                self._spool.dropped()
        seq = self._next_seq
        if seq is not None:
            self._next_seq = seq + 1
        entry = _Entry(seq, body, size)
        self._queue.append(entry)
        if self._spool is not None:
            self._spool.add(seq, body)
        if self._wake is not None:
            self._wake.set()
        else:
            try:
                self._start_task()
            except RuntimeError:
                pass  # no running loop yet: start() or push() starts the crab
        return entry

    def _number_queue(self, last_seq: Optional[int]) -> None:
        """The first welcome: every queued snapshot gets its seq, above what the hub holds,
        and the spool is rewritten with them before any is sent."""
        seq = (last_seq or 0) + 1
        for e in self._queue:
            e.seq = seq
            seq += 1
        self._next_seq = seq
        if self._spool is not None:
            self._spool.rewrite(((e.seq, e.body) for e in self._queue), seq)

    def _trim(self, seq: int) -> None:
        """The hub holds every seq <= `seq`: resolve and drop those entries."""
        removed = 0
        q = self._queue
        while q and q[0].seq is not None and q[0].seq <= seq:
            e = q.popleft()
            removed += 1
            if e.future is not None and not e.future.done():
                e.future.set_result(e.seq)
        if seq > self.acked_seq:
            self.acked_seq = seq
        frames = self._frames
        while frames and frames[0][1] <= seq:
            frames.popleft()
        if removed:
            self._sent = max(self._sent - removed, 0)
            self.acked += removed
            self._progress.set()
            if self._spool is not None:
                self._spool.acked(seq, removed)
                if self._spool.should_compact():
                    self._spool.rewrite(((e.seq, e.body) for e in q), self._next_seq)
        if not q:
            for w in self._drained:
                if not w.done():
                    w.set_result(None)

    def _fail_waiters(self, error: OctopusError) -> None:
        for e in self._queue:
            if e.future is not None and not e.future.done():
                e.future.set_exception(error)
                e.future.exception()  # mark retrieved: nobody may be waiting any more
        for w in self._drained:
            if not w.done():
                w.set_exception(error)
                w.exception()

    # --- connection ---------------------------------------------------------------------------

    async def _wait_up(self, refusal_ends: bool = False) -> None:
        """Until welcomed; each failed attempt is looked at when refusal_ends."""
        while not self._up.is_set():
            self._attempted.clear()
            up = asyncio.ensure_future(self._up.wait())
            failed = asyncio.ensure_future(self._attempted.wait())
            try:
                await asyncio.wait([up, failed, self._task], return_when=asyncio.FIRST_COMPLETED)
            finally:
                up.cancel()
                failed.cancel()
            if self._task.done() and not self._up.is_set():
                self._check_usable()
                raise self._unavailable("stopped")
            error = self.last_error
            if refusal_ends and error is not None and not isinstance(error, HubUnavailable):
                raise error

    def _give_up(self, error: OctopusError) -> None:
        self._fatal = error
        self._fail_waiters(error)

    async def _session(self) -> bool:
        ws = await open_ws(self.address, "/v1/crab", self._token, self._ssl,
                           self.connect_timeout)
        try:
            await ws.send(json.dumps({"type": "hello", "crab": self.name}))
            welcome = await self._await_welcome(ws)
            self._on_welcome(welcome.get("last_seq"))
            self._ws = ws
            self._up.set()
            reader = asyncio.ensure_future(self._read_loop(ws))
            writer = asyncio.ensure_future(self._write_loop(ws))
            try:
                done, _ = await asyncio.wait({reader, writer},
                                             return_when=asyncio.FIRST_COMPLETED)
            finally:
                reader.cancel()
                writer.cancel()
                await asyncio.gather(reader, writer, return_exceptions=True)
            for t in done:
                t.result()
        except websockets.exceptions.ConnectionClosed:
            raise closed_error(ws) from None
        finally:
            self._up.clear()
            self._ws = None
            self._sent = 0
            self._frames.clear()
            await ws.close()

    async def _await_welcome(self, ws) -> dict:
        while True:
            try:
                text = await asyncio.wait_for(ws.recv(), self.connect_timeout)
            except asyncio.TimeoutError:
                raise HubUnavailable("unreachable", "no welcome from the hub within "
                                                    f"{self.connect_timeout} s") from None
            msg = json.loads(text)
            kind = msg.get("type")
            if kind == "welcome":
                return msg
            if kind == "error":
                raise error_for(msg.get("code", ""), msg.get("message", ""))
            if kind == "collect":
                continue  # cannot come before welcome; harmless if it did
            raise HubUnavailable("unreachable", f"unexpected first message from the hub: "
                                                f"{text[:100]}")

    def _on_welcome(self, last_seq: Optional[int]) -> None:
        self.connects += 1
        self.last_welcome_seq = last_seq
        self._backoff.reset()
        self._sent = 0
        self._frames.clear()
        if self._next_seq is None:
            self._number_queue(last_seq)
        elif last_seq is not None and last_seq >= self._next_seq:
            # The hub holds seqs this crab never handed out (its data outlived our spool):
            # number above them, or every new snapshot would be taken for a resend.
            self._next_seq = last_seq + 1
            if self._spool is not None:
                self._spool.next_seq(self._next_seq)
        if last_seq is not None:
            self._trim(last_seq)
        log.info("crab %s: welcomed (hub holds seq %s, %d to send)", self.name, last_seq,
                 len(self._queue))

    async def _write_loop(self, ws) -> None:
        wake = self._wake
        while True:
            frame = self._next_frame()
            if frame is None:
                wake.clear()
                await wake.wait()
                continue
            await ws.send(frame)

    def _next_frame(self) -> Optional[str]:
        """The next frame to send, from the unsent part of the queue, within the window."""
        q = self._queue
        start = self._sent
        if start >= len(q):
            return None
        if self._careful_until and q[0].seq <= self._careful_until:
            if start > 0:
                return None  # one at a time: wait for the answer about the one in flight
            room = 1
        else:
            room = min(self.window - start, self.batch, len(q) - start)
            if room <= 0:
                return None
        if room == 1:
            e = q[start]
            self._sent = start + 1
            self._frames.append((e.seq, e.seq))
            return snapshot_frame(e.seq, e.body)
        budget = self.limits.max_frame_bytes - BATCH_OVERHEAD
        items = []
        for i in range(start, start + room):
            e = q[i]
            budget -= e.size + 28  # '{"seq":' + up to 16 digits + ',' + '}' + ','
            if budget < 0 and items:
                break
            items.append(snapshot_item(e.seq, e.body))
        self._sent = start + len(items)
        self._frames.append((q[start].seq, q[self._sent - 1].seq))
        if len(items) == 1:
            return snapshot_frame(q[start].seq, q[start].body)
        return batch_frame(items)

    async def _read_loop(self, ws) -> None:
        async for text in ws:
            try:
                msg = json.loads(text)
                kind = msg.get("type")
            except (ValueError, AttributeError):
                log.warning("crab %s: ignoring a hub message that is not a JSON object",
                            self.name)
                continue
            if kind == "ack":
                self._trim(msg["seq"])
                self._wake.set()
            elif kind == "collect":
                asyncio.ensure_future(self._answer_collect(str(msg.get("id", ""))))
            elif kind == "error":
                self._on_refused(msg.get("code", ""), msg.get("message", ""), msg.get("seq"))
            else:
                log.warning("crab %s: ignoring hub message %s", self.name, text[:200])
        raise closed_error(ws)

    def _on_refused(self, code: str, message: str, seq: Optional[int]) -> None:
        """An `error` from the hub. Frames are refused whole (a batch is atomic), so the frame
        that holds the named seq failed: the snapshot named fails with the typed error and
        the others go again under new seqs (later frames may already be stored above theirs).
        A refusal that names no seq cannot be placed among pipelined frames: the crab then
        reconnects and resends one snapshot at a time, so the next refusal is exact."""
        error = error_for(code, message, seq=seq)
        self.last_error = error
        log.warning("crab %s: hub refused: %s", self.name, error)
        if isinstance(error, FATAL):
            raise error
        frame = None
        if seq is not None:
            frame = next((f for f in self._frames if f[0] <= seq <= f[1]), None)
        elif self._careful_until and self._sent == 1 and self._frames:
            frame = self._frames[0]
            seq = frame[0]
        if frame is None:
            self._careful_until = max(self._careful_until, (self._next_seq or 1) - 1)
            if isinstance(error, HubUnavailable):
                raise error
            raise HubUnavailable(code, f"refused without a seq ({message}); "
                                       f"resending one snapshot at a time")
        if isinstance(error, HubUnavailable):
            raise error  # disk_full: reconnect after a backoff and send the same seqs again
        self._frames.remove(frame)
        q = self._queue
        members = [i for i in range(min(self._sent, len(q))) if frame[0] <= q[i].seq <= frame[1]]
        failed = None
        if code in _INVALID:
            failed = next((i for i in members if q[i].seq == seq), None)
        moved = []
        for i in reversed(members):
            e = q[i]
            del q[i]
            self._sent -= 1
            if i == failed:
                self.refused += 1
                if e.future is not None and not e.future.done():
                    e.future.set_exception(error)
                if self._spool is not None:
                    self._spool.refused(e.seq)
            else:
                moved.append(e)
        for e in reversed(moved):
            old, e.seq = e.seq, self._next_seq
            self._next_seq += 1
            q.append(e)
            if self._spool is not None:
                self._spool.moved(old, e.seq)
        if not q:
            self._trim(0)
        self._wake.set()

    async def _answer_collect(self, request_id: str) -> None:
        if self.on_collect is None:
            log.debug("crab %s: collect %s ignored (no on_collect)", self.name, request_id)
            return
        try:
            result = self.on_collect(request_id)
            if inspect.isawaitable(result):
                result = await result
            if result is None:
                return
            values, timestamp, tags = split_snapshot(result)
            body, size = encode_body(values, timestamp, tags, self.limits)
            body = with_reply_to(body, request_id)
            self._enqueue(body, size + len(request_id) + 14)
            self.collects += 1
        except OctopusError as e:
            log.warning("crab %s: collect %s not answered: %s", self.name, request_id, e)
        except Exception:
            log.exception("crab %s: on_collect raised", self.name)
