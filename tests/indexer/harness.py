"""Running the real indexer against the test chain and a real store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aquarius.config import ChainConfig, Settings
from aquarius.store.base import Store
from indexer.daemon import ChainRuntime, build_chain
from tests.chain.fixtures import Chain

INDEXER_KEY = "0x" + "42" * 32


def indexer_settings(chain: Chain, address_file: Path, **overrides: object) -> Settings:
    chain.deployment.write_address_file(address_file)
    config = ChainConfig(
        chain_id=chain.node.chain_id,
        rpc_urls=[chain.node.url],
        start_block=chain.deployment.start_block,
        poll_interval=0.05,
    )
    values: dict[str, object] = {"chains": [config], "address_file": address_file, "private_key": INDEXER_KEY}
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running_indexer(settings: Settings, store: Store) -> AsyncIterator[ChainRuntime]:
    """The chain's sync task running in the background for the duration of the block."""
    runtime = build_chain(settings, settings.chains[0], store)
    stop = asyncio.Event()
    task = asyncio.create_task(runtime.sync.run(stop))
    try:
        yield runtime
    finally:
        stop.set()
        await task
        await runtime.rpc.close()


async def indexed_to(runtime: ChainRuntime, block: int) -> None:
    async with asyncio.timeout(60):
        await runtime.sync.wait_for_block(block)
