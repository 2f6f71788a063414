"""Subscriber against the real hub: snapshots from a Python crab, batch frames split into
events with their exact bytes, resume after a reconnect with no gap and no duplicate, durable
acks across a hub kill -9, queue groups, gaps, crab lifecycle and alert events as typed
events, and the blocking face."""
import asyncio
from decimal import Decimal

from conftest import Proxy, snapshots, until
from octopus_client import (Alert, Crab, CrabEvent, Gap, Snapshot, Subscriber, sync)


async def test_live_snapshots_from_a_python_crab(hub):
    async with Subscriber(hub.url, crabs=["edge-*"], start="now") as sub:
        await sub.wait_subscribed(10)
        async with Crab(hub.url, "edge-1") as crab:
            for i in range(3):
                await crab.push({"cpu": 1.5 + i})
            seen = await snapshots(sub, 3)
        assert [e.seq for e in seen] == [1, 2, 3]
        assert [e.values["cpu"] for e in seen] == [1.5, 2.5, 3.5]
        assert all(e.crab == "edge-1" and e.sub == "py" for e in seen)
        stored = hub.records("edge-1")
        assert [e.hub_seq for e in seen] == [r["hub_seq"] for r in stored]


async def test_batch_frames_keep_each_envelope_byte_for_byte(hub):
    async with Crab(hub.url, "edge-b") as crab:
        for i in range(200):
            crab.push_nowait({"cpu": Decimal("12.50"), "i": i, "up": True}, tags={"h": "é"})
        await crab.flush(10)
    lines = hub.lines("edge-b")
    async with Subscriber(hub.url, crabs=["edge-b"], start=0) as sub:
        got = await snapshots(sub, 200)
    assert [e.raw for e in got] == lines  # replayed in `snapshots` batches, split exactly
    assert got[0].values == {"cpu": 12.5, "i": 0, "up": True} and got[0].tags == {"h": "é"}
    assert got[0].exact_values()["cpu"] == Decimal("12.50")
    async with Subscriber(hub.url, crabs=["edge-b"], keys=["cpu"], start=190) as sub:
        projected = await snapshots(sub, 10)
    assert projected[0].values == {"cpu": 12.5} and '"values":{"cpu":12.50}' in projected[0].raw


async def test_resume_after_a_reconnect_with_no_gap_and_no_duplicate(hub):
    proxy = await Proxy.start(hub.port)
    async with Crab(hub.url, "edge-r") as crab, \
            Subscriber(proxy.url, crabs=["edge-r"], start="now", max_buffered=20,
                       backoff=(0.05, 0.2)) as sub:
        await sub.wait_subscribed(10)
        for i in range(1, 301):
            crab.push_nowait({"i": i})
        await crab.flush(10)
        got = await snapshots(sub, 50)
        proxy.cut()  # mid-stream: the rest of the 300 is lost with the connection
        for i in range(301, 601):
            crab.push_nowait({"i": i})
        await crab.flush(10)
        events = []
        while sum(isinstance(e, Snapshot) for e in events) < 550:
            events.append(await sub.next(10))
        got += [e for e in events if isinstance(e, Snapshot)]
        assert sub.connects == 2
        assert not [e for e in events if isinstance(e, Gap)]
    await proxy.close()
    stored = hub.records("edge-r")
    assert [e.hub_seq for e in got] == [r["hub_seq"] for r in stored]
    assert [e.values["i"] for e in got] == list(range(1, 601))


async def test_a_durable_ack_survives_a_hub_kill9(hub):
    async with Crab(hub.url, "edge-d") as crab:
        for i in range(1, 21):
            crab.push_nowait({"i": i})
        await crab.flush(10)
    stored = hub.records("edge-d")
    async with Subscriber(hub.url, crabs=["edge-d"], durable="mai", start=0) as sub:
        got = await snapshots(sub, 10)
        await sub.ack(got[-1])  # returns once the hub has the cursor on disk
        assert sub.acked_hub_seq == got[-1].hub_seq
    hub.kill9()
    await asyncio.to_thread(hub.restart)
    async with Subscriber(hub.url, crabs=["edge-d"], durable="mai", start=0) as sub:
        rest = await snapshots(sub, 10)
    assert [e.hub_seq for e in rest] == [r["hub_seq"] for r in stored[10:]]


async def test_a_group_splits_events(hub):
    members = [Subscriber(hub.url, crabs=["edge-g"], group="workers", start="now")
               for _ in range(2)]
    got = [[], []]
    enough = asyncio.Event()

    async def work(k):
        async for ev in members[k]:
            if isinstance(ev, Snapshot):
                got[k].append(ev.hub_seq)
                await members[k].ack(ev)
                if len(got[0]) + len(got[1]) >= 200:
                    enough.set()

    for m in members:
        await m.wait_subscribed(10)
    workers = [asyncio.ensure_future(work(k)) for k in range(2)]
    async with Crab(hub.url, "edge-g") as crab:
        for i in range(200):
            crab.push_nowait({"i": i})
        await crab.flush(10)
    await asyncio.wait_for(enough.wait(), 15)
    for w in workers:
        w.cancel()
    for m in members:
        await m.close()
    assert got[0] and got[1], "both members get a share"
    assert not set(got[0]) & set(got[1])
    assert sorted(got[0] + got[1]) == [r["hub_seq"] for r in hub.records("edge-g")]


