"""The long-running commands: `index`, `serve` and `run` (both in one process), sharing one store and one
clean stop on SIGTERM/SIGINT (the indexer finishes the block it is applying; the cursor is already durable)."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Sequence
from contextlib import AsyncExitStack
from datetime import UTC, datetime

from aquarius.config import ChainConfig, ConfigError, Settings
from aquarius.store.base import Store, StoreError
from aquarius.store.factory import make_store


def stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return stop


async def open_store(settings: Settings, stack: AsyncExitStack) -> Store:
    store = make_store(settings)
    try:
        await store.open()
    except StoreError as err:
        await store.close()
        where = settings.es_url if settings.store == "elasticsearch" else str(settings.sqlite_path)
        raise ConfigError(f"store unreachable at {where} (AQUARIUS_STORE={settings.store}): {err}") from None
    stack.push_async_callback(store.close)
    return store


def chosen_chains(settings: Settings, chain_ids: Sequence[int] | None) -> list[ChainConfig]:
    """The configured chains named by `--chains` (all of them without it)."""
    if chain_ids is None:
        return list(settings.chains)
    configured = [c.chain_id for c in settings.chains]
    unknown = [i for i in chain_ids if i not in configured]
    if unknown:
        raise ConfigError(
            f"--chains names chain(s) {', '.join(map(str, unknown))} that are not configured; configured chains: "
            + (", ".join(map(str, configured)) or "none (set AQUARIUS_CHAINS, or EVENTS_RPC and CHAIN_ID)")
        )
    return [c for c in settings.chains if c.chain_id in chain_ids]


async def run(settings: Settings, *, index: bool, serve: bool, chain_ids: Sequence[int] | None = None) -> None:
    """`chain_ids`: the chains this process indexes (`--chains`); the API still reports every configured one."""
    from indexer.daemon import build_chain, run_chains

    chains = chosen_chains(settings, chain_ids)
    if index and not chains:
        raise ConfigError("no chains configured: set AQUARIUS_CHAINS, or EVENTS_RPC and CHAIN_ID")
    async with AsyncExitStack() as stack:
        store = await open_store(settings, stack)
        stop = stop_on_signals()
        runtimes = [build_chain(settings, chain, store) for chain in chains] if index else []
        if serve:
            from api.server import start_api

            await start_api(settings, store, stack)
        if index:
            from indexer.progress import report_progress

            start_scheduled_jobs(settings, store, stack)
            progress = asyncio.create_task(report_progress([r.sync for r in runtimes], stop))
            await run_chains(runtimes, stop)
            await progress
        else:
            await stop.wait()


def start_scheduled_jobs(settings: Settings, store: Store, stack: AsyncExitStack) -> None:
    """Periodic jobs of the indexer (APScheduler, on this event loop): the purgatory lists."""
    if not (settings.asset_purgatory_url or settings.account_purgatory_url):
        return
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from indexer.purgatory import PurgatoryJob

    job = PurgatoryJob(store, asset_url=settings.asset_purgatory_url, account_url=settings.account_purgatory_url)
    scheduler = AsyncIOScheduler()
    scheduler.add_job(
        job.refresh,
        "interval",
        minutes=settings.purgatory_update_interval,
        next_run_time=datetime.now(UTC),
        max_instances=1,
        coalesce=True,
    )
    scheduler.start()
    stack.callback(scheduler.shutdown, wait=False)
