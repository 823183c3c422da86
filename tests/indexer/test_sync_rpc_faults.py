"""The sync engine through a misbehaving RPC endpoint loses no event: the store equals the one indexed live
without faults; and a second RPC URL takes over while the first is down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from aquarius.config import ChainConfig, Settings
from tests.faults.proxy import Fault, FaultKind, FaultProxy
from tests.indexer.conftest import History
from tests.indexer.harness import assert_same_store, dump, indexed_to, indexer_settings, running_indexer
from tests.store.backends import sqlite_store

RANGE_LIMIT = 300  # "range too large" above this many blocks, as public providers answer


@pytest_asyncio.fixture
async def proxy(history: History) -> AsyncIterator[FaultProxy]:
    proxy = await FaultProxy(history.chain.node.url).start()
    try:
        yield proxy
    finally:
        await proxy.stop()


def _settings_with(history: History, tmp_path: Path, rpc_urls: list[str]) -> Settings:
    settings = indexer_settings(history.chain, tmp_path / "address.json", blocks_chunk_size=100)
    chain = settings.chains[0]
    return settings.model_copy(update={"chains": [ChainConfig(**{**chain.model_dump(), "rpc_urls": rpc_urls})]})


async def test_faults_lose_no_event(history: History, proxy: FaultProxy, tmp_path: Path) -> None:
    proxy.max_log_range = RANGE_LIMIT
    faults = [
        Fault(FaultKind.STATUS, status=429),
        Fault(FaultKind.STATUS, status=503),
        Fault(FaultKind.RESET),
        Fault(FaultKind.TRUNCATE),
    ]
    for i, fault in enumerate(faults):
        proxy.inject(fault, method="eth_getLogs", nth=2 + 3 * i, times=2)
        proxy.inject(fault, method="eth_blockNumber", nth=1 + i)
    proxy.inject(Fault(FaultKind.RESET), nth=40, times=3)  # whatever call comes then
    settings = _settings_with(history, tmp_path, [proxy.url])

    async with sqlite_store(tmp_path / "faults.db") as store:
        async with running_indexer(settings, store) as runtime:
            await indexed_to(runtime, history.head)
        through_faults = await dump(store)

    assert sum(proxy.stats.faults.values()) == 2 * len(faults) + len(faults) + 3
    assert proxy.stats.refused_ranges > 0
    assert_same_store(through_faults, history.live["sqlite"])


async def test_second_url_takes_over_while_the_first_is_down(
    history: History, proxy: FaultProxy, tmp_path: Path
) -> None:
    await proxy.go_down()
    settings = _settings_with(history, tmp_path, [proxy.url, history.chain.node.url])

    async with sqlite_store(tmp_path / "failover.db") as store:
        async with running_indexer(settings, store) as runtime:
            await indexed_to(runtime, history.head)
            health = runtime.rpc.health()
        failed_over = await dump(store)

    assert health[0].failures > 0 and proxy.stats.requests == 0
    assert_same_store(failed_over, history.live["sqlite"])
