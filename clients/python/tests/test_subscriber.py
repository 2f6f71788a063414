"""Subscriber against the real hub: snapshots from a Python crab, batch frames split into
events with their exact bytes, resume after a reconnect with no gap and no duplicate, durable
acks across a hub restart, queue groups, gaps and crab lifecycle events as typed events."""
import asyncio

from conftest import until
from octopus_client import Crab, CrabEvent, Gap, Snapshot, Subscriber


async def test_live_snapshots_from_a_python_crab(hub):
    async with Subscriber(hub.url, crabs=["edge-*"], start="now") as sub:
        await sub.wait_subscribed(10)
        async with Crab(hub.url, "edge-1") as crab:
            for i in range(3):
                await crab.push({"cpu": 1.5 + i})
            seen = []
            while len(seen) < 3:
                ev = await sub.next(10)
                if isinstance(ev, Snapshot):
                    seen.append(ev)
        assert [e.seq for e in seen] == [1, 2, 3]
        assert [e.values["cpu"] for e in seen] == [1.5, 2.5, 3.5]
        assert all(e.crab == "edge-1" and e.sub == "py" for e in seen)
        stored = hub.records("edge-1")
        assert [e.hub_seq for e in seen] == [r["hub_seq"] for r in stored]
