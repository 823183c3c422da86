"""Chain leases between real `aquarius` processes over one store: a second indexer of a chain waits while the first
indexes, takes over within one lease time after the first is killed with SIGKILL and resumes from the cursor, with a
store equal to an uninterrupted run's; `--chains` partitions chains between processes; an API process alone reports
what a combined one does."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest

from aquarius.devenv.elasticsearch import ElasticsearchNode
from aquarius.devenv.ports import free_port, project_root
from aquarius.store.base import Collection, Lease, Store
from indexer.lease import chain_lease_name
from tests.chain.fixtures import Chain
from tests.faults.proxy import Fault, FaultKind, FaultProxy
from tests.indexer.conftest import History
from tests.indexer.harness import INDEXER_KEY, assert_same_store, dump, publish_assets
from tests.store.backends import elasticsearch_store, sqlite_store

TTL = 3.0
CHUNK = 20
LOG_RANGE_DELAY = 0.25  # a slow provider: the catch-up lasts long enough to start a second process during it
TAKEOVER_SLACK = 0.75  # beyond the lease time: the successor's last poll, process scheduling on a busy machine

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Indexer:
    process: asyncio.subprocess.Process
    log_file: Path

    @property
    def holder_prefix(self) -> str:
        return f"{socket.gethostname()}:{self.process.pid}:"

    def messages(self) -> list[str]:
        found = []
        for line in self.log_file.read_text().splitlines():
            try:
                found.append(json.loads(line)["message"])
            except (json.JSONDecodeError, KeyError, TypeError):
                continue  # not a log record (a warning printed by a library)
        return found

    async def stop(self) -> int:
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            return await self.process.wait()

    async def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()


async def start(env: dict[str, str], log_file: Path, *args: str) -> Indexer:
    with log_file.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "aquarius.cli", *args, env=env, cwd=project_root(), stderr=output
        )
    return Indexer(process, log_file)


async def until(check: Callable[[], Awaitable[T | None]], what: str, *alive: Indexer, within: float = 60) -> T:
    """Poll another process's effect (nothing to wait on across processes) until `check` gives a value."""
    async with asyncio.timeout(within):
        while True:
            for indexer in alive:
                assert indexer.process.returncode is None, f"exited with {indexer.process.returncode} before {what}"
            value = await check()
            if value is not None and value is not False:
                return value
            await asyncio.sleep(0.02)


def base_env(chains: list[dict[str, Any]], store_env: dict[str, str]) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "AQUARIUS_CHAINS": json.dumps([{**c, "poll_interval": 0.05} for c in chains]),
        "PRIVATE_KEY": INDEXER_KEY,
        "BLOCKS_CHUNK_SIZE": str(CHUNK),
        "AQUARIUS_LEASE_TTL": str(TTL),
        "DB_REPLICAS": "0",
        "LOG_LEVEL": "INFO",
        **store_env,
    }


def es_env(node: ElasticsearchNode, index: str) -> dict[str, str]:
    assert node.auth is None
    host, port = node.url.rsplit(":", 1)
    return {"AQUARIUS_STORE": "elasticsearch", "DB_HOSTNAME": host, "DB_PORT": port, "DB_INDEX": index}


@pytest.fixture(params=["sqlite", "elasticsearch"])
async def leased_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[str, Store, dict[str, str]]]:
    """A store of each kind, with the environment that points an `aquarius` process at it."""
    opened: AbstractAsyncContextManager[Store]
    if request.param == "sqlite":
        path = tmp_path / "leased.db"
        opened, env = sqlite_store(path), {"AQUARIUS_STORE": "sqlite", "AQUARIUS_SQLITE_PATH": str(path)}
    else:
        node: ElasticsearchNode = request.getfixturevalue("es")
        opened, env = elasticsearch_store(node, "leased"), es_env(node, "leased")
    async with opened as store:
        yield request.param, store, env


@pytest.fixture
async def slow_proxy(history: History) -> AsyncIterator[FaultProxy]:
    proxy = await FaultProxy(history.chain.node.url).start()
    proxy.max_log_range = CHUNK
    proxy.inject(Fault(FaultKind.DELAY, seconds=LOG_RANGE_DELAY), method="eth_getLogs", times=1_000_000)
    try:
        yield proxy
    finally:
        await proxy.stop()


