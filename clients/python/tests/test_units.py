"""Socket-free tests of the pieces the integration tests lean on: the spool log (replay, a
torn tail, compaction, the lock), decoding hub messages (batches split into exact bytes,
every event type, the plain fallback), encoding snapshots (tokens as Python writes them,
Decimal exact), hub addresses and the reconnect backoff."""
import json
from decimal import Decimal

import pytest

from octopus_client import AlertGap, BadSnapshot, CrabEvent, Gap, SpoolLocked
from octopus_client.address import Backoff, parse_hub
from octopus_client.events import decode_subscriber_message, parse_envelopes
from octopus_client.snapshot_codec import Limits, encode_body
from octopus_client.spool import Spool

ENV1 = '{"hub_seq":1,"crab":"a","seq":1,"received_at":1.000000,"timestamp":1.50,"values":{"cpu":12.50},"tags":{}}'
ENV2 = '{"hub_seq":2,"crab":"a","seq":2,"received_at":2.000000,"timestamp":null,"values":{"s":"x]},"},"tags":{"h":"é"},"reply_to":"c1"}'


def test_spool_replays_its_log(tmp_path):
    path = tmp_path / "s"
    spool = Spool(path)
    assert spool.load() == ([], None)
    spool.add(None, "B1")
    spool.add(None, "B2")
    spool.rewrite([(5, "B1"), (6, "B2")], 7)   # numbered at the first welcome
    spool.add(7, "B3")
    spool.add(8, "B4")
    spool.acked(5, 1)
    spool.refused(7)
    spool.moved(8, 9)
    spool.add(10, "B5")
    spool.dropped()                              # the oldest live one: 6
    spool.close()
    again = Spool(path)
    assert again.load() == ([(9, "B4"), (10, "B5")], 11)
    again.close()


def test_spool_cuts_a_torn_tail_and_refuses_a_second_process(tmp_path):
    path = tmp_path / "s"
    spool = Spool(path)
    spool.load()
    spool.add(None, "B1")
    with pytest.raises(SpoolLocked):
        Spool(path)
    spool.close()
    with open(path, "a") as f:
        f.write("+ - B2-with-no-newl")
    again = Spool(path)
    assert again.load() == ([(None, "B1")], None)
    again.add(None, "B3")
    again.close()
    assert path.read_text() == "+ - B1\n+ - B3\n"


def test_spool_compacts_when_mostly_dead(tmp_path, monkeypatch):
    monkeypatch.setattr("octopus_client.spool.COMPACT_AFTER", 10)
    spool = Spool(tmp_path / "s")
    spool.load()
    for seq in range(1, 21):
        spool.add(seq, f"B{seq}")
    spool.acked(18, 18)
    assert spool.should_compact()
    spool.rewrite([(19, "B19"), (20, "B20")], 21)
    assert not spool.should_compact()
    spool.close()
    assert (tmp_path / "s").read_text() == "n 21\n+ 19 B19\n+ 20 B20\n"


def test_batches_split_into_exact_bytes():
    sub = json.dumps("d\"ash")
    text = '{"type":"snapshots","sub":' + sub + ',"items":[' + ENV1 + "," + ENV2 + "]}"
    events, control = decode_subscriber_message(text)
    assert control is None and [e.raw for e in events] == [ENV1, ENV2]
    assert events[1].sub == 'd"ash' and events[1].values == {"s": "x]},"}
    assert events[1].reply_to == "c1" and events[1].tags == {"h": "é"}
    assert events[0].exact_values() == {"cpu": Decimal("12.50")}
    single = '{"type":"snapshot","sub":"w",' + ENV1[1:]
    (one,), _ = decode_subscriber_message(single)
    assert one.raw == ENV1 and one.sub == "w" and one.timestamp == 1.5
    # Not the hub's compact shape: decoded plainly.
    (loose,), _ = decode_subscriber_message('{ "type": "snapshot", "sub": "w", "hub_seq": 3, '
                                            '"crab": "a", "seq": 3, "received_at": 3.0, '
                                            '"values": {}}')
    assert loose.hub_seq == 3 and loose.raw
    assert [s.raw for s in parse_envelopes("[" + ENV1 + "," + ENV2 + "]")] == [ENV1, ENV2]
    assert parse_envelopes("[]") == []


def test_other_events_and_control_messages():
    cases = {
        '{"type":"gap","sub":"w","from_hub_seq":5,"to_hub_seq":9,"missed":4}':
            Gap("w", 5, 9, 4),
        '{"type":"gap","sub":"a","from_alert_seq":2,"to_alert_seq":3,"missed":2}':
            AlertGap("a", 2, 3, 2),
        '{"type":"crab","event":"online","crab":"a","at":1.5}': CrabEvent("online", "a", 1.5),
    }
    for text, want in cases.items():
        assert decode_subscriber_message(text) == ([want], None)
    assert decode_subscriber_message('{"type":"acked","sub":"w","hub_seq":7}') == \
        ([], {"type": "acked", "sub": "w", "hub_seq": 7})
    (alert,), _ = decode_subscriber_message(
        '{"type":"alert","sub":"a","alert_seq":4,"rule":"hot","crab":"a","state":"firing",'
        '"previous":"pending","at":2.0,"hub_seq":9,"severity":"critical","values":{"cpu":95}}')
    assert (alert.alert_seq, alert.rule, alert.state, alert.sub) == (4, "hot", "firing", "a")


def test_snapshot_bodies_keep_tokens():
    body, size = encode_body({"a": 1, "b": 0.1, "c": Decimal("12.50"), "d": True, "e": "é\n",
                              "f": 2 ** 70, "g": -0.0, "h": 1e21}, timestamp=1.5,
                             tags={"host": "x"})
    assert body == ('"timestamp":1.5,"values":{"a":1,"b":0.1,"c":12.50,"d":true,"e":"é\\n",'
                    '"f":1180591620717411303424,"g":-0.0,"h":1e+21},"tags":{"host":"x"}')
    assert size == len(body.encode("utf-8"))
    big = {f"{i:0100d}": "v" * 250 for i in range(250)}  # every limit kept, 90 KB in all
    with pytest.raises(BadSnapshot) as e:
        encode_body(big, 1.0)
    assert e.value.code == "too_large" and "max_frame_bytes" in e.value.message
    with pytest.raises(BadSnapshot) as e:
        encode_body({f"k{i}": i for i in range(5)}, 1.0, limits=Limits(max_values=4))
    assert e.value.code == "too_large"


def test_hub_addresses():
    assert parse_hub("127.0.0.1").ws == "ws://127.0.0.1:8765"
    assert parse_hub("https://hub.example:9000/").ws == "wss://hub.example:9000"
    assert parse_hub("ws://[::1]:8765").http == "http://[::1]:8765"
    for bad in ("ftp://h", "ws://h/v1/crab", "ws://h?x=1", "ws://u:p@h", "ws://h:99999", ""):
        with pytest.raises(ValueError):
            parse_hub(bad)


def test_backoff_doubles_with_jitter_and_resets():
    b = Backoff(0.1, 1.0)
    delays = [b.next() for _ in range(8)]
    ceilings = [0.1, 0.2, 0.4, 0.8, 1.0, 1.0, 1.0, 1.0]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings))
    b.reset()
    assert b.next() <= 0.1
