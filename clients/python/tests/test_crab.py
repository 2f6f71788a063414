"""Crab against the real hub: push and ack, durability at the moment push returns, pipelining,
the queue across a hub kill -9, the spool across a restart of the Python crab itself, collect
answered through the callback, refusals mapped to typed errors."""
import asyncio
import subprocess

import pytest

from conftest import HERE, PYTHON, Proxy, child_env, until
from octopus_client import Crab, HubApi


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


async def test_pipelined_pushes_are_stored_once_in_order(hub):
    async with Crab(hub.url, "edge-p", window=500, batch=100) as crab:
        for i in range(1, 2001):
            crab.push_nowait({"i": i}, timestamp=1732778016 + i)
        await crab.flush(30)
        assert crab.acked == 2000 and crab.acked_seq == 2000
    rows = hub.records("edge-p")
    assert [r["seq"] for r in rows] == list(range(1, 2001))
    assert [r["values"]["i"] for r in rows] == list(range(1, 2001))


async def test_queue_resends_across_a_hub_kill9(hub):
    """Snapshots acked, in flight and queued while the hub is dead: after the restart every
    one is stored exactly once."""
    async with Crab(hub.url, "edge-k", backoff=(0.05, 0.3)) as crab:
        for i in range(1, 201):
            crab.push_nowait({"i": i})
        await crab.flush(30)
        for i in range(201, 401):
            crab.push_nowait({"i": i})
        for _ in range(3):
            await asyncio.sleep(0)  # the writer sends some frames; no ack is read before the kill
        hub.kill9()
        for i in range(401, 601):
            crab.push_nowait({"i": i})
        assert crab.acked < 600
        await asyncio.to_thread(hub.restart)
        await crab.flush(30)
        assert crab.connects >= 2
    rows = hub.records("edge-k")
    assert [r["seq"] for r in rows] == list(range(1, 601))
    assert [r["values"]["i"] for r in rows] == list(range(1, 601))


async def test_spool_survives_a_restart_of_the_python_crab(hub, procs, tmp_path):
    """Process A pushes through a proxy; the hub stores 51..100 but A never hears the acks;
    A queues 101..150 with no hub in reach and is killed -9. Process B, on the same spool,
    sends what the hub lacks: every snapshot is stored exactly once."""
    proxy = await Proxy.start(hub.port)
    spool = tmp_path / "edge-s.spool"
    argv = [PYTHON, HERE / "spool_crab.py", "--name", "edge-s", "--spool", spool]
    a = procs(argv + ["--hub", proxy.url], env=child_env(), stdin=True)
    await asyncio.to_thread(a.ask, "push 1 50")
    proxy.mute()
    await asyncio.to_thread(a.ask, "queue 51 100")
    await until(lambda: hub.get("/v1/crabs/edge-s")["durable_seq"] == 100, 15, "seq 100 stored")
    proxy.cut(refuse=True)
    answer = await asyncio.to_thread(a.ask, "queue 101 150")
    assert "acked=50 queued=100" in answer
    a.kill9()
    await proxy.close()
    b = procs(argv + ["--hub", hub.url], env=child_env(), stdin=True)
    await asyncio.to_thread(b.ask, "flush")
    await asyncio.to_thread(b.ask, "exit")
    assert await asyncio.to_thread(b.wait_exit) == 0
    rows = hub.records("edge-s")
    assert [r["seq"] for r in rows] == list(range(1, 151))
    assert [r["values"]["i"] for r in rows] == list(range(1, 151))
    info = hub.get("/v1/crabs/edge-s")
    assert info["accepted"] == 150 and info["stored"] == 150


async def test_collect_answered_through_the_callback(hub):
    asked = []

    async def on_collect(request_id):
        asked.append(request_id)
        return {"values": {"cpu": 42.5, "n": len(asked)}, "tags": {"via": "collect"}}

    async with Crab(hub.url, "edge-c", on_collect=on_collect) as crab:
        await crab.wait_connected(10)
        api = HubApi(hub.http)
        snap = await api.collect_once("edge-c", timeout=5)
        assert snap.reply_to == asked[0] and snap.crab == "edge-c"
        assert snap.values == {"cpu": 42.5, "n": 1} and snap.tags == {"via": "collect"}
        result = await api.collect_all(timeout=5)
        assert [s.crab for s in result.snapshots] == ["edge-c"] and result.missing == []
        assert result.snapshots[0].reply_to == asked[1]
        await crab.flush(10)
        assert crab.collects == 2
    rows = hub.records("edge-c")
    assert [r.get("reply_to") for r in rows] == asked
    assert snap.raw == hub.lines("edge-c")[0]  # the stored bytes, exactly


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MiB tmpfs (needs root, as CI runs) the test can fill; unmounted at the end."""
    path = tmp_path / "disk"
    path.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(path)],
                       capture_output=True, timeout=30)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (not root?): {r.stderr.decode().strip()}")
    yield path
    subprocess.run(["umount", "-l", str(path)], timeout=30)


def fill(path):
    with open(path / "filler", "wb") as f:
        try:
            while True:
                f.write(b"f" * 65536)
                f.flush()
        except OSError:
            pass
    with open(path / "filler-tail", "wb", buffering=0) as f:
        try:
            while True:
                f.write(b"f")
        except OSError:
            pass


async def test_a_full_disk_is_waited_out_and_nothing_is_lost(hubs, small_disk):
    """The hub accepts a batch it cannot write, then refuses the next frames with disk_full
    (no seq named): the crab resends one snapshot at a time until there is room again, and
    every snapshot is stored once, in order."""
    hub = hubs()
    hub.kill9()
    hub.data = small_disk / "data"
    hub.data.mkdir()
    hub.start()
    api = HubApi(hub.http)
    async with Crab(hub.url, "full", backoff=(0.05, 0.3), batch=100) as crab:
        for i in range(1, 6):
            await crab.push({"i": i})
        fill(small_disk)
        for i in range(6, 106):
            crab.push_nowait({"i": i, "padding": "p" * 100})  # accepted, cannot be written

        async def degraded():
            return (await api.healthz())["status"] == "degraded"
        await until(degraded, 15, "the hub to report its full disk")
        for i in range(106, 306):
            crab.push_nowait({"i": i, "padding": "p" * 100})  # refused: disk_full, no seq
        await until(lambda: crab.last_error is not None and crab.last_error.code == "disk_full",
                    15, "a disk_full refusal")
        assert crab.acked == 5 and crab.queued == 300
        for f in ("filler", "filler-tail"):
            (small_disk / f).unlink()
        await crab.flush(30)
        assert crab.connects >= 2 and crab.refused == 0  # reconnected; nothing given up
    rows = hub.records("full")
    assert [r["seq"] for r in rows] == list(range(1, 306))
    assert [r["values"]["i"] for r in rows] == list(range(1, 306))


def test_push_nowait_before_any_event_loop_runs_is_sent_once_one_does(hub):
    crab = Crab(hub.url, "edge-early")
    crab.push_nowait({"cpu": 1})  # no running loop: queued only

    async def later():
        crab.push_nowait({"cpu": 2})
        await crab.flush(10)
        await crab.close()
    asyncio.run(later())
    assert [r["values"]["cpu"] for r in hub.records("edge-early")] == [1, 2]
