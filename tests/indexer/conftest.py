"""The long history shared by the sync tests: its own chain, published once per session while the indexer
follows it live into both stores (their dumps are kept, so later tests may wipe the Elasticsearch node)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from web3 import Web3

from aquarius.devenv.anvil import start_anvil
from aquarius.devenv.elasticsearch import ElasticsearchNode
from aquarius.devenv.ocean import deploy_ocean
from aquarius.devenv.publisher import DataAsset, OceanPublisher
from tests.chain.fixtures import Chain
from tests.indexer.harness import Dump, dump, indexed_to, indexer_settings, publish_history, running_indexer
from tests.infra_timings import TIMINGS
from tests.store.backends import elasticsearch_store, sqlite_store


@dataclass
class History:
    chain: Chain
    assets: list[DataAsset]
    head: int
    live: dict[str, Dump]  # by store kind: what the indexer wrote while following the chain live
    live_events: dict[str, int]  # by store kind: handled events applied


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def history(es_node: ElasticsearchNode, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[History]:
    started = time.monotonic()
    folder: Path = tmp_path_factory.mktemp("history")
    node = start_anvil()
    try:
        w3 = Web3(Web3.HTTPProvider(node.url))
        deployment = deploy_ocean(w3)
        chain = Chain(node=node, w3=w3, deployment=deployment, publisher=OceanPublisher(w3, deployment))
        settings = indexer_settings(chain, folder / "address.json")
        async with contextlib.AsyncExitStack() as stack:
            stores = {
                "sqlite": await stack.enter_async_context(sqlite_store(folder / "live.db")),
                "elasticsearch": await stack.enter_async_context(elasticsearch_store(es_node, "history_live")),
            }
            runtimes = {
                kind: await stack.enter_async_context(running_indexer(settings, store))
                for kind, store in stores.items()
            }
            assets = await asyncio.to_thread(publish_history, node, chain.publisher)
            head = w3.eth.block_number
            for runtime in runtimes.values():
                await indexed_to(runtime, head)
            live = {kind: await dump(store) for kind, store in stores.items()}
            events = {kind: runtime.sync.status.events for kind, runtime in runtimes.items()}
        TIMINGS["history chain (published while indexed live into both stores)"] = time.monotonic() - started
        yield History(chain=chain, assets=assets, head=head, live=live, live_events=events)
    finally:
        node.stop()
