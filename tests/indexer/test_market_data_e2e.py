"""Orders, prices, on-chain data, provenance and purgatory, computed from the chain's own events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from aquarius.devenv.elasticsearch import ElasticsearchNode
from aquarius.devenv.publisher import encode_metadata
from aquarius.store.base import Collection, Store
from indexer.purgatory import PurgatoryJob
from tests.chain.fixtures import Chain
from tests.indexer.harness import indexed_to, indexer_settings, running_indexer
from tests.indexer.test_metadata_e2e import ddo_for
from tests.store.backends import elasticsearch_store, sqlite_store


@pytest.fixture(params=["elasticsearch", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "elasticsearch":
        node: ElasticsearchNode = request.getfixturevalue("es")
        async with elasticsearch_store(node) as opened:
            yield opened
    else:
        async with sqlite_store(tmp_path / "store.sqlite") as opened:
            yield opened


async def index_all(chain: Chain, store: Store, tmp_path: Path) -> None:
    settings = indexer_settings(chain, tmp_path / "address.json")
    async with running_indexer(settings, store) as runtime:
        await indexed_to(runtime, chain.w3.eth.block_number)
    await store.refresh()


async def test_orders_prices_and_onchain_data(chain: Chain, store: Store, tmp_path: Path) -> None:
    pub = chain.publisher
    asset = pub.create_asset()
    pub.set_metadata(asset.nft, encode_metadata(ddo_for(asset.did, asset.nft, "priced", asset.datatoken)))
    first = pub.start_order(asset.datatoken)
    pub.start_order(asset.datatoken, service_index=0)
    pub.reuse_order(asset.datatoken, first["transactionHash"].to_0x_hex())
    exchange = pub.create_fixed_rate(asset.datatoken, rate=2 * 10**18)
    pub.set_rate(exchange, 3 * 10**18)
    pub.set_rate(exchange, 4 * 10**18)
    second = pub.add_datatoken(asset.nft)
    pub.create_dispenser(second)
    pub.set_data(asset.nft, "licence", b"CC-BY-4.0")
    pub.set_data(asset.nft, "binary", b"\xff\x00")
    await index_all(chain, store, tmp_path)

    doc = await store.get(Collection.ASSETS, asset.did)
    assert doc is not None
    assert doc["stats"]["orders"] == 3
    orders = await store.search(Collection.ORDERS, {"query": {"match_all": {}}, "size": 10})
    assert orders["hits"]["total"]["value"] == 3
    assert sorted(h["_source"]["type"] for h in orders["hits"]["hits"]) == ["order", "order", "reuse"]
    assert doc["stats"]["price"] == {"value": 4.0, "tokenAddress": chain.deployment.ocean, "tokenSymbol": "OCEAN"}
    kinds = [(p["type"], p["datatoken"]) for p in doc["stats"]["prices"]]
    assert kinds == [("fixedrate", asset.datatoken), ("dispenser", second)]
    assert sorted(doc["onchainData"].values()) == ["0xff00", "CC-BY-4.0"]

    pub.toggle_exchange(exchange)  # deactivated: only the dispenser is left, so the asset is free
    await index_all(chain, store, tmp_path)
    doc = await store.get(Collection.ASSETS, asset.did)
    assert doc is not None and doc["stats"]["price"] == {"value": 0.0}
    pub.toggle_exchange(exchange)
    pub.toggle_dispenser(second, active=False)
    await index_all(chain, store, tmp_path)
    doc = await store.get(Collection.ASSETS, asset.did)
    assert doc is not None and doc["stats"]["price"]["value"] == 4.0
    assert [p["type"] for p in doc["stats"]["prices"]] == ["fixedrate"]


async def test_history_lists_every_change_in_order(chain: Chain, store: Store, tmp_path: Path) -> None:
    pub = chain.publisher
    asset = pub.create_asset()
    pub.set_metadata(asset.nft, encode_metadata(ddo_for(asset.did, asset.nft, "version 1", asset.datatoken)))
    pub.set_metadata(asset.nft, encode_metadata(ddo_for(asset.did, asset.nft, "version 2", asset.datatoken)))
    pub.set_metadata(asset.nft, encode_metadata(ddo_for(asset.did, asset.nft, "version 3", asset.datatoken)))
    pub.start_order(asset.datatoken)
    pub.transfer(asset.nft, chain.w3.eth.accounts[3])
    await index_all(chain, store, tmp_path)
    other = chain.publisher.__class__(chain.w3, chain.deployment, chain.w3.eth.accounts[3])
    other.set_state(asset.nft, 3)
    await index_all(chain, store, tmp_path)

    body = {"query": {"term": {"did.keyword": asset.did}}, "sort": [{"block": "asc"}, {"log_index": "asc"}]}
    entries = [h["_source"] for h in (await store.search(Collection.HISTORY, body))["hits"]["hits"]]
    assert [e["kind"] for e in entries] == ["metadata", "metadata", "metadata", "order", "transfer", "state"]
    assert [e.get("created") for e in entries[:3]] == [True, False, False]
    assert entries[1]["previous"]["metadata"]["name"] == "version 1"
    assert entries[5]["to"] == 3

    from aiohttp import ClientSession
    from aiohttp.test_utils import TestServer

    from api.app import create_app

    server = TestServer(create_app(indexer_settings(chain, tmp_path / "address.json"), store), host="127.0.0.1")
    await server.start_server()
    try:
        async with ClientSession() as session:
            url = str(server.make_url(f"/api/aquarius/assets/history/{asset.did}"))
            async with session.get(url, params={"size": "4", "page": "2"}) as response:
                assert response.status == 200
                page = await response.json()
            assert (page["total"], page["page"], page["size"]) == (6, 2, 4)
            assert [e["kind"] for e in page["entries"]] == ["transfer", "state"]
            async with session.get(str(server.make_url("/api/aquarius/assets/history/did:op:unknown"))) as response:
                assert response.status == 404
                assert await response.json() == {"error": "No history for asset did:op:unknown."}
    finally:
        await server.close()


async def test_purgatory_lists_flip_assets_and_survive_a_bad_fetch(chain: Chain, store: Store, tmp_path: Path) -> None:
    pub = chain.publisher
    listed, by_account, clean = (pub.create_asset(f"a{i}", f"A{i}") for i in range(3))
    for asset in (listed, by_account, clean):
        pub.set_metadata(asset.nft, encode_metadata(ddo_for(asset.did, asset.nft, asset.nft, asset.datatoken)))
    await index_all(chain, store, tmp_path)
    assets_file, accounts_file = tmp_path / "assets.json", tmp_path / "accounts.json"
    assets_file.write_text(json.dumps([{"did": listed.did, "reason": "copyright"}]))
    accounts_file.write_text(json.dumps([]))
    job = PurgatoryJob(store, asset_url=assets_file.as_uri(), account_url=accounts_file.as_uri())
    await job.refresh()
    await store.refresh()

    async def states() -> list[object]:
        docs = await store.mget(Collection.ASSETS, [listed.did, by_account.did, clean.did])
        return [(d or {}).get("purgatory") for d in docs.values()]

    assert await states() == [{"state": True, "reason": "copyright"}, {"state": False}, {"state": False}]
    accounts_file.write_text(json.dumps([{"address": pub.account.lower(), "reason": "spam"}]))
    assets_file.write_text(json.dumps([]))
    await job.refresh()
    await store.refresh()
    assert await states() == [{"state": True, "reason": "spam"}] * 3
    # an unreachable list changes nothing
    broken = PurgatoryJob(store, asset_url="http://127.0.0.1:9/none.json", account_url=(tmp_path / "x").as_uri())
    await broken.refresh()
    await store.refresh()
    assert await states() == [{"state": True, "reason": "spam"}] * 3


ORDERS_PER_CHAIN_AND_TYPE = {
    "size": 0,
    "aggs": {"chains": {"terms": {"field": "chain_id"}, "aggs": {"types": {"terms": {"field": "type.keyword"}}}}},
}
TOP_PUBLISHERS_BY_ORDERS = {
    "size": 0,
    "aggs": {
        "publishers": {
            "terms": {"field": "event.from.keyword", "order": {"orders": "desc"}},
            "aggs": {"orders": {"sum": {"field": "stats.orders"}}},
        }
    },
}
PRICE_STATISTICS = {
    "size": 0,
    "query": {"range": {"stats.price.value": {"gt": 0}}},
    "aggs": {
        "average": {"avg": {"field": "stats.price.value"}},
        "highest": {"max": {"field": "stats.price.value"}},
        "priced": {"value_count": {"field": "stats.price.value"}},
    },
}


async def test_analytics_over_assets_and_orders_through_the_api(chain: Chain, store: Store, tmp_path: Path) -> None:
    from aiohttp import ClientSession
    from aiohttp.test_utils import TestServer

    from api.app import create_app

    pub = chain.publisher
    second = chain.publisher.__class__(chain.w3, chain.deployment, chain.w3.eth.accounts[5])
    for publisher, orders, price in ((pub, 3, 2), (second, 1, 5), (pub, 0, None)):
        asset = publisher.create_asset()
        publisher.set_metadata(
            asset.nft, encode_metadata(ddo_for(asset.did, asset.nft, "analytics asset", asset.datatoken))
        )
        for _ in range(orders):
            publisher.start_order(asset.datatoken)
        if price:
            publisher.create_fixed_rate(asset.datatoken, rate=price * 10**18)
    await index_all(chain, store, tmp_path)

    server = TestServer(create_app(indexer_settings(chain, tmp_path / "address.json"), store), host="127.0.0.1")
    await server.start_server()
    try:
        async with ClientSession() as session:

            async def post(path: str, body: dict[str, object]) -> dict[str, object]:
                async with session.post(str(server.make_url(path)), json=body) as response:
                    assert response.status == 200, await response.text()
                    return await response.json()  # type: ignore[no-any-return]

            per_chain = await post("/api/aquarius/orders/query", ORDERS_PER_CHAIN_AND_TYPE)
            (bucket,) = per_chain["aggregations"]["chains"]["buckets"]  # type: ignore[index]
            assert (bucket["key"], bucket["doc_count"]) == (8996, 4)
            assert bucket["types"]["buckets"] == [{"key": "order", "doc_count": 4}]
            top = await post("/api/aquarius/assets/query", TOP_PUBLISHERS_BY_ORDERS)
            buckets = top["aggregations"]["publishers"]["buckets"]  # type: ignore[index]
            assert [(b["key"], b["orders"]["value"]) for b in buckets] == [
                (pub.account, 3.0),
                (second.account, 1.0),
            ]
            prices = (await post("/api/aquarius/assets/query", PRICE_STATISTICS))["aggregations"]
            assert prices == {"average": {"value": 3.5}, "highest": {"value": 5.0}, "priced": {"value": 2}}
    finally:
        await server.close()
