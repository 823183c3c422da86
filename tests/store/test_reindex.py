"""`reindex` builds a new versioned index and swaps the alias while searches keep answering."""

from __future__ import annotations

import asyncio

from aquarius.devenv.elasticsearch import ElasticsearchNode
from aquarius.store.base import Collection, Write
from aquarius.store.elasticsearch import ElasticsearchStore


async def test_reindex_swaps_the_alias_with_no_failed_query(es: ElasticsearchNode) -> None:
    store = ElasticsearchStore(es.url, replicas=0)
    await store.open()
    try:
        docs = [
            Write(Collection.ASSETS, f"did:op:{i:064x}", {"metadata": {"name": f"asset {i}"}}) for i in range(12_000)
        ]
        for start in range(0, len(docs), 3000):
            await store.write(docs[start : start + 3000])
        await store.refresh()
        totals: list[int] = []
        failures: list[BaseException] = []
        done = asyncio.Event()

        async def query_continuously() -> None:
            while not done.is_set():
                try:
                    found = await store.search(Collection.ASSETS, {"query": {"match": {"metadata.name": "asset"}}})
                    totals.append(found["hits"]["total"]["value"])
                except Exception as err:
                    failures.append(err)

        querying = asyncio.create_task(query_continuously())
        old, new = await store.reindex(Collection.ASSETS)
        for _ in range(5):  # a few more searches on the new index
            await asyncio.sleep(0.05)
        done.set()
        await querying

        assert (old, new) == ("aquarius-v1", "aquarius-v2")
        assert failures == []
        assert len(totals) > 5
        assert set(totals) == {10_000}  # the default tracked-total cap, on both sides of the swap
        status, aliases = es.request("GET", "/_alias/aquarius")
        assert status == 200 and list(aliases) == ["aquarius-v2"]  # type: ignore[arg-type]
        exact = await store.search(Collection.ASSETS, {"query": {"match_all": {}}, "track_total_hits": True})
        assert exact["hits"]["total"]["value"] == 12_000
    finally:
        await store.close()


async def test_search_follows_a_reindex_done_by_another_store(es: ElasticsearchNode) -> None:
    """The API's store remembers the index behind the alias; another process's `reindex` moves the alias and
    deletes that index, and every form of `_index` filter keeps answering as before."""
    serving, admin = ElasticsearchStore(es.url, replicas=0), ElasticsearchStore(es.url, replicas=0)
    await serving.open()
    await admin.open()
    try:
        await serving.write([Write(Collection.ASSETS, f"did:op:{i:064x}", {"chainId": i % 2}) for i in range(10)])
        await serving.refresh()
        own_index = {"term": {"_index": "aquarius"}}
        queries = {
            "filter": {"query": {"bool": {"filter": [own_index]}}, "track_total_hits": True},
            "filter, size 0": {"query": {"bool": {"filter": [own_index]}}, "size": 0},
            "terms": {"query": {"terms": {"_index": ["aquarius", "other"]}}},
            "must_not": {"query": {"bool": {"must_not": [own_index]}}},
            "chain 1": {"query": {"bool": {"filter": [own_index, {"term": {"chainId": 1}}]}}},
        }

        async def totals() -> dict[str, int]:
            return {
                name: (await serving.search(Collection.ASSETS, body))["hits"]["total"]["value"]
                for name, body in queries.items()
            }

        expected = {"filter": 10, "filter, size 0": 10, "terms": 10, "must_not": 0, "chain 1": 5}
        assert await totals() == expected
        assert await admin.reindex(Collection.ASSETS) == ("aquarius-v1", "aquarius-v2")
        assert await totals() == expected
        found = await serving.search(Collection.ASSETS, queries["filter"])
        assert {hit["_index"] for hit in found["hits"]["hits"]} == {"aquarius"}
        assert await admin.reindex(Collection.ASSETS) == ("aquarius-v2", "aquarius-v3")
        assert (await serving.search(Collection.ASSETS, queries["filter, size 0"]))["hits"]["total"]["value"] == 10
        assert (await serving.search(Collection.ASSETS, queries["must_not"]))["hits"]["total"]["value"] == 0
    finally:
        await serving.close()
        await admin.close()
