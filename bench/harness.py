"""What the benchmarks share: the store under test, indexer settings for the fixture chain, memory figures."""

from __future__ import annotations

import resource
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Literal

from aquarius.config import ChainConfig, Settings
from aquarius.devenv.anvil import AnvilNode
from aquarius.devenv.elasticsearch import start_elasticsearch
from aquarius.store.base import Collection, Store
from aquarius.store.elasticsearch import ElasticsearchStore
from aquarius.store.sqlite import SqliteStore
from bench.chain_fixture import BENCH_INDEXER_KEY, FixtureInfo

StoreKind = Literal["elasticsearch", "sqlite"]


async def open_store(kind: StoreKind, folder: Path, stack: AsyncExitStack) -> tuple[Store, str | None]:
    """A fresh store of `kind`; for Elasticsearch also its node's URL (the node stops with `stack`)."""
    if kind == "elasticsearch":
        node = start_elasticsearch()
        stack.callback(node.stop)
        store: Store = ElasticsearchStore(node.url, replicas=0)
        url: str | None = node.url
    else:
        store, url = SqliteStore(folder / "bench.sqlite"), None
    await store.open()
    stack.push_async_callback(store.close)
    return store, url


def indexer_settings(node: AnvilNode, info: FixtureInfo, folder: Path, *, poll_interval: float = 1.0) -> Settings:
    address_file = info.ocean().write_address_file(folder / "address.json")
    chain = ChainConfig(
        chain_id=node.chain_id, rpc_urls=[node.url], start_block=0, confirmations=0, poll_interval=poll_interval
    )
    return Settings(chains=[chain], address_file=address_file, private_key=BENCH_INDEXER_KEY)


async def count_assets(store: Store) -> int:
    await store.refresh()
    answer = await store.search(Collection.ASSETS, {"query": {"match_all": {}}, "size": 0, "track_total_hits": True})
    return int(answer["hits"]["total"]["value"])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
