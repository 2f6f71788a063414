"""Typed errors: one exception class per family of hub error codes.

Every exception carries the hub's stable error code (protocol/README.md, section 6) in `code`,
its message in `message`, the HTTP status when there was one, and the refused snapshot's `seq`
when the hub named it. Codes the client makes up itself (no hub involved) are `queue_full`,
`unreachable`, `spool_locked` and `closed`. `error_for()` is the one place that maps a code to a
class, so an HTTP answer, a WebSocket `error` message and a close code all raise the same type.
"""
from __future__ import annotations

from typing import Optional


class OctopusError(Exception):
    """Base class: `code` is the hub's error code (or one of the client's own)."""

    def __init__(self, code: str, message: str = "", *, status: Optional[int] = None,
                 seq: Optional[int] = None):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message
        self.status = status
        self.seq = seq


class Unauthorized(OctopusError):
    """No token, or one the hub does not know (unknown, revoked, expired): 401, close 4401."""


class Forbidden(OctopusError):
    """A valid token without the scope, or a refused Origin/Host: 403, close 4403."""


class RateLimited(OctopusError):
    """Too many failed authentications from this address: 429 for 30 s."""


class BadRequest(OctopusError):
    """The hub refused what was sent: bad_json, bad_message, not_hello, not_found, ..."""


class BadName(BadRequest):
    """An invalid crab name (bad_name): ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$."""


class BadSnapshot(BadRequest):
    """A snapshot the hub (or the client's own check of the same rules) refuses:
    bad_snapshot, too_large, seq_regression."""


class QueueFull(OctopusError):
    """The crab's local queue of unacknowledged snapshots is full (code queue_full)."""


class HubUnavailable(OctopusError):
    """The hub cannot take the request now: unreachable, going away, overloaded, disk_full."""


class NotFound(OctopusError):
    """No such crab (unknown_crab) or route (not_found)."""


class Conflict(OctopusError):
    """The request conflicts with the hub's state: duplicate_crab, crab_offline, crab_online,
    too_many_subscriptions."""


class CrabOffline(Conflict):
    """collect to a crab that is known but has no live link (crab_offline)."""


class DuplicateCrab(Conflict):
    """Another live link holds the crab's name (duplicate_crab, close 4001)."""


class CollectTimeout(OctopusError, TimeoutError):
    """The crab did not answer a collect in time (timeout, 504)."""


class BadConfig(OctopusError):
    """POST /v1/admin/reload found a bad rules or token file (bad_config, 422)."""


class SpoolLocked(OctopusError):
    """Another process holds the spool file (spool_locked)."""


_BY_CODE = {
    "unauthorized": Unauthorized,
    "forbidden": Forbidden,
    "rate_limited": RateLimited,
    "bad_json": BadRequest,
    "bad_message": BadRequest,
    "not_hello": BadRequest,
    "already_hello": BadRequest,
    "not_found": NotFound,
    "method_not_allowed": BadRequest,
    "bad_name": BadName,
    "bad_snapshot": BadSnapshot,
    "too_large": BadSnapshot,
    "seq_regression": BadSnapshot,
    "queue_full": QueueFull,
    "unreachable": HubUnavailable,
    "going_away": HubUnavailable,
    "overloaded": HubUnavailable,
    "disk_full": HubUnavailable,
    "closed": HubUnavailable,
    "unknown_crab": NotFound,
    "duplicate_crab": DuplicateCrab,
    "crab_offline": CrabOffline,
    "crab_online": Conflict,
    "too_many_subscriptions": Conflict,
    "timeout": CollectTimeout,
    "bad_config": BadConfig,
    "spool_locked": SpoolLocked,
}

# HTTP status -> code, for answers whose body is not the hub's JSON error (a proxy, a 401 at a
# WebSocket upgrade, whose body the websockets library does not read).
_BY_STATUS = {
    400: "bad_message",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "duplicate_crab",
    413: "too_large",
    422: "bad_config",
    429: "rate_limited",
    502: "unreachable",
    503: "overloaded",
    504: "timeout",
    507: "disk_full",
}

# WebSocket close codes the hub uses on purpose (protocol/README.md, section 7).
CLOSE_CODES = {
    1001: ("going_away", "the hub is shutting down"),
    1002: ("not_hello", "protocol error"),
    1009: ("too_large", "message too big"),
    4001: ("duplicate_crab", "another live link holds this crab's name"),
    4003: ("timeout", "the hub found this crab silent (heartbeat polling)"),
    4008: ("overloaded", "closed as a slow consumer"),
    4401: ("unauthorized", "the token was revoked or has expired"),
    4403: ("forbidden", "the token does not cover this crab"),
}


def error_for(code: str, message: str = "", *, status: Optional[int] = None,
              seq: Optional[int] = None) -> OctopusError:
    """The typed exception for a hub error code (OctopusError for a code it does not know)."""
    cls = _BY_CODE.get(code, OctopusError)
    return cls(code, message, status=status, seq=seq)


def error_for_status(status: int, message: str = "") -> OctopusError:
    code = _BY_STATUS.get(status, "unreachable" if status >= 500 else "bad_message")
    return error_for(code, message or f"HTTP {status}", status=status)


def error_for_close(close_code: int, reason: str = "") -> OctopusError:
    code, what = CLOSE_CODES.get(close_code, ("closed", "connection closed"))
    return error_for(code, f"{what} (close {close_code}{': ' + reason if reason else ''})")


# Errors that no retry can fix: a client gives up and raises them instead of reconnecting.
FATAL = (Unauthorized, Forbidden, BadName)
