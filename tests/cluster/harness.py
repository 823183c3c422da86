"""Running the daemon's commands as separate processes against the two-node cluster, as an operator would."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import ClientSession

from aquarius.devenv.elasticsearch import ElasticsearchCluster
from aquarius.devenv.ports import free_port, project_root
from aquarius.store.elasticsearch import ElasticsearchStore


@asynccontextmanager
async def cluster_store(
    cluster: ElasticsearchCluster, index_name: str, replicas: int = 1
) -> AsyncIterator[ElasticsearchStore]:
    store = ElasticsearchStore(cluster.hosts.split(","), index_name=index_name, replicas=replicas)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def store_env(cluster: ElasticsearchCluster, index_name: str) -> dict[str, str]:
    """The environment of a process using the cluster: every node named, one replica per shard."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "AQUARIUS_STORE": "elasticsearch",
        "DB_HOSTNAME": cluster.hosts,
        "DB_INDEX": index_name,
        "DB_REPLICAS": "1",
        "LOG_LEVEL": "WARNING",
    }


def read_log(log: Path) -> str:
    return log.read_text(errors="replace")


@asynccontextmanager
async def aquarius_process(command: str, env: dict[str, str], log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    """`aquarius <command>` running for the duration of the block; it must then stop cleanly on SIGTERM."""
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "aquarius.cli",
            command,
            env=env,
            cwd=project_root(),
            stdout=asyncio.subprocess.PIPE,
            stderr=output,
        )
    try:
        yield process
        assert process.returncode is None, f"{command} exited early:\n{read_log(log)}"
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            assert await process.wait() == 0, read_log(log)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@dataclass
class ApiProcess:
    url: str
    session: ClientSession

    async def get(self, path: str) -> tuple[int, Any]:
        async with self.session.get(self.url + path) as response:
            return response.status, await response.json(content_type=None)

    async def post(self, path: str, body: object) -> tuple[int, Any]:
        async with self.session.post(self.url + path, json=body) as response:
            return response.status, await response.json(content_type=None)


@asynccontextmanager
async def serving(env: dict[str, str], log: Path) -> AsyncIterator[ApiProcess]:
    """`aquarius serve` on a free port, answering when the block starts."""
    port = free_port()
    env = {**env, "AQUARIUS_BIND_URL": f"http://127.0.0.1:{port}"}
    async with aquarius_process("serve", env, log) as process, ClientSession() as session:
        assert process.stdout is not None
        async with asyncio.timeout(60):
            line = await process.stdout.readline()
        assert f"listening on http://127.0.0.1:{port}".encode() in line, read_log(log)
        yield ApiProcess(f"http://127.0.0.1:{port}", session)