async def test_a_second_indexer_waits_then_takes_over_within_a_lease_time_after_kill_9(
    history: History, leased_store: tuple[str, Store, dict[str, str]], slow_proxy: FaultProxy, tmp_path: Path
) -> None:
    kind, store, store_env = leased_store
    chain = history.chain
    chain_id, name = chain.node.chain_id, chain_lease_name(chain.node.chain_id)
    address_file = chain.deployment.write_address_file(tmp_path / "address.json")
    config = {"chain_id": chain_id, "rpc_urls": [slow_proxy.url], "start_block": chain.deployment.start_block}
    env = base_env([{**config, "address_file": str(address_file)}], store_env)

    async def cursor() -> int:
        found = await store.cursor(chain_id)
        return -1 if found is None else found.number

    async def held_by(indexer: Indexer) -> Lease | None:
        lease = await store.read_lease(name)
        return lease if lease is not None and lease.holder.startswith(indexer.holder_prefix) else None

    first = await start(env, tmp_path / "first.log", "index")
    second: Indexer | None = None
    try:
        first_lease = await until(lambda: held_by(first), "the first holds the lease", first)
        await until(lambda: _above(cursor, -1), "the first indexes", first)

        second = await start(env, tmp_path / "second.log", "index")
        waiting = f"chain {chain_id} is leased by {first_lease.holder} until "
        await until(lambda: _logged(second, waiting), "the second says it waits", first, second)
        assert await held_by(first) is not None
        progress = await cursor()
        await until(lambda: _above(cursor, progress), "the first goes on indexing", first, second)
        assert sum(m.startswith(waiting) for m in second.messages()) == 1, "the wait is logged once"
        assert not any("lease held by" in m for m in second.messages())

        last_lease = await store.read_lease(name)
        assert last_lease is not None
        killed_at = time.time()
        await first.kill()
        at_kill = await cursor()
        assert at_kill < history.head, "the catch-up ended before the kill"

        seen: list[int] = []

        async def second_holds() -> Lease | None:
            seen.append(await cursor())
            return await held_by(second)

        assert second is not None
        await until(second_holds, "the second takes the lease over", second, within=TTL + 30)
        takeover = time.time() - killed_at
        log.info("%s: lease taken over %.2fs after kill -9 (lease time %.1fs)", kind, takeover, TTL)
        assert last_lease.expires - 0.05 <= time.time(), "taken over before the holder's lease expired"
        assert takeover <= TTL + TAKEOVER_SLACK, f"taken over {takeover:.2f}s after the kill"

        await until(lambda: _above(cursor, history.head - 1), "the second catches up", second)
        seen.append(await cursor())
        assert min(seen) >= at_kill and seen == sorted(seen), "resumed from the durable cursor"
        assert await second.stop() == 0, second.log_file.read_text()[-3000:]
        assert await store.read_lease(name) is None, "released on a clean stop"
    finally:
        for indexer in (first, second):
            if indexer is not None and indexer.process.returncode is None:
                await indexer.kill()
    assert_same_store(await dump(store), history.live[kind])


async def _above(read: Callable[[], Awaitable[int]], value: int) -> bool:
    return await read() > value


async def _logged(indexer: Indexer, prefix: str) -> bool:
    return any(message.startswith(prefix) for message in indexer.messages())


async def _get(port: int, path: str) -> tuple[int, Any] | None:
    try:
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}{path}") as response:
            return response.status, await response.json()
    except aiohttp.ClientConnectionError:
        return None


async def test_chains_partitioned_between_processes_and_an_api_alone_reports_the_same(
    chain: Chain, second_chain: Chain, es: ElasticsearchNode, tmp_path: Path
) -> None:
    published = {c.node.chain_id: (c, publish_assets(c, n)) for c, n in ((chain, 3), (second_chain, 2))}
    heads = {chain_id: c.w3.eth.block_number for chain_id, (c, _) in published.items()}
    configs = [
        {
            "chain_id": c.node.chain_id,
            "rpc_urls": [c.node.url],
            "start_block": c.deployment.start_block,
            "address_file": str(c.deployment.write_address_file(tmp_path / f"address-{c.node.chain_id}.json")),
        }
        for c, _ in published.values()
    ]
    env = base_env(configs, es_env(es, "partitioned"))
    combined_port, api_port = free_port(), free_port()

    unknown = await start(env, tmp_path / "unknown.log", "index", "--chains", "8996,5,7")
    assert await unknown.process.wait() == 2
    assert "--chains names chain(s) 5, 7 that are not configured; configured chains: 8996, 8997" in (
        unknown.log_file.read_text()
    )

    combined = await start(
        {**env, "AQUARIUS_BIND_URL": f"http://127.0.0.1:{combined_port}"}, tmp_path / "a.log", "run", "--chains", "8996"
    )
    indexer = await start(env, tmp_path / "b.log", "index", "--chains", "8997")
    api = await start({**env, "AQUARIUS_BIND_URL": f"http://127.0.0.1:{api_port}"}, tmp_path / "api.log", "serve")
    processes = (combined, indexer, api)
    try:
        async with elasticsearch_store(es, "partitioned") as store:

            async def published_heads() -> bool:
                leases = {chain_id: await store.read_lease(chain_lease_name(chain_id)) for chain_id in heads}
                cursors = {chain_id: await store.cursor(chain_id) for chain_id in heads}
                return all(
                    lease is not None
                    and lease.note.get("head") == heads[chain_id]
                    and cursors[chain_id] is not None
                    and cursors[chain_id].number == heads[chain_id]
                    for chain_id, lease in leases.items()
                )

            await until(published_heads, "both chains indexed, their heads published", *processes)
            for chain_id, owner in ((8996, combined), (8997, indexer)):
                lease = await store.read_lease(chain_lease_name(chain_id))
                assert lease is not None and lease.holder.startswith(owner.holder_prefix), (chain_id, lease)
            await store.refresh()
            for chain_id, (_, assets) in published.items():
                found = await store.search(Collection.ASSETS, {"query": {"term": {"chainId": chain_id}}, "size": 10})
                assert {hit["_id"] for hit in found["hits"]["hits"]} == {a.did for a in assets}

            paths = ["/ready", "/api/aquarius/chains/list", "/api/aquarius/chains/status/8996"]
            paths.append("/api/aquarius/chains/status/8997")
            answers: dict[str, list[tuple[int, Any]]] = {}
            for path in paths:
                answers[path] = [
                    await until(lambda p=port, q=path: _get(p, q), f"{path} answers", *processes)
                    for port in (combined_port, api_port)
                ]
                assert answers[path][0] == answers[path][1], path
            status, ready = answers["/ready"][0]
            assert status == 200, ready
            assert {k: v["head"] for k, v in ready["chains"].items()} == {str(k): v for k, v in heads.items()}

        for process in processes:
            assert await process.stop() == 0, process.log_file.read_text()[-3000:]
        async with elasticsearch_store(es, "partitioned") as store:
            assert [await store.read_lease(chain_lease_name(chain_id)) for chain_id in heads] == [None, None]
    finally:
        for process in processes:
            if process.process.returncode is None:
                await process.kill()
