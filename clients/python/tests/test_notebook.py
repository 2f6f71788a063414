"""The Notebook Bell: the example notebook runs headless (`jupyter nbconvert --execute`,
Debian's jupyter-nbconvert and python3-ipykernel) against a hub with its local_system crab,
and its output shows the crab's row, values in units, and the chart; the table's units and
column order match octopus-bell's."""
import json
import re

from conftest import PACKAGE_ROOT, child_env
from octopus_client import Snapshot
from octopus_client.bell_table import BellTable, human_value, key_order

NOTEBOOK = PACKAGE_ROOT / "examples" / "bell.ipynb"


def test_the_example_notebook_runs_headless(hubs, procs, tmp_path):
    hub = hubs(local_crab=True)
    p = procs(["/usr/bin/jupyter", "nbconvert", "--to", "notebook", "--execute",
               "--ExecutePreprocessor.timeout=60", "--output-dir", tmp_path, NOTEBOOK],
              env=child_env(OCTOPUS_HUB=hub.http, OCTOPUS_CRAB="local_system",
                            MPLCONFIGDIR=tmp_path / "mpl", JUPYTER_RUNTIME_DIR=tmp_path / "rt"))
    assert p.wait_exit(120) == 0, p.output
    executed = json.loads((tmp_path / "bell.ipynb").read_text())
    outputs = [o for c in executed["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    html = "".join("".join(o["data"]["text/html"]) for o in outputs
                   if "text/html" in o.get("data", {}))
    row = re.search(r"<tr><td[^>]*>local_system</td><td[^>]*>online</td>(.*?)</tr>", html)
    assert row, html[:2000]
    cells = re.findall(r">([^<]*)</td>", row.group(1))
    assert re.fullmatch(r"\d+\.\ds", cells[0]) and int(cells[1]) >= 1   # age, seq
    assert all(c.endswith("%") for c in cells[2:5])                        # cpu disk memory
    assert "<th>seq</th><th>cpu</th><th>disk</th><th>memory</th><th>disk_read_bps</th>" in html
    assert "<th>load1</th><th>load5</th><th>load15</th></tr>" in html
    assert any("image/png" in o.get("data", {}) for o in outputs), "the chart"
    # The history cell printed minute buckets of the read API.
    text = "".join("".join(o.get("text", "")) for o in outputs if o["output_type"] == "stream")
    assert re.search(r"\d\d:\d\d \d+ \{'cpu': ", text), text


def test_units_and_column_order_match_octopus_bell():
    assert human_value("cpu", 12.5) == "12.5%"
    assert human_value("disk_pct", 1.25) == "1.3%"     # toFixed: ties away from zero
    assert human_value("net_rx_bps", 16384) == "16.0 KiB/s"
    assert human_value("mem_bytes", 512) == "512 B"
    assert human_value("mem_bytes", 2 ** 30) == "1.0 GiB"
    assert human_value("load1", 1.194) == "1.19"
    assert human_value("mode", "eco") == "eco" and human_value("up", True) == "true"
    keys = ["z", "load15", "net_tx_bps", "load5", "cpu", "load1", "a_bytes", "memory"]
    assert sorted(keys, key=key_order) == ["cpu", "memory", "net_tx_bps", "a_bytes", "load1",
                                           "load5", "load15", "z"]
    table = BellTable()
    table.add(Snapshot(1, "b", 1, 100.0, None, {"cpu": 5}))
    table.add(Snapshot(2, "a", 7, 100.0, None, {"cpu": 50.25, "x": "on"}))
    table.set_state("a", "online")
    assert table.text(now=101.5).splitlines() == [
        "crab  state    age  seq    cpu   x",
        "a     online  1.5s    7  50.3%  on",
        "b     -       1.5s    1   5.0%   -"]
