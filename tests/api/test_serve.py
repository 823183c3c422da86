"""`aquarius serve` as an operator runs it: the configured Elasticsearch store, the bind address from the
environment, a clean exit on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from aiohttp import ClientSession

from aquarius.devenv.elasticsearch import ElasticsearchNode
from aquarius.devenv.ports import free_port
from aquarius.store.base import Store
from aquarius.store.sqlite import SqliteStore
from tests.api.catalog import WEATHER


async def test_serve_answers_and_stops_cleanly_on_sigterm(store: Store, es_node: ElasticsearchNode) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "AQUARIUS_", "EVENTS_"))}
    env |= {"DB_INDEX": store.asset_index_name, "AQUARIUS_BIND_URL": f"http://127.0.0.1:{port}"}
    if isinstance(store, SqliteStore):
        env |= {"AQUARIUS_STORE": "sqlite", "AQUARIUS_SQLITE_PATH": str(store.path)}
    else:
        env |= {"AQUARIUS_STORE": "elasticsearch", "DB_HOSTNAME": "http://127.0.0.1", "DB_PORT": str(es_node.port)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "aquarius.cli", "serve", env=env, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
        assert f"listening on http://127.0.0.1:{port}".encode() in line
        url = f"http://127.0.0.1:{port}/api/aquarius/assets/ddo/{WEATHER.did}"
        async with ClientSession() as session, session.get(url) as response:
            assert response.status == 200
            assert (await response.json())["id"] == WEATHER.did
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
