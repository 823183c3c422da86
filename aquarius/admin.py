"""`aquarius status` and `aquarius reindex`: read and maintain the store without running the daemon."""

from __future__ import annotations

from contextlib import AsyncExitStack

from aquarius.config import ChainConfig, ConfigError, Settings
from aquarius.runner import open_store
from aquarius.store.base import BlockRef, Collection, Store, Write, chain_record

META_KINDS = ("ddo", "stats", "onchain")  # per-DID records of the indexer (indexer/asset_records.py)


async def print_status(settings: Settings) -> None:
    """Per chain: head (asked from its RPC), last indexed block, lag, retry-queue size and lease; from the store."""
    from indexer.lease import chain_leases, describe_lease
    from indexer.rpc import RpcClient, RpcSettings

    async with AsyncExitStack() as stack:
        store = await open_store(settings, stack)
        records = await store.search(Collection.CHAINS, {"query": {"match_all": {}}, "size": 1000})
        cursors = {int(h["_source"]["chain_id"]): int(h["_source"]["last_block"]) for h in records["hits"]["hits"]}
        configured = {c.chain_id: c for c in settings.chains}
        leases = await chain_leases(store)
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
                f"retry queue {counts.get('pending', 0)} pending / {counts.get('dead', 0)} dead, "
                f"lease {describe_lease(leases.get(chain_id))}{_live_mode(configured.get(chain_id))}"
            )


def _live_mode(chain: ChainConfig | None) -> str:
    if chain is None:
        return ""
    if chain.ws_url:
        return f", live mode subscription (polling every {chain.poll_interval:g}s as fallback)"
    return f", live mode polling every {chain.poll_interval:g}s"


async def reindex(settings: Settings) -> None:
    if settings.store != "elasticsearch":
        raise ConfigError("reindex applies to AQUARIUS_STORE=elasticsearch; the embedded store indexes at write time")
    from aquarius.store.elasticsearch import ElasticsearchStore

    async with AsyncExitStack() as stack:
        store = await open_store(settings, stack)
        assert isinstance(store, ElasticsearchStore)
        old, new = await store.reindex(Collection.ASSETS)
        print(f"reindexed {old} -> {new}; alias {store.alias(Collection.ASSETS)} now points to {new}")


CHAIN_FIELDS = (
    (Collection.ASSETS, "chainId"),
    (Collection.STATES, "chain_id"),
    (Collection.ORDERS, "chain_id"),
    (Collection.HISTORY, "chain_id"),
    (Collection.RETRIES, "chain_id"),
)
PAGE = 5000


async def _ids_of_chain(store: Store, collection: Collection, field: str, chain_id: int) -> list[str]:
    body = {"query": {"term": {field: chain_id}}, "size": PAGE, "_source": False}
    return [hit["_id"] for hit in (await store.search(collection, body))["hits"]["hits"]]


async def purge_chain(settings: Settings, chain_id: int) -> dict[str, int]:
    """Delete every document of one chain and its cursor (stop the indexer of that chain first)."""
    removed: dict[str, int] = {}
    async with AsyncExitStack() as stack:
        store = await open_store(settings, stack)
        for collection, field in CHAIN_FIELDS:
            while ids := await _ids_of_chain(store, collection, field, chain_id):
                writes = [Write(collection, i, None) for i in ids]
                if collection is Collection.ASSETS:
                    writes += [Write(Collection.META, f"{kind}:{did}", None) for did in ids for kind in META_KINDS]
                await store.write(writes)
                await store.refresh()
                removed[collection.value] = removed.get(collection.value, 0) + len(ids)
        await store.prune(chain_id, 2**62)  # the reorg bookkeeping: journal and block hashes
        await store.write([Write(Collection.CHAINS, str(chain_id), None)])
    return removed


async def rewind_chain(settings: Settings, chain_id: int, from_block: int) -> None:
    """Move the chain's cursor back so that the indexer applies blocks from `from_block` again. Effects are
    idempotent: what is indexed stays, what was missed is added (stop the indexer of that chain first)."""
    from indexer.rpc import RpcClient

    chain = next((c for c in settings.chains if c.chain_id == chain_id), None)
    if chain is None:
        raise ConfigError(f"chain {chain_id} is not configured (AQUARIUS_CHAINS / EVENTS_RPC)")
    async with AsyncExitStack() as stack:
        store = await open_store(settings, stack)
        if from_block <= 0:
            await store.write([Write(Collection.CHAINS, str(chain_id), None)])
        else:
            async with RpcClient(chain.rpc_urls) as rpc:
                previous = await rpc.get_block(from_block - 1)
            await store.write([chain_record(chain_id, BlockRef(previous.number, previous.hash))])
        await store.refresh()
        body = {
            "query": {
                "bool": {"filter": [{"term": {"chain_id": chain_id}}, {"range": {"number": {"gte": from_block}}}]}
            }
        }
        body |= {"size": PAGE, "_source": False}
        while hits := (await store.search(Collection.BLOCKS, body))["hits"]["hits"]:
            await store.write([Write(Collection.BLOCKS, h["_id"], None) for h in hits])
            await store.refresh()
