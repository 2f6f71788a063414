"""Typed values decoded from the hub's messages: stored envelopes, subscriber events, read-API
answers.

A snapshot keeps the hub's bytes: `Snapshot.raw` is the stored envelope exactly as the hub sent
it (protocol/README.md, section 5), also for an item of a `snapshots` batch, so a consumer can
archive or forward it byte for byte; `values` holds the same data as Python numbers. Splitting a
batch or an HTTP array decodes each item once with `json.JSONDecoder.raw_decode`, which also
gives the item's span. Nothing here does I/O.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Dict, List, Optional

_decoder = json.JSONDecoder()


@dataclass
class Snapshot:
    """One stored snapshot (an envelope). `sub` is the subscription id for subscriber events,
    None for read-API answers."""
    hub_seq: int
    crab: str
    seq: int
    received_at: float
    timestamp: Optional[float]
    values: Dict[str, Any]
    tags: Dict[str, str] = field(default_factory=dict)
    reply_to: Optional[str] = None
    sub: Optional[str] = None
    raw: str = field(default="", repr=False)

    @classmethod
    def from_dict(cls, d: Dict[str, Any], raw: str = "", sub: Optional[str] = None) -> "Snapshot":
        return cls(d["hub_seq"], d["crab"], d["seq"], d["received_at"], d.get("timestamp"),
                   d.get("values", {}), d.get("tags", {}), d.get("reply_to"), sub,
                   raw or json.dumps(d, separators=(",", ":"), ensure_ascii=False))

    def exact_values(self) -> Dict[str, Any]:
        """`values` with every non-integer number as a Decimal of the crab's own token
        (`12.50` stays Decimal('12.50')); `raw` holds the exact bytes."""
        return json.loads(self.raw, parse_float=Decimal)["values"]


@dataclass
class Gap:
    """`missed` live events of subscription `sub` between these hub_seqs were skipped because
    the hub's queue for this connection was full (overflow "drop")."""
    sub: str
    from_hub_seq: int
    to_hub_seq: int
    missed: int


@dataclass
class AlertGap:
    """Alert events the hub could not queue; resubscribe from from_alert_seq - 1 to get them."""
    sub: str
    from_alert_seq: int
    to_alert_seq: int
    missed: int


@dataclass
class CrabEvent:
    """A crab lifecycle event: `event` is "registered", "online" or "offline"; `at` is the
    hub's clock. Advisory: not replayed, dropped when the queue is full."""
    event: str
    crab: str
    at: float


@dataclass
class Alert:
    """One state change of one (rule, crab) pair, from an alert subscription or GET /v1/alerts.
    `data` holds every field the hub sent."""
    alert_seq: int
    rule: str
    crab: str
    state: str
    previous: str
    at: float
    severity: str
    condition: str
    reason: str
    values: Dict[str, Any]
    labels: Dict[str, str]
    hub_seq: int
    sub: Optional[str] = None
    data: Dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, d: Dict[str, Any], sub: Optional[str] = None) -> "Alert":
        return cls(d.get("alert_seq", 0), d.get("rule", ""), d.get("crab", ""),
                   d.get("state", ""), d.get("previous", ""), d.get("at", 0.0),
                   d.get("severity", ""), d.get("condition", ""), d.get("reason", ""),
                   d.get("values", {}), d.get("labels", {}), d.get("hub_seq", 0), sub, d)


@dataclass
class CrabInfo:
    """A row of GET /v1/crabs."""
    name: str
    online: bool
    seq: Optional[int]
    durable_seq: Optional[int]
    last_hub_seq: int
    last_received_at: Optional[float]
    buffered: int
    buffer_size: int
    stored: int
    accepted: int
    duplicates: int
    rejected: int

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "CrabInfo":
        return cls(d["name"], d.get("online", False), d.get("seq"), d.get("durable_seq"),
                   d.get("last_hub_seq", 0), d.get("last_received_at"), d.get("buffered", 0),
                   d.get("buffer_size", 0), d.get("stored", 0), d.get("accepted", 0),
                   d.get("duplicates", 0), d.get("rejected", 0))


