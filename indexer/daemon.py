"""`aquarius index`: one sync task per configured chain, in one process, over one store."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aquarius.config import ChainConfig, Settings
from aquarius.metadata.decrypt import LocalDecryptor
from aquarius.metadata.payload import DEFAULT_LIMITS
from aquarius.store.base import Store
from indexer.contracts_book import chain_contracts, start_block
from indexer.fetcher import FetcherSettings
from indexer.handler import HandlerEnv, HandlerRegistry
from indexer.handlers import default_registry
from indexer.reader import RpcChainReader
from indexer.rpc import RpcClient
from indexer.sync import ChainSync

log = logging.getLogger(__name__)


@dataclass
class ChainRuntime:
    config: ChainConfig
    rpc: RpcClient
    sync: ChainSync


def build_chain(
    settings: Settings, chain: ChainConfig, store: Store, registry: HandlerRegistry = default_registry
) -> ChainRuntime:
    contracts = chain_contracts(settings, chain)
    rpc = RpcClient(chain.rpc_urls)
    services: dict[str, object] = {
        "rpc": rpc,
        "settings": settings,
        "contracts": contracts,
        "payload_limits": DEFAULT_LIMITS,
    }
    if settings.private_key:
        services["local_decryptor"] = LocalDecryptor(settings.private_key)
    sync = ChainSync(
        chain_id=chain.chain_id,
        reader=RpcChainReader(
            rpc,
            chain.chain_id,
            fetcher_settings=FetcherSettings(
                initial_range=settings.blocks_chunk_size, max_range=max(settings.blocks_chunk_size, 10_000)
            ),
        ),
        store=store,
        registry=registry,
        env=HandlerEnv(chain.chain_id, services),
        start_block=start_block(chain, contracts),
        confirmations=chain.confirmations,
        poll_interval=chain.poll_interval,
    )
    return ChainRuntime(chain, rpc, sync)


async def run_chains(runtimes: Sequence[ChainRuntime], stop: asyncio.Event) -> None:
    """Sync every chain until `stop` is set; one chain's failure never stops the others (each retries)."""
    try:
        async with asyncio.TaskGroup() as group:
            for runtime in runtimes:
                group.create_task(runtime.sync.run(stop), name=f"sync-{runtime.config.chain_id}")
    finally:
        for runtime in runtimes:
            await runtime.rpc.close()
