"""Crab against the real hub: push and ack, durability at the moment push returns, pipelining,
the queue across a hub kill -9, the spool across a restart of the Python crab itself, collect
answered through the callback, refusals mapped to typed errors."""
import asyncio

import pytest

from conftest import until
from octopus_client import Crab


async def test_push_returns_once_the_snapshot_is_durable(hub):
    async with Crab(hub.url, "edge-1") as crab:
        for i in range(1, 6):
            seq = await crab.push({"cpu": 10 + i, "up": True, "mode": "eco"}, tags={"host": "a"})
            assert seq == i
            # The JSONL line is on disk the moment push returns.
            stored = hub.records("edge-1")
            assert [r["seq"] for r in stored] == list(range(1, i + 1))
        assert stored[-1]["values"] == {"cpu": 15, "up": True, "mode": "eco"}
        assert stored[-1]["tags"] == {"host": "a"}
        assert crab.acked == 5 and crab.queued == 0
