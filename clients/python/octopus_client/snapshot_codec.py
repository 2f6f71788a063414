"""Snapshots to wire text, checked against the hub's rules before they leave the process.

The crab encodes each snapshot once, at push time, into its `body` (the JSON fields after
`"seq":N,`); frames are then built by concatenation, so a resend after a reconnect sends the
very bytes of the first attempt. Checking here the rules of protocol/README.md section 3
(finite numbers, key and string sizes, counts) makes a bad push fail at once, in the caller's
stack, with the same code the hub would use; the hub still checks everything. Numbers: int and
float as Python writes them (float is shortest round-trip), Decimal as its own text, so a crab
that needs an exact token (`12.50`) passes Decimal("12.50").
"""
from __future__ import annotations

import json
import math
import numbers
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Dict, Mapping, Optional, Tuple

from .errors import BadSnapshot

_dumps_str = json.JSONEncoder(ensure_ascii=False).encode


@dataclass(frozen=True)
class Limits:
    """The hub's [limits] (defaults as in config/octopus.toml); pass the hub's own values when
    it is configured differently."""
    max_values: int = 256
    max_tags: int = 32
    max_key_bytes: int = 128
    max_string_bytes: int = 256
    max_frame_bytes: int = 65536
    max_batch: int = 1000


DEFAULT_LIMITS = Limits()

# Bytes a body can need around it in a frame: '{"type":"snapshot","seq":' + 16 digits + ','
# + '}', or a batch item's '{"seq":N,' + '},' plus the reply_to field of a collect answer
# (64 bytes escaped at most 6 times over).
FRAME_OVERHEAD = 48 + 16 + 14 + 6 * 64
BATCH_OVERHEAD = 48


def _utf8_len(text: str, what: str) -> int:
    if text.isascii():
        return len(text)
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise BadSnapshot("bad_snapshot", f"{what} is not valid Unicode text") from None


# Keys repeat in every snapshot of a crab: each is checked and escaped once, then looked up.
_KEYS: Dict[str, Tuple[str, int]] = {}
_KEYS_MAX = 4096


def _key(key: Any, where: str, limits: Limits) -> str:
    known = _KEYS.get(key) if type(key) is str else None
    if known is None:
        if not isinstance(key, str):
            raise BadSnapshot("bad_snapshot", f"{where} keys must be strings, got {key!r}")
        known = (_dumps_str(key), _utf8_len(key, f"{where} key"))
        if len(_KEYS) >= _KEYS_MAX:
            _KEYS.clear()
        _KEYS[key] = known
    if not 1 <= known[1] <= limits.max_key_bytes:
        raise BadSnapshot("bad_snapshot", f"{where} key {key[:32]!r} must be 1 to "
                                          f"{limits.max_key_bytes} bytes, is {known[1]}")
    return known[0]


_float_repr = float.__repr__
_int_repr = int.__repr__


def _number(value: Any) -> Optional[str]:
    """The JSON token of a finite number, or None when `value` is not a finite number."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return _int_repr(value)
    if isinstance(value, float):
        return _float_repr(value) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return str(value) if value.is_finite() else None
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        f = float(value)
        return repr(f) if math.isfinite(f) else None
    return None


def _string(value: str, where: str, key: str, limits: Limits) -> str:
    n = _utf8_len(value, f"{where}.{key}")
    if n > limits.max_string_bytes:
        raise BadSnapshot("bad_snapshot", f"{where}.{key} is a string of {n} bytes, more "
                                          f"than max_string_bytes {limits.max_string_bytes}")
    return _dumps_str(value)


def _value_token(value: Any, where: str, key: str, limits: Limits) -> str:
    t = type(value)  # exact types first: the common case costs one comparison
    if t is float:
        if value - value == 0.0:  # finite (inf - inf and nan - nan are nan)
            return _float_repr(value)
    elif t is int:
        return _int_repr(value)
    elif t is str:
        return _string(value, where, key, limits)
    else:
        token = _number(value)
        if token is not None:
            return token
    raise BadSnapshot("bad_snapshot", f"{where}.{key} must be a finite number, boolean or "
                                      f"string, got {value!r}")


def _tag_token(value: Any, where: str, key: str, limits: Limits) -> str:
    if not isinstance(value, str):
        raise BadSnapshot("bad_snapshot", f"{where}.{key} must be a string, got {value!r}")
    return _string(value, where, key, limits)


def _encode_object(mapping: Any, where: str, most: int, limit_name: str, token,
                   limits: Limits) -> str:
    """A flat JSON object of `mapping`, each value through `token`, with the hub's checks."""
    if not isinstance(mapping, Mapping):
        raise BadSnapshot("bad_snapshot", f"{where} must be a mapping, got "
                                          f"{type(mapping).__name__}")
    if len(mapping) > most:
        raise BadSnapshot("too_large", f"{where} has {len(mapping)} keys, more than "
                                       f"{limit_name} {most}")
    key = _key
    parts = [key(k, where, limits) + ":" + token(v, where, k, limits)
             for k, v in mapping.items()]
    return "{" + ",".join(parts) + "}"


def encode_values(values: Mapping[str, Any], limits: Limits = DEFAULT_LIMITS) -> str:
    return _encode_object(values, "values", limits.max_values, "max_values", _value_token,
                          limits)


def encode_tags(tags: Optional[Mapping[str, str]], limits: Limits = DEFAULT_LIMITS) -> str:
    if not tags:
        return "{}"
    return _encode_object(tags, "tags", limits.max_tags, "max_tags", _tag_token, limits)


def encode_body(values: Mapping[str, Any], timestamp: Optional[float] = None,
                tags: Optional[Mapping[str, str]] = None,
                limits: Limits = DEFAULT_LIMITS) -> Tuple[str, int]:
    """`"timestamp":T,"values":{...},"tags":{...}`, a snapshot's fields after its seq, and its
    size in bytes. timestamp None means now (this machine's clock)."""
    if timestamp is None:
        timestamp = time.time()
    ts = _number(timestamp)
    if ts is None or isinstance(timestamp, bool):
        raise BadSnapshot("bad_snapshot", f"timestamp must be a finite number (Unix seconds), "
                                          f"got {timestamp!r}")
    body = f'"timestamp":{ts},"values":{encode_values(values, limits)},' \
           f'"tags":{encode_tags(tags, limits)}'
    size = len(body) if body.isascii() else len(body.encode("utf-8"))
    if size + FRAME_OVERHEAD > limits.max_frame_bytes:
        raise BadSnapshot("too_large", f"snapshot of {size} bytes does not fit in "
                                       f"max_frame_bytes {limits.max_frame_bytes}")
    return body, size


def with_reply_to(body: str, reply_to: str) -> str:
    """The body of a collect answer: the snapshot's fields and "reply_to"."""
    return f'{body},"reply_to":{_dumps_str(reply_to)}'


def snapshot_item(seq: int, body: str) -> str:
    """One snapshot object without "type": a batch item."""
    return f'{{"seq":{seq},{body}}}'


def snapshot_frame(seq: int, body: str) -> str:
    return f'{{"type":"snapshot","seq":{seq},{body}}}'


def batch_frame(items) -> str:
    return '{"type":"snapshots","items":[' + ",".join(items) + "]}"
