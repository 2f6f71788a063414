"""HubApi: the hub's HTTP read and control API (protocol/README.md, Routes).

`SyncHubApi` does the work with the standard library's http.client, one connection per
request (nothing shared between threads, nothing to go stale); `HubApi` is the asyncio face of
the same methods, each run in a worker thread so the event loop never waits on a socket. Every
non-200 answer raises the typed error of the hub's JSON error code (errors.error_for); a hub
that cannot be reached raises HubUnavailable. Crab names are checked before they become a path.
"""
from __future__ import annotations

import asyncio
import datetime as _dt
import functools
import http.client
import json
import socket
import ssl as _ssl
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import quote, urlencode

from . import __version__
from .address import SslArg, auth_headers, parse_hub, resolve_ssl
from .crab import check_name
from .errors import HubUnavailable, error_for, error_for_status
from .events import (Alert, CollectResult, CrabInfo, Missing, Point, Points, Snapshot,
                     parse_envelopes, split_array)
from .snapshot_codec import encode_body

Time = Union[None, float, int, _dt.datetime]


def _seconds(t: Time, what: str) -> Optional[str]:
    if t is None:
        return None
    if isinstance(t, _dt.datetime):
        if t.tzinfo is None:
            raise ValueError(f"{what} must be timezone-aware")
        t = t.timestamp()
    if isinstance(t, bool) or not isinstance(t, (int, float)):
        raise ValueError(f"{what} must be Unix seconds or a datetime, got {t!r}")
    return repr(t) if isinstance(t, float) else str(t)


