"""The crab's spool: its queue of unacknowledged snapshots, on disk, so a restarted process
sends what the last one could not and sends nothing twice.

The file is an append-only log of text lines, one operation each; replaying it rebuilds the
queue:

    n NEXT        the next seq to assign is at least NEXT
    + SEQ BODY    a snapshot (SEQ, or "-" before the crab has ever been welcomed) and its
                  encoded fields (snapshot_codec.encode_body), exactly as it will be sent
    a SEQ         the hub acknowledged every seq <= SEQ
    d             the oldest queued snapshot was dropped (a full queue, overflow="drop_oldest")
    x SEQ         the hub refused snapshot SEQ; it is gone
    r OLD NEW     snapshot OLD is sent again as NEW, after every other queued one

Invariants: seqs are never reused, so a resend after a restart is a duplicate the hub
recognises, never a second record; either every queued snapshot has a seq or none has (seqs
are handed out only once the hub has said which it holds, and the file is then rewritten
with them before any is sent). Each line is written with one write(2), so a crash of the
process loses nothing that push_nowait() returned for; fsync=True also covers power loss. A
torn last line is cut. When most lines are dead the file is rewritten (temporary file,
fsync, rename). `PATH.lock` (flock) keeps a second process off the same spool.
"""
from __future__ import annotations

import fcntl
import logging
import os
from collections import deque
from typing import Iterable, List, Optional, Tuple

from .errors import SpoolLocked

log = logging.getLogger("octopus_client.spool")

# Rewrite the file once this many lines are dead and they outnumber the live ones.
COMPACT_AFTER = 10000


class Spool:
    def __init__(self, path: str, fsync: bool = False):
        self.path = os.fspath(path)
        self.fsync = fsync
        self._lock_fd = os.open(self.path + ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            raise SpoolLocked("spool_locked", f"another process uses the spool {self.path}") \
                from None
        self._fd = -1
        self._dead = 0
        self._live = 0

    # --- reading ------------------------------------------------------------------------------

    def load(self) -> Tuple[List[Tuple[Optional[int], str]], Optional[int]]:
        """The queued snapshots, oldest first, as (seq or None, body), and the next seq to
        assign (None when the crab has never been welcomed). Opens the file for appending."""
        entries: deque = deque()
        next_seq: Optional[int] = None
        good = 0
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            data = b""
        end = data.rfind(b"\n") + 1
        if end < len(data):
            log.warning("spool %s: cutting a torn last line of %d bytes", self.path,
                        len(data) - end)
        lines = data[:end].decode("utf-8").split("\n")[:-1]
        for number, line in enumerate(lines, 1):
            try:
                next_seq = self._apply(line, entries, next_seq)
            except (ValueError, IndexError):
                raise ValueError(f"spool {self.path}:{number}: cannot read {line[:60]!r}") \
                    from None
            good += 1
        self._live = len(entries)
        self._dead = max(good - self._live, 0)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600)
        os.ftruncate(self._fd, end)
        os.lseek(self._fd, end, os.SEEK_SET)
        return list(entries), next_seq

    @staticmethod
    def _apply(line: str, entries, next_seq):
        op = line[0]
        if op == "+":
            _, seq_text, body = line.split(" ", 2)
            seq = None if seq_text == "-" else int(seq_text)
            entries.append((seq, body))
            if seq is not None:
                next_seq = max(next_seq or 0, seq + 1)
        elif op == "n":
            next_seq = max(next_seq or 0, int(line[2:]))
        elif op == "a":
            acked = int(line[2:])
            while entries and entries[0][0] is not None and entries[0][0] <= acked:
                entries.popleft()
        elif op == "d":
            if entries:
                entries.popleft()
        elif op == "x":
            seq = int(line[2:])
            for i, e in enumerate(entries):
                if e[0] == seq:
                    del entries[i]
                    break
        elif op == "r":
            old, new = (int(t) for t in line[2:].split(" "))
            for i, (seq, body) in enumerate(entries):
                if seq == old:
                    del entries[i]
                    entries.append((new, body))
                    break
            next_seq = max(next_seq or 0, new + 1)
        else:
            raise ValueError(op)
        return next_seq

    # --- writing ------------------------------------------------------------------------------

    def _write(self, text: str) -> None:
        os.write(self._fd, text.encode("utf-8"))
        if self.fsync:
            os.fdatasync(self._fd)

    def add(self, seq: Optional[int], body: str) -> None:
        self._write(f"+ {'-' if seq is None else seq} {body}\n")
        self._live += 1

    def acked(self, seq: int, removed: int) -> None:
        self._write(f"a {seq}\n")
        self._gone(removed, 1)

    def dropped(self) -> None:
        self._write("d\n")
        self._gone(1, 1)

    def refused(self, seq: int) -> None:
        self._write(f"x {seq}\n")
        self._gone(1, 1)

    def moved(self, old: int, new: int) -> None:
        self._write(f"r {old} {new}\n")
        self._dead += 1

    def next_seq(self, seq: int) -> None:
        self._write(f"n {seq}\n")
        self._dead += 1

    def _gone(self, removed: int, lines: int) -> None:
        self._live -= removed
        self._dead += removed + lines

    def should_compact(self) -> bool:
        return self._dead > COMPACT_AFTER and self._dead > self._live

    def rewrite(self, entries: Iterable[Tuple[Optional[int], str]],
                next_seq: Optional[int]) -> None:
        """Replaces the file with exactly these entries (and the next seq), atomically."""
        tmp = self.path + ".tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        live = 0
        try:
            chunks = [] if next_seq is None else [f"n {next_seq}\n"]
            for seq, body in entries:
                chunks.append(f"+ {'-' if seq is None else seq} {body}\n")
                live += 1
            data = "".join(chunks).encode("utf-8")
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            os.unlink(tmp)
            raise
        os.close(fd)
        os.replace(tmp, self.path)
        dir_fd = os.open(os.path.dirname(os.path.abspath(self.path)), os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        os.close(self._fd)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
        self._live, self._dead = live, 0

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1
