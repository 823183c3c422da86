"""`aquarius status` and `aquarius reindex`: read and maintain the store without running the daemon."""

from __future__ import annotations

from contextlib import AsyncExitStack

from aquarius.config import ConfigError, Settings
from aquarius.runner import open_store
from aquarius.store.base import Collection


async def print_status(settings: Settings) -> None:
    """Per chain: head (asked from its RPC), last indexed block, lag, retry-queue size; from the store."""
    from indexer.rpc import RpcClient, RpcSettings

    async with AsyncExitStack() as stack:
        store = await open_store(settings, stack)
        records = await store.search(Collection.CHAINS, {"query": {"match_all": {}}, "size": 1000})
        cursors = {int(h["_source"]["chain_id"]): int(h["_source"]["last_block"]) for h in records["hits"]["hits"]}
        configured = {c.chain_id: c for c in settings.chains}
        if not cursors and not configured:
            print("no chains configured and none indexed in the store")
        for chain_id in sorted(set(cursors) | set(configured)):
            head: int | str = "?"
            if chain_id in configured:
                try:
                    async with RpcClient(configured[chain_id].rpc_urls, RpcSettings(attempts=1, timeout=5)) as rpc:
                        head = await rpc.block_number()
                except Exception as err:
                    head = f"unreachable ({type(err).__name__})"
            last = cursors.get(chain_id)
            lag = head - last if isinstance(head, int) and last is not None else "?"
            queue = await store.search(
                Collection.RETRIES,
                {
                    "query": {"term": {"chain_id": chain_id}},
                    "size": 0,
                    "aggs": {"s": {"terms": {"field": "status.keyword"}}},
                },
            )
            counts = {b["key"]: b["doc_count"] for b in queue.get("aggregations", {}).get("s", {}).get("buckets", [])}
            print(
                f"chain {chain_id}: head {head}, last indexed {last if last is not None else 'none'}, lag {lag}, "
                f"retry queue {counts.get('pending', 0)} pending / {counts.get('dead', 0)} dead"
            )


async def reindex(settings: Settings) -> None:
    if settings.store != "elasticsearch":
        raise ConfigError("reindex applies to AQUARIUS_STORE=elasticsearch; the embedded store indexes at write time")
    from aquarius.store.elasticsearch import ElasticsearchStore

    async with AsyncExitStack() as stack:
        store = await open_store(settings, stack)
        assert isinstance(store, ElasticsearchStore)
        old, new = await store.reindex(Collection.ASSETS)
        print(f"reindexed {old} -> {new}; alias {store.alias(Collection.ASSETS)} now points to {new}")