async def test_a_gap_is_a_typed_event(hubs):
    hub = hubs(config="[subscribers]\nmax_queue_messages = 10\n")
    async with Subscriber(hub.url, crabs=["edge-gap"], start="now") as sub:
        await sub.wait_subscribed(10)
        async with Crab(hub.url, "edge-gap", batch=500, window=500) as crab:
            for i in range(500):
                crab.push_nowait({"i": i})  # one frame: the hub fans 500 out in one turn
            await crab.flush(10)
        seen, gaps = [], []
        while len(seen) + sum(g.missed for g in gaps) < 500:
            ev = await sub.next(10)
            if isinstance(ev, Gap):
                gaps.append(ev)
            elif isinstance(ev, Snapshot):
                seen.append(ev.hub_seq)
    assert gaps and all(g.sub == "py" and g.missed > 0 for g in gaps)
    stored = [r["hub_seq"] for r in hub.records("edge-gap")]
    skipped = {h for g in gaps for h in range(g.from_hub_seq, g.to_hub_seq + 1)}
    assert sorted(set(seen) | skipped) == stored and not set(seen) & skipped


async def test_crab_lifecycle_events(hub):
    async with Subscriber(hub.url, crabs=["edge-l"], start="now") as sub:
        await sub.wait_subscribed(10)
        crab = Crab(hub.url, "edge-l")
        await crab.wait_connected(10)
        await crab.close()
        events = []
        while len(events) < 3:
            ev = await sub.next(10)
            assert isinstance(ev, CrabEvent)
            events.append(ev)
    assert [(e.event, e.crab) for e in events] == [("registered", "edge-l"),
                                                   ("online", "edge-l"),
                                                   ("offline", "edge-l")]
    assert events[0].at <= events[2].at


async def test_alert_events(hubs):
    rules = ('[[rule]]\nname = "hot"\ncrabs = "edge-*"\nwhen = "cpu > 90"\n'
             'clear = "cpu < 80"\nseverity = "critical"\nhooks = ["ws"]\n')
    hub = hubs(alerts=rules)
    async with Subscriber(hub.url, crabs=["edge-*"], alerts=True, start="now") as sub:
        await sub.wait_subscribed(10)
        async with Crab(hub.url, "edge-a") as crab:
            await crab.push({"cpu": 95})
            firing = await sub.next(10)
            await crab.push({"cpu": 10})
            resolved = await sub.next(10)
    assert isinstance(firing, Alert) and isinstance(resolved, Alert)
    assert (firing.rule, firing.crab, firing.state, firing.severity) == \
        ("hot", "edge-a", "firing", "critical")
    assert firing.values == {"cpu": 95} and resolved.state == "resolved"
    assert resolved.alert_seq > firing.alert_seq


def test_blocking_crab_and_subscriber(hub):
    with sync.Subscriber(hub.url, crabs=["edge-s"], start="now") as sub:
        sub.wait_subscribed(10)
        with sync.Crab(hub.url, "edge-s") as crab:
            assert crab.push({"cpu": 1}) == 1
            crab.push_nowait({"cpu": 2})
            crab.flush(10)
            assert crab.acked == 2
        values = []
        for ev in sub:
            if isinstance(ev, Snapshot):
                values.append(ev.values["cpu"])
                if len(values) == 2:
                    break
    assert values == [1, 2]


async def test_a_durable_ack_made_while_disconnected_lands_after_the_reconnect(hub):
    proxy = await Proxy.start(hub.port)
    async with Crab(hub.url, "edge-da") as crab:
        for i in range(1, 31):
            crab.push_nowait({"i": i})
        await crab.flush(10)
    stored = [r["hub_seq"] for r in hub.records("edge-da")]
    async with Subscriber(proxy.url, crabs=["edge-da"], durable="w", start=0,
                          backoff=(0.05, 0.2)) as sub:
        got = await snapshots(sub, 30)
        await sub.ack(got[4])
        proxy.cut()
        await until(lambda: not sub.connected, 10, "the subscriber to notice the cut")
        await sub.ack(got[19])  # sent once it has subscribed again; returns when on disk
        assert sub.acked_hub_seq == stored[19] and sub.connects == 2
    await proxy.close()
    async with Subscriber(hub.url, crabs=["edge-da"], durable="w", start=0) as sub:
        rest = await snapshots(sub, 10)
    assert [e.hub_seq for e in rest] == stored[20:]
