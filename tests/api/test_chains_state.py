"""Chain status, processing state, retry queue and cache triggering."""

from __future__ import annotations

from typing import Any

import pytest

from api.version import VERSION
from aquarius.store.base import Collection, Store
from tests.api.catalog import CHAIN, OTHER_CHAIN, TRAFFIC, WEATHER
from tests.api.conftest import Api


async def test_chains_list_and_status(api: Api) -> None:
    async with api.get("/api/aquarius/chains/list") as response:
        assert (response.status, await response.json()) == (200, {str(CHAIN): True, str(OTHER_CHAIN): True})
    async with api.get(f"/api/aquarius/chains/status/{CHAIN}") as response:
        assert (response.status, await response.json()) == (200, {"last_block": 120, "version": VERSION})
    async with api.get("/api/aquarius/chains/status/1") as response:
        assert (response.status, await response.json()) == (404, {"error": "Chain 1 is not indexed."})


@pytest.mark.parametrize(
    ("query", "asset"),
    [(f"did={WEATHER.did}", WEATHER), (f"nft={TRAFFIC.nft}", TRAFFIC), (f"txId={TRAFFIC.tx}&chainId={CHAIN}", TRAFFIC)],
)
async def test_ddo_state(api: Api, query: str, asset: Any) -> None:
    async with api.get(f"/api/aquarius/state/ddo?{query}") as response:
        assert response.status == 200
        state = await response.json()
    assert (state["did"], state["tx_id"]) == (asset.did, asset.tx)


async def test_ddo_state_refusals(api: Api) -> None:
    async with api.get("/api/aquarius/state/ddo") as response:
        assert (response.status, await response.json()) == (
            400,
            {"error": "You need to specify one of: nft, txId, did"},
        )
    async with api.get("/api/aquarius/state/ddo?did=did:op:nothing") as response:
        assert response.status == 404
    async with api.get(f"/api/aquarius/state/ddo?did={WEATHER.did}&chainId=x") as response:
        assert response.status == 400


async def test_trigger_caching_queues_a_tx_element(api: Api, store: Store) -> None:
    tx = "0x" + "ab" * 32
    async with api.post("/api/aquarius/assets/triggerCaching", json={"transactionId": tx, "chainId": CHAIN}) as r:
        assert (r.status, await r.read()) == (200, b'"Queued"\n')
    element = await store.get(Collection.RETRIES, f"{CHAIN}:{tx}:tx:all")
    assert element is not None
    assert {k: element[k] for k in ("chain_id", "tx_id", "log_index", "type", "status")} == {
        "chain_id": CHAIN,
        "tx_id": tx,
        "log_index": None,
        "type": "tx",
        "status": "pending",
    }
    query = f"transactionId={tx}&chain_id={CHAIN}&logIndex=2"
    async with api.post(f"/api/aquarius/assets/triggerCaching?{query}") as r:
        assert await r.json() == "Queued"
    await store.refresh()
    async with api.get(f"/api/aquarius/state/retryQueue?chainId={CHAIN}&type=tx") as response:
        queued = [hit["_source"] for hit in (await response.json())["hits"]["hits"]]
    assert sorted((e["tx_id"], e["log_index"] is None) for e in queued) == [(tx, False), (tx, True)]


@pytest.mark.parametrize(
    "payload",
    [{"transactionId": "0x" + "ab" * 32}, {"chain_id": 1}, {"transactionId": "0x12", "chain_id": 1}],
)
async def test_trigger_caching_refusals(api: Api, payload: dict[str, Any]) -> None:
    async with api.post("/api/aquarius/assets/triggerCaching", json=payload) as r:
        assert (r.status, await r.json()) == (400, {"error": "Invalid transactionId or chain_id"})
