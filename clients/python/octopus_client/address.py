"""Where the hub is and how to reach it: URL parsing, TLS contexts, tokens, backoff.

One hub address serves every endpoint (the crab and subscriber WebSockets and the HTTP API), so
each class takes the same forms: ws://, wss://, http://, https:// or a bare HOST[:PORT] (ws, port
8765). A path is refused, as octopus-crab refuses one. A token travels only as an
`Authorization: Bearer` header, never in a URL.
"""
from __future__ import annotations

import os
import random
import ssl as _ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Union
from urllib.parse import urlsplit

DEFAULT_PORT = 8765

SslArg = Union[None, bool, str, Path, _ssl.SSLContext]


@dataclass(frozen=True)
class HubAddress:
    host: str  # as written in the URL, brackets kept for IPv6 literals
    port: int
    tls: bool

    @property
    def ws(self) -> str:
        return f"{'wss' if self.tls else 'ws'}://{self.host}:{self.port}"

    @property
    def http(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    @property
    def bare_host(self) -> str:
        return self.host[1:-1] if self.host.startswith("[") else self.host


def parse_hub(url: str) -> HubAddress:
    """ws://h:p, wss://, http://, https:// or h[:p]; raises ValueError with the reason."""
    if not isinstance(url, str) or not url:
        raise ValueError(f"hub address must be a non-empty string, got {url!r}")
    text = url if "://" in url else "ws://" + url
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("ws", "wss", "http", "https"):
        raise ValueError(f"hub address must start with ws://, wss://, http:// or https://, "
                         f"got {url!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"hub address takes no path or query (the client picks the "
                         f"endpoint), got {url!r}")
    if parts.username or parts.password:
        raise ValueError("hub address must not carry credentials; pass token=")
    host = parts.hostname
    if not host:
        raise ValueError(f"hub address has no host: {url!r}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"hub address has a bad port: {url!r}") from None
    if ":" in host:
        host = f"[{host}]"
    return HubAddress(host, port if port is not None else DEFAULT_PORT,
                      scheme in ("wss", "https"))


def tls_context(ca: Union[None, str, Path] = None, cert: Union[None, str, Path] = None,
                key: Union[None, str, Path] = None) -> _ssl.SSLContext:
    """A client context that verifies the hub: against `ca` (a PEM file) or the system's trust
    store, with an optional client certificate for a hub that requires one (mutual TLS)."""
    ctx = _ssl.create_default_context(cafile=str(ca) if ca else None)
    ctx.minimum_version = _ssl.TLSVersion.TLSv1_2
    if cert:
        ctx.load_cert_chain(str(cert), str(key) if key else None)
    elif key:
        raise ValueError("a client key needs its certificate (cert=)")
    return ctx


def resolve_ssl(address: HubAddress, ssl: SslArg) -> Optional[_ssl.SSLContext]:
    """The SSLContext for this address: None for ws/http; for wss/https the given context, a
    context trusting the given CA file, or the system's trust store (ssl None or True)."""
    if not address.tls:
        if isinstance(ssl, (_ssl.SSLContext, str, Path)):
            raise ValueError(f"ssl= given but the hub address {address.ws} is not wss:// or "
                             f"https://")
        return None
    if isinstance(ssl, _ssl.SSLContext):
        return ssl
    if ssl is False:
        raise ValueError("a wss:// or https:// hub needs TLS; ssl=False is refused")
    if isinstance(ssl, (str, Path)):
        return tls_context(ca=ssl)
    return tls_context()


def auth_headers(token: Optional[str]) -> Dict[str, str]:
    if token is None:
        return {}
    token = token.strip()
    if not token or any(c.isspace() for c in token):
        raise ValueError("token must be one word (the text `octopus token add` printed)")
    return {"Authorization": "Bearer " + token}


def read_token(path: Union[str, Path, None] = None) -> Optional[str]:
    """The token in `path` (surrounding whitespace removed), else $OCTOPUS_TOKEN, else None."""
    if path:
        text = Path(path).read_text(encoding="utf-8").strip()
        if not text:
            raise ValueError(f"token file {path} is empty")
        return text
    env = os.environ.get("OCTOPUS_TOKEN", "").strip()
    return env or None


class Backoff:
    """Exponential reconnect delays with jitter: each failure doubles the ceiling (from `low`
    to `high` seconds) and the delay is drawn from its upper half, so many clients that lost
    the same hub do not all come back in the same instant."""

    def __init__(self, low: float = 0.1, high: float = 5.0):
        if not 0 < low <= high:
            raise ValueError("backoff needs 0 < low <= high")
        self.low, self.high = low, high
        self._ceiling = low

    def next(self) -> float:
        delay = random.uniform(self._ceiling / 2, self._ceiling)
        self._ceiling = min(self._ceiling * 2, self.high)
        return max(delay, self.low / 2)

    def reset(self) -> None:
        self._ceiling = self.low
