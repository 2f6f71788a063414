"""Tokens (Authorization: Bearer) and wss:// / https:// with a CA file, in every class: Crab,
Subscriber, HubApi, the Octopus adapter and the Notebook Bell, against a hub with a token file
and TLS. A missing token is Unauthorized, a token without the scope Forbidden, a CA that did
not sign the hub's certificate HubUnavailable naming the verification failure."""
import logging

import pytest

from conftest import Pki, add_token, snapshots
from octopus_client import (Crab, Forbidden, HubApi, HubUnavailable, Octopus, Subscriber,
                            Unauthorized, tls_context)
from octopus_client.notebook import Bell


@pytest.fixture
def secure(hubs, tmp_path):
    pki = Pki(tmp_path)
    file = tmp_path / "tokens.toml"
    tokens = {"crab": add_token(file, "crab", "push:edge-*"),
              "reader": add_token(file, "reader", "read:*"),
              "app": add_token(file, "app", "push:gorgon-*", "read:*", "collect:*"),
              "admin": add_token(file, "admin", "admin")}
    hub = hubs(tokens=file, tls=pki)
    assert hub.url.startswith("wss://")
    return hub, pki, tokens


async def test_crab_and_subscriber_over_wss_with_tokens(secure):
    hub, pki, tokens = secure
    async with Subscriber(hub.url, crabs=["edge-*"], start="now", token=tokens["reader"],
                          ssl=str(pki.ca)) as sub:
        await sub.wait_subscribed(10)
        async with Crab(hub.url, "edge-1", token=tokens["crab"], ssl=pki.ca) as crab:
            assert await crab.push({"cpu": 1}) == 1
        (ev,) = await snapshots(sub, 1)
        assert ev.crab == "edge-1" and ev.values == {"cpu": 1}
    assert len(hub.records("edge-1")) == 1


async def test_crab_refusals(secure):
    hub, pki, tokens = secure
    no_token = Crab(hub.url, "edge-2", ssl=pki.ca)
    with pytest.raises(Unauthorized) as e:
        await no_token.push({"cpu": 1})
    assert e.value.code == "unauthorized" and e.value.status == 401
    with pytest.raises(Unauthorized):
        no_token.push_nowait({"cpu": 1})  # a crab that gave up says why, every time
    await no_token.close()
    wrong_scope = Crab(hub.url, "edge-2", token=tokens["reader"], ssl=pki.ca)
    with pytest.raises(Forbidden) as e:
        await wrong_scope.push({"cpu": 1})
    assert e.value.code == "forbidden" and "push:edge-2" in e.value.message
    await wrong_scope.close()
    other_ca = Pki(hub.dir, "other-ca")
    untrusting = Crab(hub.url, "edge-2", token=tokens["crab"], ssl=tls_context(other_ca.ca))
    with pytest.raises(HubUnavailable) as e:
        await untrusting.wait_connected(1)
    assert "certificate verify failed" in str(e.value)
    await untrusting.close()
    assert not (hub.data / "edge-2").exists()


async def test_subscriber_refusals(secure):
    hub, pki, tokens = secure
    with pytest.raises(Unauthorized):
        await Subscriber(hub.url, ssl=pki.ca).next(10)
    with pytest.raises(Forbidden) as e:
        await Subscriber(hub.url, token=tokens["crab"], ssl=pki.ca).next(10)
    assert e.value.code == "forbidden"


async def test_hub_api_over_https_with_tokens(secure):
    hub, pki, tokens = secure
    async with Crab(hub.url, "edge-3", token=tokens["crab"], ssl=pki.ca) as crab:
        await crab.push({"cpu": 3})
    reader = HubApi(hub.http, token=tokens["reader"], ssl=pki.ca)
    assert [c.name for c in await reader.crabs()] == ["edge-3"]
    assert (await reader.buffer("edge-3"))[0].values == {"cpu": 3}
    assert (await reader.whoami())["id"] == "reader"
    with pytest.raises(Unauthorized) as e:
        await HubApi(hub.http, ssl=pki.ca).crabs()
    assert e.value.status == 401
    with pytest.raises(Forbidden) as e:
        await reader.reload()
    assert e.value.status == 403
    assert (await HubApi(hub.http, token=tokens["admin"], ssl=pki.ca).reload())["reloaded"]
    with pytest.raises(HubUnavailable) as e:
        await HubApi(hub.http.replace("https", "http")).healthz()  # plaintext to a TLS port


def test_octopus_adapter_and_bell_over_wss_with_a_token(secure):
    hub, pki, tokens = secure

    class Gorgon:
        name = "gorgon-1"

        def collect(self):
            return {"cpu": 7.5}

    with Octopus(hub.url, token=tokens["app"], ssl=str(pki.ca), interval=0) as octo:
        octo.register_crab(Gorgon())
        snap = octo.collect_once("gorgon-1", timeout=5)
        assert snap.values == {"cpu": 7.5}
        assert [s.crab for s in octo.get_buffer("gorgon-1")] == ["gorgon-1"]
        bell = Bell(hub.url, "gorgon-*", token=tokens["reader"], ssl=str(pki.ca))
        text = bell.run(iterations=1, timeout=10)
        assert "gorgon-1" in text and "7.5%" in text
    with pytest.raises(Unauthorized):
        Bell(hub.url, "gorgon-*", ssl=str(pki.ca)).run(iterations=1, timeout=10)


async def test_the_token_never_reaches_a_log_line(secure, caplog):
    hub, pki, tokens = secure
    caplog.set_level(logging.DEBUG)
    async with Crab(hub.url, "edge-4", token=tokens["crab"], ssl=pki.ca) as crab:
        await crab.push({"cpu": 1})
    with pytest.raises(Forbidden):
        await Subscriber(hub.url, token=tokens["crab"], ssl=pki.ca).next(10)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Authorization: Bearer [redacted]" in logged  # the header was logged, redacted
    assert tokens["crab"] not in logged
