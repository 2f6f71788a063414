"""octopus-py-crab: samples this machine from /proc and streams the snapshots to a hub over
/v1/crab, the Python twin of octopus-crab (same flags, same keys, same exit codes), plus a
spool file so a restarted crab resends what the hub did not acknowledge.
Exit codes: 0 on SIGINT/SIGTERM or after --count acks, 2 on bad usage, 1 on a fatal error
(a refused token or scope, a crab name the hub refuses, an unreadable spool).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import re
import signal
import sys
from typing import List, Optional

from .address import parse_hub, read_token, tls_context
from .crab import NAME_RE, Crab
from .errors import OctopusError
from .proc_sampler import ProcSampler
from .sampling import collect_answer, sample_forever

log = logging.getLogger("octopus_client.cli")

MAX_INTERVAL_S = 24 * 3600


def parse_interval(text: str) -> float:
    """"2" and "2s" are seconds, "500ms" milliseconds, fractions allowed; 0: collect only."""
    m = re.fullmatch(r"([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(s|ms)?", text)
    if not m:
        raise argparse.ArgumentTypeError(f"--interval must look like 1s, 500ms or 2, got "
                                         f"{text!r}")
    seconds = float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)
    if seconds > MAX_INTERVAL_S:
        raise argparse.ArgumentTypeError(f"--interval must be at most 24h, got {text!r}")
    return seconds


def _name(text: str) -> str:
    if not NAME_RE.match(text):
        raise argparse.ArgumentTypeError(f"invalid --name {text!r}: use 1-64 of [A-Za-z0-9._-], "
                                         f"starting with a letter or digit")
    return text


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return int(text)


def _hub(text: str) -> str:
    if not text.startswith(("ws://", "wss://")):
        raise argparse.ArgumentTypeError(f"--hub must start with ws:// or wss://, got {text!r}")
    try:
        parse_hub(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"--hub: {e}") from None
    return text


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="octopus-py-crab",
        description="Samples this machine (/proc) and streams snapshots to an Octopus hub.")
    p.add_argument("--hub", required=True, type=_hub,
                   help="hub address, ws[s]://HOST[:PORT] (port 8765 when omitted)")
    p.add_argument("--name", required=True, type=_name,
                   help="crab name, [A-Za-z0-9][A-Za-z0-9._-]{0,63}")
    p.add_argument("--interval", type=parse_interval, default=1.0,
                   help="time between samples: seconds, or with an s/ms suffix (default 1s); "
                        "0 samples only when the hub asks (collect)")
    p.add_argument("--count", type=_positive,
                   help="exit 0 once N snapshots have been acknowledged")
    p.add_argument("--spool", help="file that keeps unacknowledged snapshots across restarts")
    p.add_argument("--queue", type=_positive, default=10000,
                   help="unacknowledged snapshots kept; beyond, the oldest is dropped "
                        "(default 10000)")
    p.add_argument("--ca", help="CA bundle that signs the hub's certificate (wss://; default: "
                                "the system's trust store)")
    p.add_argument("--cert", help="client certificate, for a hub that requires one")
    p.add_argument("--key", help="the client certificate's key")
    p.add_argument("--token-file", help="file holding the token (default: $OCTOPUS_TOKEN when "
                                        "set)")
    p.add_argument("-v", "--verbose", action="store_true", help="log every reconnect")
    return p


async def run(args) -> int:
    ssl = None
    if args.hub.startswith("wss://"):
        ssl = tls_context(args.ca, args.cert, args.key)
    elif args.ca or args.cert or args.key:
        raise ValueError("--ca, --cert and --key need a wss:// hub")
    token = read_token(args.token_file)
    sampler = ProcSampler()
    crab = Crab(args.hub, args.name, token, ssl, on_collect=collect_answer(sampler.sample, False),
                queue_size=args.queue, overflow="drop_oldest", spool=args.spool, window=64)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signo in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signo, stop.set)
    await crab.start()
    log.info("crab %s: hub %s, interval %g s", args.name, args.hub, args.interval)
    tasks = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(crab.wait_stopped())]
    if args.interval > 0:
        tasks.append(asyncio.ensure_future(sample_forever(crab, sampler.sample, args.interval)))
    if args.count:
        tasks.append(asyncio.ensure_future(crab.wait_acked(args.count)))
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for t in done:
            t.result()  # a crab that gave up raises its error here
        if args.count and crab.acked >= args.count:
            log.info("crab %s: %d snapshots acknowledged, done", args.name, crab.acked)
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await crab.close(timeout=2.0)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s octopus-py-crab: %(message)s", stream=sys.stderr)
    if not args.verbose:
        logging.getLogger("octopus_client.cli").setLevel(logging.INFO)
    try:
        return asyncio.run(run(args))
    except (OctopusError, OSError, ValueError) as e:
        log.error("%s", e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
