"""`kill -9` of the indexer process at random points of a catch-up, each followed by a restart: the store ends
identical to an uninterrupted run's (every document, every cursor), in both stores."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from aquarius.devenv.elasticsearch import ElasticsearchNode
from aquarius.devenv.ports import project_root
from aquarius.store.base import Collection, Store
from tests.faults.proxy import FaultProxy
from tests.indexer.conftest import History
from tests.indexer.harness import (
    INDEXER_KEY,
    assert_same_store,
    dump,
    indexed_to,
    indexer_settings,
    running_indexer,
)
from tests.store.backends import elasticsearch_store, sqlite_store

KILLS = 10
CHUNK = 20  # the proxy refuses wider log ranges, so the catch-up is many small batches, each a commit point


def _store_env(kind: str, tmp_path: Path, name: str, node: ElasticsearchNode | None) -> dict[str, str]:
    if kind == "sqlite":
        return {"AQUARIUS_STORE": "sqlite", "AQUARIUS_SQLITE_PATH": str(tmp_path / f"{name}.db")}
    assert node is not None and node.auth is None
    host, port = node.url.rsplit(":", 1)
    return {"AQUARIUS_STORE": "elasticsearch", "DB_HOSTNAME": host, "DB_PORT": port, "DB_INDEX": name}


def _open(kind: str, tmp_path: Path, name: str, node: ElasticsearchNode | None) -> AbstractAsyncContextManager[Store]:
    if kind == "sqlite":
        return sqlite_store(tmp_path / f"{name}.db")
    assert node is not None
    return elasticsearch_store(node, name)


@pytest.fixture(params=["sqlite", "elasticsearch"])
def store_kind(request: pytest.FixtureRequest) -> tuple[str, ElasticsearchNode | None]:
    node = request.getfixturevalue("es") if request.param == "elasticsearch" else None
    return request.param, node


@pytest.fixture
async def narrow_proxy(history: History) -> AsyncIterator[FaultProxy]:
    proxy = await FaultProxy(history.chain.node.url).start()
    proxy.max_log_range = CHUNK
    try:
        yield proxy
    finally:
        await proxy.stop()


async def _cursor_beyond(store: Store, chain_id: int, block: int, process: asyncio.subprocess.Process) -> int:
    """Wait until the indexer process has committed a block after `block`; returns its cursor."""
    async with asyncio.timeout(60):
        while True:
            assert process.returncode is None, f"the indexer exited with {process.returncode}"
            cursor = await store.cursor(chain_id)
            if cursor is not None and cursor.number > block:
                return cursor.number
            await asyncio.sleep(0.01)


async def test_kill_9_at_random_points_then_restart_equals_an_uninterrupted_run(
    history: History, store_kind: tuple[str, ElasticsearchNode | None], narrow_proxy: FaultProxy, tmp_path: Path
) -> None:
    kind, node = store_kind
    chain = history.chain
    chain_id = chain.node.chain_id
    address_file = tmp_path / "address.json"
    settings = indexer_settings(chain, address_file)
    chains = [{"chain_id": chain_id, "rpc_urls": [narrow_proxy.url], "start_block": chain.deployment.start_block}]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AQUARIUS_CHAINS": json.dumps([{**c, "poll_interval": 0.05} for c in chains]),
        "ADDRESS_FILE": str(address_file),
        "PRIVATE_KEY": INDEXER_KEY,
        "BLOCKS_CHUNK_SIZE": str(CHUNK),
        "AQUARIUS_LEASE_TTL": "1",  # a restart after kill -9 waits for the killed process's lease to expire
        "DB_REPLICAS": "0",
        "LOG_LEVEL": "WARNING",
        **_store_env(kind, tmp_path, "killed", node),
    }
    log_file = tmp_path / "indexer.log"

    async def start() -> asyncio.subprocess.Process:
        with log_file.open("ab") as output:
            return await asyncio.create_subprocess_exec(
                sys.executable, "-m", "aquarius.cli", "index", env=env, cwd=project_root(), stderr=output
            )

    rng = random.Random(f"kill-{kind}")
    kill_points: list[int] = []
    async with _open(kind, tmp_path, "killed", node) as killed:
        last = -1
        while len(kill_points) < KILLS:
            process = await start()
            try:
                last = await _cursor_beyond(killed, chain_id, last, process)
                await asyncio.sleep(rng.uniform(0.0, 0.25))  # lands anywhere: fetching, applying, committing
                assert (await killed.cursor(chain_id) or last) != history.head, "caught up before every kill"
            finally:
                process.send_signal(signal.SIGKILL)
                await process.wait()
            kill_points.append(last)
        process = await start()
        try:
            await _cursor_beyond(killed, chain_id, history.head - 1, process)
        finally:
            process.send_signal(signal.SIGTERM)
            async with asyncio.timeout(30):
                await process.wait()
        assert process.returncode == 0, log_file.read_text()
        after_kills = await dump(killed)

    async with _open(kind, tmp_path, "clean", node) as clean:
        async with running_indexer(settings, clean) as runtime:
            await indexed_to(runtime, history.head)
        uninterrupted = await dump(clean)

    assert len(set(kill_points)) == KILLS, kill_points  # each kill came after new progress
    assert after_kills[Collection.CHAINS][str(chain_id)]["last_block"] == history.head
    assert_same_store(after_kills, uninterrupted)
