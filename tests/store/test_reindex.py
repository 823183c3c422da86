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
