"""Opening a WebSocket to the hub (websockets 10.4, `websockets.client.connect`), with every
failure turned into the client's typed errors.

The token goes in the `Authorization: Bearer` header of the upgrade; a refusal there is a plain
HTTP answer (401, 403, 429) that becomes Unauthorized, Forbidden or RateLimited. Everything
that means "no hub here right now" (refused, reset, DNS, TLS handshake, timeout) becomes
HubUnavailable, which callers retry with backoff. Compression is off: hub frames are small and
the hub's CPU is better spent elsewhere. The token never reaches a log line.
"""
from __future__ import annotations

import asyncio
import logging
import ssl as _ssl
from typing import Optional

import websockets.client
import websockets.exceptions

from . import __version__
from .address import HubAddress, auth_headers
from .errors import HubUnavailable, error_for_close, error_for_status, OctopusError

class _RedactAuthorization(logging.Filter):
    """websockets logs every handshake header at DEBUG: never the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 2 and isinstance(args[0], str) \
                and args[0].lower() == "authorization":
            record.args = (args[0], "Bearer [redacted]")
        return True


# The library's connection logs go through this logger (a child of "websockets.client", so
# its level and handlers apply) with the token taken out.
WS_LOG = logging.getLogger("websockets.client.octopus")
WS_LOG.addFilter(_RedactAuthorization())

# Hub -> client frames: acks and collects are tiny; a subscriber batch holds 64 envelopes of
# at most max_frame_bytes each, so 8 MiB is generous without being unbounded.
MAX_MESSAGE_BYTES = 8 * 1024 * 1024


async def open_ws(address: HubAddress, path: str, token: Optional[str],
                  ssl_ctx: Optional[_ssl.SSLContext], open_timeout: float = 10.0,
                  max_queue: int = 32) -> websockets.client.WebSocketClientProtocol:
    url = address.ws + path
    headers = auth_headers(token)
    headers["User-Agent"] = f"octopus-py/{__version__}"
    try:
        return await websockets.client.connect(
            url, extra_headers=headers, ssl=ssl_ctx, open_timeout=open_timeout,
            ping_interval=20, ping_timeout=20, close_timeout=2, max_size=MAX_MESSAGE_BYTES,
            max_queue=max_queue, compression=None, logger=WS_LOG,
            server_hostname=address.bare_host if ssl_ctx else None)
    except websockets.exceptions.InvalidStatusCode as e:
        raise error_for_status(e.status_code, f"HTTP {e.status_code} at the WebSocket upgrade "
                                              f"to {url}") from None
    except _ssl.SSLCertVerificationError as e:
        raise HubUnavailable("unreachable", f"{url}: TLS: certificate verify failed: "
                                            f"{e.verify_message}") from None
    except (OSError, asyncio.TimeoutError, websockets.exceptions.InvalidHandshake,
            websockets.exceptions.InvalidMessage, EOFError) as e:
        raise HubUnavailable("unreachable", f"{url}: {e or type(e).__name__}") from None


def closed_error(ws, default: str = "the hub closed the connection") -> OctopusError:
    """The typed error for a connection the hub ended: its close code, or HubUnavailable."""
    code = ws.close_code
    if code is None or code == 1006:
        return HubUnavailable("unreachable", f"{default} (no close frame)")
    if code == 1000:
        return HubUnavailable("closed", default)
    return error_for_close(code, ws.close_reason or "")
