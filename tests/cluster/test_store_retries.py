"""The store on a real two-node cluster whose write queues are short: concurrent bulk writes meet real 429
rejections (`es_rejected_execution_exception`) and every document is still written."""

from __future__ import annotations

import asyncio

from aquarius.devenv.elasticsearch import ElasticsearchCluster
from aquarius.store.base import Collection, Write
from tests.cluster.harness import cluster_store

WRITERS = 40
DOCS = 32  # a multiple of the collections: each gets the same share
COLLECTIONS = (Collection.STATES, Collection.ORDERS, Collection.HISTORY, Collection.META)


def _rejected_writes(cluster: ElasticsearchCluster) -> int:
    status, body = cluster.request("GET", "/_nodes/stats/thread_pool")
    assert status == 200 and isinstance(body, dict)
    return sum(node["thread_pool"]["write"]["rejected"] for node in body["nodes"].values())


async def test_bulk_items_a_full_write_queue_rejects_are_retried_until_written(
    es_cluster: ElasticsearchCluster,
) -> None:
    rejected_before = _rejected_writes(es_cluster)
    async with cluster_store(es_cluster, "queue") as store:
        batches = [
            [Write(COLLECTIONS[i % len(COLLECTIONS)], f"{w}-{i}", {"writer": w, "n": i}) for i in range(DOCS)]
            for w in range(WRITERS)
        ]
        await asyncio.gather(*(store.write(batch) for batch in batches))
        await store.refresh()
        counts = {}
        for collection in COLLECTIONS:
            found = await store.search(collection, {"query": {"match_all": {}}, "size": 0, "track_total_hits": True})
            counts[collection] = found["hits"]["total"]["value"]
    assert _rejected_writes(es_cluster) > rejected_before, "the write queues never overflowed: nothing was tested"
    assert counts == dict.fromkeys(COLLECTIONS, WRITERS * DOCS // len(COLLECTIONS))
