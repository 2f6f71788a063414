"""octopus-py-crab, the console entry point: /proc samples with octopus-crab's keys, --count,
collect answered with a fresh sample, usage errors (exit 2), a refused token (exit 1)."""
import re

from conftest import PYTHON, add_token, child_env, until
from octopus_client import HubApi, NotFound

CLI = [PYTHON, "-m", "octopus_client"]
KEYS = {"cpu", "memory", "disk", "load1", "load5", "load15", "disk_read_bps",
        "disk_write_bps", "net_rx_bps", "net_tx_bps"}


def test_samples_until_count(hub, procs):
    p = procs(CLI + ["--hub", hub.url, "--name", "py-proc", "--interval", "50ms",
                     "--count", "3"], env=child_env())
    assert p.wait_exit(30) == 0, p.output
    rows = hub.records("py-proc")
    assert len(rows) >= 3 and [r["seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert set(rows[0]["values"]) == KEYS
    assert 0 <= rows[-1]["values"]["memory"] <= 100
    acked = re.search(r"crab py-proc: (\d+) snapshots acknowledged, done", p.output)
    assert acked and int(acked.group(1)) >= 3


async def test_collect_only_and_sigterm(hub, procs, tmp_path):
    p = procs(CLI + ["--hub", hub.url, "--name", "py-collect", "--interval", "0",
                     "--spool", tmp_path / "spool"], env=child_env())
    api = HubApi(hub.http)

    async def online():
        try:
            return (await api.crab("py-collect")).online
        except NotFound:
            return False
    await until(online, 15, "py-collect online")
    snap = await api.collect_once("py-collect", timeout=5)
    assert set(snap.values) == KEYS and snap.reply_to
    assert p.terminate() == 0
    assert len(hub.records("py-collect")) == 1


def test_usage_errors_exit_2(procs):
    for argv in (["--name", "x"], ["--hub", "http://h", "--name", "x"],
                 ["--hub", "ws://h/v1/crab", "--name", "x"], ["--hub", "ws://h", "--name", "../x"],
                 ["--hub", "ws://h", "--name", "x", "--interval", "fast"],
                 ["--hub", "ws://h", "--name", "x", "--count", "0"]):
        p = procs(CLI + argv, env=child_env())
        assert p.wait_exit(30) == 2, argv
        assert "usage: octopus-py-crab" in p.output


def test_a_refused_token_exits_1(hubs, procs, tmp_path):
    tokens = tmp_path / "tokens.toml"
    reader = add_token(tokens, "reader", "read:*")
    hub = hubs(tokens=tokens)
    p = procs(CLI + ["--hub", hub.url, "--name", "edge-1"], env=child_env(OCTOPUS_TOKEN=reader))
    assert p.wait_exit(30) == 1
    assert "forbidden" in p.output and "push:edge-1" in p.output
    p = procs(CLI + ["--hub", hub.url, "--name", "edge-1"], env=child_env(OCTOPUS_TOKEN="nope"))
    assert p.wait_exit(30) == 1 and "unauthorized" in p.output
