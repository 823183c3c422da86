"""`aquarius index`: one sync task per indexed chain, in one process, over one store; each chain's task syncs only
while this process holds the chain's lease, so several processes may share a store and the chains."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aquarius.config import ChainConfig, Settings
from aquarius.metadata.decrypt import LocalDecryptor, RemoteDecryptor, RemoteDecryptorSettings
from aquarius.metadata.decryptor_url import DecryptorUrlPolicy
from aquarius.metadata.payload import DEFAULT_LIMITS
from aquarius.metadata.pipeline import prepare_worker
from aquarius.store.base import Store
from indexer.contracts_book import chain_contracts, start_block
from indexer.cpu_pool import CpuPool, default_workers
from indexer.fetcher import FetcherSettings
from indexer.handler import HandlerEnv, HandlerRegistry
from indexer.handlers import default_registry
from indexer.lease import ChainLease, holder_id, run_leased
from indexer.new_heads import NewHeads
from indexer.reader import RpcChainReader
from indexer.retry_queue import RetryPolicy
from indexer.retry_worker import RetryWorker
from indexer.rpc import RpcClient
from indexer.sync import ChainSync

log = logging.getLogger(__name__)


@dataclass
class ChainRuntime:
    """One chain's sync with what it holds open (RPC session, decryptor session, worker processes, new-head
    subscription); use as an async context."""

    config: ChainConfig
    rpc: RpcClient
    sync: ChainSync
    lease_ttl: float
    cpu_pool: CpuPool
    remote_decryptor: RemoteDecryptor | None = None
    new_heads: NewHeads | None = None

    async def __aenter__(self) -> ChainRuntime:
        if self.remote_decryptor is not None:
            await self.remote_decryptor.__aenter__()
        if self.new_heads is not None:
            await self.new_heads.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.new_heads is not None:
            await self.new_heads.__aexit__(None, None, None)
        if self.remote_decryptor is not None:
            await self.remote_decryptor.__aexit__(None, None, None)
        await self.cpu_pool.close()
        await self.rpc.close()


def build_chain(
    settings: Settings, chain: ChainConfig, store: Store, registry: HandlerRegistry = default_registry
) -> ChainRuntime:
    contracts = chain_contracts(settings, chain)
    rpc = RpcClient(chain.rpc_urls)
    cpu_pool = CpuPool(
        settings.cpu_workers or default_workers(), initializer=prepare_worker, initargs=(settings.private_key,)
    )
    services: dict[str, object] = {
        "rpc": rpc,
        "settings": settings,
        "contracts": contracts,
        "payload_limits": DEFAULT_LIMITS,
        "cpu_pool": cpu_pool,
    }
    remote = None
    if settings.private_key:
        services["local_decryptor"] = LocalDecryptor(settings.private_key)
        policy_settings = RemoteDecryptorSettings(
            timeout_seconds=settings.decryptor_timeout,
            policy=DecryptorUrlPolicy(allow_private=settings.decryptor_allow_private),
        )
        remote = services["remote_decryptor"] = RemoteDecryptor(settings.private_key, policy_settings)
    env = HandlerEnv(chain.chain_id, services)
    policy = RetryPolicy(max_age=settings.process_retry_max_hold)
    reader = RpcChainReader(
        rpc,
        chain.chain_id,
        fetcher_settings=FetcherSettings(
            initial_range=settings.blocks_chunk_size, max_range=max(settings.blocks_chunk_size, 10_000)
        ),
    )
    new_heads = NewHeads(chain.ws_url, chain.chain_id) if chain.ws_url else None
    worker = RetryWorker(
        chain_id=chain.chain_id, store=store, rpc=rpc, events=reader.events, registry=registry, env=env, policy=policy
    )
    sync = ChainSync(
        chain_id=chain.chain_id,
        reader=reader,
        store=store,
        registry=registry,
        env=env,
        start_block=start_block(chain, contracts),
        confirmations=chain.confirmations,
        poll_interval=chain.poll_interval,
        retry_policy=policy,
        retry_worker=worker,
        new_head=new_heads.arrived if new_heads else None,
    )
    return ChainRuntime(chain, rpc, sync, settings.lease_ttl, cpu_pool, remote, new_heads)


def chain_lease(runtime: ChainRuntime, holder: str) -> ChainLease:
    sync = runtime.sync

    def note() -> dict[str, object]:
        return {"head": sync.status.head} if sync.status.head else {}

    lease = ChainLease(sync.store, sync.chain_id, holder, runtime.lease_ttl, note)
    sync.write_guard = lease.check
    return lease


async def run_chains(runtimes: Sequence[ChainRuntime], stop: asyncio.Event) -> None:
    """Sync every chain whenever this process holds its lease, until `stop` is set; one chain's failure never
    stops the others (each retries)."""
    holder = holder_id()
    async with contextlib.AsyncExitStack() as stack:
        for runtime in runtimes:
            await stack.enter_async_context(runtime)
        async with asyncio.TaskGroup() as group:
            for runtime in runtimes:
                lease = chain_lease(runtime, holder)
                group.create_task(run_leased(lease, runtime.sync.run, stop), name=f"sync-{runtime.config.chain_id}")
