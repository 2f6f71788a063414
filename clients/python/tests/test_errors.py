"""Each bad input maps to its typed exception, carrying the hub's error code: refused by the
client before anything is sent (the hub's own rules, checked locally), or by the hub (its
JSON error, an HTTP status at the upgrade, a close code)."""
import asyncio
import math

import pytest

from octopus_client import (BadConfig, BadName, BadRequest, BadSnapshot, Conflict, Crab,
                            CrabOffline, CollectTimeout, DuplicateCrab, HubApi,
                            HubUnavailable, NotFound, QueueFull, Subscriber)


@pytest.mark.parametrize("values, code", [
    ({"cpu": math.nan}, "bad_snapshot"),
    ({"cpu": math.inf}, "bad_snapshot"),
    ({"cpu": None}, "bad_snapshot"),
    ({"cpu": {"nested": 1}}, "bad_snapshot"),
    ({"cpu": [1, 2]}, "bad_snapshot"),
    ({"": 1}, "bad_snapshot"),
    ({"k" * 129: 1}, "bad_snapshot"),
    ({"s": "x" * 257}, "bad_snapshot"),
    ({"s": "\ud800"}, "bad_snapshot"),
    ({f"k{i}": i for i in range(257)}, "too_large"),
    ([("cpu", 1)], "bad_snapshot"),
])
def test_bad_values_are_refused_before_sending(values, code):
    crab = Crab("ws://127.0.0.1:1", "edge-x")
    with pytest.raises(BadSnapshot) as e:
        crab.push_nowait(values)
    assert e.value.code == code and crab.queued == 0


def test_bad_tags_timestamps_and_names():
    crab = Crab("ws://127.0.0.1:1", "edge-x")
    for kwargs in ({"tags": {"h": 1}}, {"tags": {f"t{i}": "v" for i in range(33)}},
                   {"timestamp": math.nan}, {"timestamp": "now"}, {"timestamp": True}):
        with pytest.raises(BadSnapshot):
            crab.push_nowait({"cpu": 1}, **kwargs)
    for name in ("../x", "", "a/b", ".hidden", "-dash", "é", "x" * 65):
        with pytest.raises(BadName) as e:
            Crab("ws://127.0.0.1:1", name)
        assert e.value.code == "bad_name"
    with pytest.raises(ValueError):
        Crab("ws://127.0.0.1:1/v1/crab", "edge-x")  # the client picks the path


async def test_a_full_queue_raises_queue_full_or_drops_the_oldest():
    crab = Crab("ws://127.0.0.1:1", "edge-q", queue_size=3)  # nothing listens on port 1
    for i in range(3):
        crab.push_nowait({"i": i})
    with pytest.raises(QueueFull) as e:
        crab.push_nowait({"i": 3})
    assert e.value.code == "queue_full"
    with pytest.raises(HubUnavailable) as e:
        await crab.flush(0.3)
    assert e.value.code == "unreachable" and "3 snapshots still unacknowledged" in e.value.message
    await crab.close(0)
    dropping = Crab("ws://127.0.0.1:1", "edge-q", queue_size=3, overflow="drop_oldest")
    for i in range(5):
        dropping.push_nowait({"i": i})
    assert dropping.queued == 3 and dropping.dropped == 2
    await dropping.close(0)


async def test_push_to_an_unreachable_hub_times_out_as_hub_unavailable():
    async with Crab("ws://127.0.0.1:1", "edge-u", backoff=(0.05, 0.1)) as crab:
        with pytest.raises(HubUnavailable) as e:
            await crab.push({"cpu": 1}, timeout=0.5)
        assert "stays queued" in e.value.message and crab.queued == 1
        with pytest.raises(HubUnavailable):
            await crab.wait_connected(0.3)


async def test_the_hubs_own_refusals_map_to_typed_errors(hubs):
    """A hub with lower limits than the client's refuses a snapshot in a batch: that push
    fails with the hub's code, the rest of the batch is stored under new seqs."""
    hub = hubs(config="[limits]\nmax_values = 4\n")
    async with Crab(hub.url, "edge-h", batch=50) as crab:
        good = [asyncio.ensure_future(crab.push({"i": i})) for i in range(10)]
        bad = asyncio.ensure_future(crab.push({"a": 1, "b": 2, "c": 3, "d": 4, "e": 5}))
        good += [asyncio.ensure_future(crab.push({"i": i})) for i in range(10, 20)]
        with pytest.raises(BadSnapshot) as e:
            await bad
        assert e.value.code == "too_large" and "more than 4 keys" in e.value.message
        seqs = await asyncio.gather(*good)
        assert crab.refused == 1 and crab.queued == 0
    rows = hub.records("edge-h")
    assert [r["values"]["i"] for r in rows] == list(range(20))
    assert sorted(seqs) == [r["seq"] for r in rows]


async def test_a_taken_name_is_duplicate_crab(hub):
    async with Crab(hub.url, "edge-dup") as first:
        await first.wait_connected(10)
        second = Crab(hub.url, "edge-dup", backoff=(0.05, 0.1))
        with pytest.raises(DuplicateCrab) as e:
            await second.wait_connected(1)
        assert e.value.code == "duplicate_crab"
        await second.close(0)


async def test_http_refusals_map_to_typed_errors(hubs):
    hub = hubs(alerts='[[rule]]\nname = "r"\nwhen = "cpu > 1"\n')
    api = HubApi(hub.http)
    with pytest.raises(NotFound) as e:
        await api.crab("nobody")
    assert (e.value.code, e.value.status) == ("unknown_crab", 404)
    with pytest.raises(BadName):
        await api.buffer("../etc")
    await api.push("edge-o", {"cpu": 1}, seq=1)  # known, never connected: offline
    with pytest.raises(CrabOffline) as e:
        await api.collect_once("edge-o", timeout=1)
    assert (e.value.code, e.value.status) == ("crab_offline", 409)
    with pytest.raises(BadRequest) as e:
        await api.records("edge-o", since=10, until=5)
    assert e.value.code == "bad_message"
    silent = Crab(hub.url, "edge-silent", on_collect=lambda rid: None)
    await silent.wait_connected(10)
    with pytest.raises(CollectTimeout) as e:
        await api.collect_once("edge-silent", timeout=0.2)
    assert (e.value.code, e.value.status) == ("timeout", 504)
    with pytest.raises(Conflict) as e:
        await api.reset_seq("edge-silent", 0)
    assert e.value.code == "crab_online"
    with pytest.raises(DuplicateCrab):
        await api.push("edge-silent", {"cpu": 1})  # online over WebSocket: push there
    await silent.close()
    (hub.dir / "alerts.toml").write_text('[[rule]]\nname = "r"\nwhen = "cpu >"\n')
    with pytest.raises(BadConfig) as e:
        await api.reload()
    assert e.value.code == "bad_config" and "alerts.toml" in e.value.message
    with pytest.raises(HubUnavailable):
        await HubApi("http://127.0.0.1:1").crabs()


async def test_a_refused_subscription_raises_from_iteration(hub):
    sub = Subscriber(hub.url, crabs=["bad/glob"])
    with pytest.raises(BadRequest) as e:
        await sub.next(10)
    assert e.value.code == "bad_message"
    with pytest.raises(BadRequest):
        Subscriber(hub.url, durable="d", group="g")
    with pytest.raises(BadRequest):
        await Subscriber(hub.url).ack(1)  # neither durable nor in a group

