"""A Python crab in its own process, for the spool tests: reads commands from stdin and
answers each with one line on stdout, so the test can drive it step by step and kill -9 it
at a chosen point.

    push A B     push() values A..B one by one, each awaited (acknowledged)
    queue A B    push_nowait() values A..B
    flush        wait until every queued snapshot is acknowledged
    exit         close and exit 0

Each snapshot's values are {"i": N}. Every answer: `ok CMD acked=N queued=M connects=C`.
"""
import argparse
import asyncio
import sys

from octopus_client import Crab


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hub", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--spool", required=True)
    args = ap.parse_args()
    crab = Crab(args.hub, args.name, spool=args.spool, backoff=(0.05, 0.2))
    await crab.start()
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        cmd, *nums = line.split()
        if cmd == "push":
            for i in range(int(nums[0]), int(nums[1]) + 1):
                await crab.push({"i": i}, timeout=30)
        elif cmd == "queue":
            for i in range(int(nums[0]), int(nums[1]) + 1):
                crab.push_nowait({"i": i})
        elif cmd == "flush":
            await crab.flush(30)
        elif cmd == "exit":
            await crab.close()
            print("ok exit", flush=True)
            return
        print(f"ok {cmd} acked={crab.acked} queued={crab.queued} connects={crab.connects}",
              flush=True)


asyncio.run(main())
