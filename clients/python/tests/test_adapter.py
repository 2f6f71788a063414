"""The Octopus adapter (the in-process MVP's interface over a remote hub): a registered crab
is sampled and pushed, answers collect_once and collect_all through the hub, shows in
get_buffer, and a taken name is DuplicateCrab as in the MVP."""
import itertools
import threading

import pytest

from octopus_client import DuplicateCrab, Octopus, Snapshot


class CountingCrab:
    """A Gorgon-style crab: a name and collect()."""

    def __init__(self, name):
        self.name = name
        self.counter = itertools.count(1)
        self.threads = set()

    def collect(self):
        self.threads.add(threading.current_thread().name)
        return {"cpu": 12.5, "n": next(self.counter)}


def test_register_collect_and_buffer(hub):
    crab = CountingCrab("gorgon_local")
    with Octopus(hub.url, interval=0.05) as octo:
        remote = octo.register_crab(crab)
        assert remote.connected
        snap = octo.collect_once("gorgon_local", timeout=5)
        assert isinstance(snap, Snapshot) and snap.crab == "gorgon_local" and snap.reply_to
        assert snap.values["cpu"] == 12.5
        everyone = octo.collect_all(timeout=5)
        assert [s.crab for s in everyone.snapshots] == ["gorgon_local"]
        assert not everyone.missing
        octo.flush(10)
        buffer = octo.get_buffer("gorgon_local")
        assert snap.hub_seq in [s.hub_seq for s in buffer]
        assert len(buffer) >= 2  # the interval samples too
        with pytest.raises(DuplicateCrab):
            octo.register_crab(CountingCrab("gorgon_local"))
        with Octopus(hub.http) as other:  # another process's adapter: the hub refuses it
            with pytest.raises(DuplicateCrab) as e:
                other.register_crab(CountingCrab("gorgon_local"))
            assert e.value.code == "duplicate_crab"
        assert [c.name for c in octo.crabs()] == ["gorgon_local"]
    assert "MainThread" not in crab.threads  # collect() ran off the caller's thread
    assert not hub.get("/v1/crabs/gorgon_local")["online"]


def test_collect_only_crab(hub):
    with Octopus(hub.url, interval=0) as octo:
        octo.register_crab(CountingCrab("on_demand"))
        first = octo.collect_once("on_demand", timeout=5)
        second = octo.collect_once("on_demand", timeout=5)
        assert (first.values["n"], second.values["n"]) == (1, 2)