class SyncHubApi:
    """Blocking calls to the hub's HTTP API. url: http(s)://HOST:PORT (ws(s):// works too);
    token: sent as Authorization: Bearer; ssl: an SSLContext or a CA file for https."""

    def __init__(self, url: str, token: Optional[str] = None, ssl: SslArg = None,
                 timeout: float = 10.0):
        self.address = parse_hub(url)
        self._ssl = resolve_ssl(self.address, ssl)
        self._headers = auth_headers(token)
        self._headers["User-Agent"] = f"octopus-py/{__version__}"
        self.timeout = timeout

    # --- transport ----------------------------------------------------------------------------

    def request(self, method: str, path: str, body: Optional[str] = None,
                query: Optional[Mapping[str, Any]] = None, timeout: Optional[float] = None,
                ok: Tuple[int, ...] = (200,)) -> Tuple[int, str]:
        """One request; (status, body text) for a status in `ok`, else the typed error."""
        if query:
            path += "?" + urlencode({k: v for k, v in query.items() if v is not None},
                                    safe=",", quote_via=quote)
        host = self.address.bare_host
        timeout = timeout or self.timeout
        if self._ssl is not None:
            conn = http.client.HTTPSConnection(host, self.address.port, timeout=timeout,
                                               context=self._ssl)
        else:
            conn = http.client.HTTPConnection(host, self.address.port, timeout=timeout)
        headers = dict(self._headers)
        data = None
        if body is not None:
            data = body.encode("utf-8")
            headers["Content-Type"] = "application/json"
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8")
            status = response.status
        except _ssl.SSLCertVerificationError as e:
            raise HubUnavailable("unreachable", f"{self.address.http}: TLS: certificate verify "
                                                f"failed: {e.verify_message}") from None
        except (OSError, http.client.HTTPException, socket.timeout) as e:
            raise HubUnavailable("unreachable", f"{method} {self.address.http}{path}: "
                                                f"{e or type(e).__name__}") from None
        finally:
            conn.close()
        if status in ok:
            return status, text
        try:
            err = json.loads(text)
            code, message = err["code"], err.get("message", "")
        except (ValueError, KeyError, TypeError):
            raise error_for_status(status, f"{method} {path}: HTTP {status}") from None
        raise error_for(code, message, status=status)

    def _get_json(self, path: str, query=None, timeout=None) -> Any:
        return json.loads(self.request("GET", path, query=query, timeout=timeout)[1])

    @staticmethod
    def _crab_path(name: str, tail: str = "") -> str:
        return f"/v1/crabs/{check_name(name)}{tail}"

    # --- reads --------------------------------------------------------------------------------

    def healthz(self) -> Dict[str, Any]:
        """{"status":"ok","hub_seq":N}, or for a hub answering 503 its "stopping" or
        "degraded" body (with "problem", e.g. "disk_full: ..."), returned, not raised."""
        return json.loads(self.request("GET", "/healthz", ok=(200, 503))[1])

    def crabs(self) -> List[CrabInfo]:
        """Every crab the token may read, sorted by name."""
        return [CrabInfo.from_dict(d) for d in self._get_json("/v1/crabs")]

    def crab(self, name: str) -> CrabInfo:
        return CrabInfo.from_dict(self._get_json(self._crab_path(name)))

    def buffer(self, name: str) -> List[Snapshot]:
        """The crab's ring buffer, oldest first, each envelope with its exact bytes."""
        return parse_envelopes(self.request("GET", self._crab_path(name, "/buffer"))[1])

    def latest(self) -> List[Snapshot]:
        """The newest stored snapshot of every readable crab that has one."""
        return parse_envelopes(self.request("GET", "/v1/latest")[1])

    def records(self, name: str, since: Time = None, until: Time = None,
                step: Optional[int] = None, agg: Optional[str] = None,
                keys: Optional[Sequence[str]] = None) -> Union[List[Snapshot], Points]:
        """A time window [since, until) of the crab's snapshots: raw envelopes, or with `step`
        (seconds) downsampled points aggregated by `agg` (avg, min, max, last)."""
        if agg is not None and step is None:
            raise ValueError("agg needs step")
        query = {"since": _seconds(since, "since"), "until": _seconds(until, "until"),
                 "step": step, "agg": agg, "keys": ",".join(keys) if keys else None}
        text = self.request("GET", self._crab_path(name, "/records"), query=query)[1]
        if step is None:
            return parse_envelopes(text)
        d = json.loads(text)
        return Points(d["crab"], d["step"], d["agg"],
                      [Point(p["t"], p["count"], p["values"]) for p in d["points"]])

    def alerts(self) -> List[Alert]:
        """The pending and firing alerts."""
        return [Alert.from_dict(d) for d in self._get_json("/v1/alerts")]

    def whoami(self) -> Dict[str, Any]:
        return self._get_json("/v1/whoami")

    def stats(self) -> Dict[str, Any]:
        """GET /v1/hub/stats (needs the metrics scope with tokens)."""
        return self._get_json("/v1/hub/stats")

    def metrics(self) -> str:
        """GET /metrics, Prometheus text."""
        return self.request("GET", "/metrics")[1]

    # --- collect and push ---------------------------------------------------------------------

    def collect_once(self, name: str, timeout: float = 2.0) -> Snapshot:
        """Asks the crab for a fresh snapshot and returns it as stored (with its reply_to).
        CrabOffline, UnknownCrab (NotFound) or CollectTimeout when it cannot."""
        ms = max(1, round(timeout * 1000))
        text = self.request("POST", self._crab_path(name, "/collect"),
                            query={"timeout_ms": ms}, timeout=timeout + self.timeout)[1]
        return parse_envelopes("[" + text + "]")[0]

    def collect_all(self, timeout: float = 2.0) -> CollectResult:
        """Asks every online crab at once; the answers and who did not answer in time."""
        ms = max(1, round(timeout * 1000))
        text = self.request("POST", "/v1/collect", query={"timeout_ms": ms},
                            timeout=timeout + self.timeout)[1]
        start = text.index('"snapshots":') + len('"snapshots":')
        snapshots, _ = split_array(text, start)
        missing = [Missing(m["crab"], m["code"], m.get("message", ""))
                   for m in json.loads(text)["missing"]]
        return CollectResult(snapshots, missing)

    def push(self, name: str, values: Mapping[str, Any], timestamp: Optional[float] = None,
             tags: Optional[Mapping[str, str]] = None, seq: Optional[int] = None) -> int:
        """HTTP push of one snapshot (for a crab with no socket); returns the crab's durable
        seq once the hub has it on disk. Without `seq` the hub assigns the next one, so a
        retry after a lost answer may store it twice: pass seq to make retries safe."""
        return self.push_many(name, [(values, timestamp, tags, seq)])

    def push_many(self, name: str,
                  items: Iterable[Tuple[Mapping[str, Any], Optional[float],
                                        Optional[Mapping[str, str]], Optional[int]]]) -> int:
        """One request with many snapshots, (values, timestamp, tags, seq) each; atomic."""
        parts = []
        for values, timestamp, tags, seq in items:
            body, _ = encode_body(values, timestamp, tags)
            parts.append("{" + (f'"seq":{int(seq)},' if seq is not None else "") + body + "}")
        payload = '{"type":"snapshots","items":[' + ",".join(parts) + "]}"
        text = self.request("POST", self._crab_path(name, "/snapshots"), body=payload)[1]
        return json.loads(text)["seq"]

    # --- admin --------------------------------------------------------------------------------

    def reload(self) -> Dict[str, Any]:
        """Re-reads the alert rules, the token file and the TLS certificate (admin scope);
        BadConfig with FILE:LINE:COLUMN when one is wrong."""
        return json.loads(self.request("POST", "/v1/admin/reload")[1])

    def reset_seq(self, name: str, seq: int = 0) -> Dict[str, Any]:
        """Lowers an offline crab's seq (admin scope)."""
        path = f"/v1/admin/crabs/{check_name(name)}/reset-seq"
        return json.loads(self.request("POST", path, body=json.dumps({"seq": seq}))[1])


class HubApi:
    """The same calls as SyncHubApi, as coroutines: `await HubApi(url).crabs()`. Each runs in
    a worker thread (asyncio.to_thread), so slow answers (collect, records) never hold the
    event loop."""

    def __init__(self, url: str, token: Optional[str] = None, ssl: SslArg = None,
                 timeout: float = 10.0):
        self.sync = SyncHubApi(url, token, ssl, timeout)

    @property
    def address(self):
        return self.sync.address

    async def __aenter__(self) -> "HubApi":
        return self

    async def __aexit__(self, *exc) -> None:
        return None


def _async_method(name: str):
    blocking = getattr(SyncHubApi, name)

    @functools.wraps(blocking)
    async def method(self, *args, **kwargs):
        return await asyncio.to_thread(blocking, self.sync, *args, **kwargs)
    return method


for _name in ("request", "healthz", "crabs", "crab", "buffer", "latest", "records", "alerts",
              "whoami", "stats", "metrics", "collect_once", "collect_all", "push", "push_many",
              "reload", "reset_seq"):
    setattr(HubApi, _name, _async_method(_name))