@dataclass
class Point:
    """One downsampled bucket: start time `t`, snapshots in it, aggregated numeric values."""
    t: float
    count: int
    values: Dict[str, float]


@dataclass
class Points:
    """A downsampled records answer (`step` given)."""
    crab: str
    step: int
    agg: str
    points: List[Point]


@dataclass
class Missing:
    """A crab that did not answer POST /v1/collect in time."""
    crab: str
    code: str
    message: str


@dataclass
class CollectResult:
    snapshots: List[Snapshot]
    missing: List[Missing]


# --- decoding ---------------------------------------------------------------------------------

def split_array(text: str, start: int = 0, sub: Optional[str] = None):
    """Decodes the JSON array of envelopes that opens at text[start] ('['); returns the list of
    Snapshots (each with its exact bytes) and the index just past the closing ']'."""
    if text[start] != "[":
        raise ValueError("expected a JSON array")
    pos = start + 1
    out: List[Snapshot] = []
    if text[pos] == "]":
        return out, pos + 1
    while True:
        obj, end = _decoder.raw_decode(text, pos)
        out.append(Snapshot.from_dict(obj, text[pos:end], sub))
        c = text[end]
        if c == "]":
            return out, end + 1
        if c != ",":
            raise ValueError(f"unexpected {c!r} in an array at {end}")
        pos = end + 1


def parse_envelopes(text: str) -> List[Snapshot]:
    """A hub answer that is a JSON array of stored envelopes (buffer, raw records, latest)."""
    text = text.strip()
    try:
        return split_array(text)[0]
    except (ValueError, IndexError, KeyError):
        # Not the hub's compact form: decode it plainly (raw is then re-encoded, not exact).
        return [Snapshot.from_dict(d) for d in json.loads(text)]


_SNAPSHOT = '{"type":"snapshot","sub":'
_SNAPSHOTS = '{"type":"snapshots","sub":'
_ITEMS = ',"items":'


def decode_subscriber_message(text: str):
    """One hub -> subscriber message as (events, control): `events` is a list of Snapshot, Gap,
    AlertGap, CrabEvent or Alert; `control` is the decoded dict of any other message
    (subscribed, unsubscribed, acked, error), else None."""
    if text.startswith(_SNAPSHOTS):
        try:
            sub, end = _decoder.raw_decode(text, len(_SNAPSHOTS))
            if text.startswith(_ITEMS, end):
                return split_array(text, end + len(_ITEMS), sub)[0], None
        except (ValueError, IndexError, KeyError):
            pass
    elif text.startswith(_SNAPSHOT):
        try:
            sub, end = _decoder.raw_decode(text, len(_SNAPSHOT))
            if text[end] == ",":
                raw = "{" + text[end + 1:]
                return [Snapshot.from_dict(json.loads(raw), raw, sub)], None
        except (ValueError, IndexError, KeyError):
            pass
    msg = json.loads(text)
    if not isinstance(msg, dict):
        raise ValueError("hub message is not a JSON object")
    kind = msg.get("type")
    if kind == "snapshot":
        env = {k: v for k, v in msg.items() if k not in ("type", "sub")}
        return [Snapshot.from_dict(env, sub=msg.get("sub"))], None
    if kind == "snapshots":
        return [Snapshot.from_dict(i, sub=msg.get("sub")) for i in msg.get("items", [])], None
    if kind == "gap":
        if "from_alert_seq" in msg:
            return [AlertGap(msg["sub"], msg["from_alert_seq"], msg["to_alert_seq"],
                             msg["missed"])], None
        return [Gap(msg["sub"], msg["from_hub_seq"], msg["to_hub_seq"], msg["missed"])], None
    if kind == "crab":
        return [CrabEvent(msg["event"], msg["crab"], msg["at"])], None
    if kind == "alert":
        body = {k: v for k, v in msg.items() if k not in ("type", "sub")}
        return [Alert.from_dict(body, msg.get("sub"))], None
    return [], msg
