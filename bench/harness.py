"""What the benchmarks share: the store under test, indexer settings for the fixture chain, memory figures."""

from __future__ import annotations

import json
import math
import os
import resource
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from aquarius.config import ChainConfig, Settings
from aquarius.devenv.anvil import AnvilNode
from aquarius.devenv.elasticsearch import start_elasticsearch
from aquarius.devenv.ports import free_port, project_root
from aquarius.store.base import Collection, Store
from aquarius.store.elasticsearch import ElasticsearchStore
from aquarius.store.sqlite import SqliteStore
from bench.chain_fixture import BENCH_INDEXER_KEY, FixtureInfo

StoreKind = Literal["elasticsearch", "sqlite"]


async def open_store(kind: StoreKind, folder: Path, stack: AsyncExitStack) -> tuple[Store, str | None]:
    """A fresh store of `kind`; for Elasticsearch also its node's URL (the node stops with `stack`)."""
    if kind == "elasticsearch":
        node = start_elasticsearch()
        stack.callback(node.stop)
        store: Store = ElasticsearchStore(node.url, replicas=0)
        url: str | None = node.url
    else:
        store, url = SqliteStore(folder / "bench.sqlite"), None
    await store.open()
    stack.push_async_callback(store.close)
    return store, url


def indexer_settings(node: AnvilNode, info: FixtureInfo, folder: Path, *, poll_interval: float = 1.0) -> Settings:
    address_file = info.ocean().write_address_file(folder / "address.json")
    chain = ChainConfig(
        chain_id=node.chain_id, rpc_urls=[node.url], start_block=0, confirmations=0, poll_interval=poll_interval
    )
    return Settings(chains=[chain], address_file=address_file, private_key=BENCH_INDEXER_KEY)


async def count_assets(store: Store) -> int:
    await store.refresh()
    answer = await store.search(Collection.ASSETS, {"query": {"match_all": {}}, "size": 0, "track_total_hits": True})
    return int(answer["hits"]["total"]["value"])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (`q` in 0-100) of unsorted samples."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def store_env(kind: StoreKind, es_url: str | None, sqlite_path: Path) -> dict[str, str]:
    """The environment that points an `aquarius` process at the bench store."""
    if kind == "sqlite":
        return {"AQUARIUS_STORE": "sqlite", "AQUARIUS_SQLITE_PATH": str(sqlite_path)}
    assert es_url is not None
    parsed = urlparse(es_url)
    return {
        "AQUARIUS_STORE": "elasticsearch",
        "DB_HOSTNAME": f"{parsed.scheme}://{parsed.hostname}",
        "DB_PORT": str(parsed.port),
        "DB_REPLICAS": "0",
    }


def chains_env(chains: Sequence[ChainConfig]) -> dict[str, str]:
    return {"AQUARIUS_CHAINS": json.dumps([c.model_dump(mode="json") for c in chains])}


@dataclass
class AquariusProcess:
    """`aquarius <command>` as a process of its own, so that it never shares an event loop with the measurer."""

    process: subprocess.Popen[bytes]
    log: Path
    url: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def failure(self) -> str:
        state = "running" if self.process.poll() is None else f"exited with {self.process.returncode}"
        return f"aquarius {state}; its log ends:\n{self.log.read_text()[-3000:]}"


def start_aquarius(command: str, env: dict[str, str], folder: Path, *, timeout: float = 60.0) -> AquariusProcess:
    """Start `aquarius <command>` with `env` over a clean environment; for `serve` and `run`, on a free port,
    returning once the API answers."""
    port = free_port()
    log = folder / f"aquarius-{command}-{port}.log"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AQUARIUS_", "DB_"))}
    full_env |= {"LOG_LEVEL": "WARNING", "AQUARIUS_BIND_URL": f"http://127.0.0.1:{port}", **env}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "aquarius.cli", command],
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=project_root(),
        )
    started = AquariusProcess(process, log, f"http://127.0.0.1:{port}")
    if command == "index":
        return started
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(started.failure())
        try:
            with urllib.request.urlopen(started.url + "/", timeout=5) as response:
                if response.status == 200:
                    return started
        except OSError:
            pass
        time.sleep(0.05)
    started.stop()
    raise RuntimeError(f"the API did not answer within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


def load_average() -> str:
    """Other work on the machine changes every absolute figure: each benchmark prints this beside them."""
    return f"load average {os.getloadavg()[0]:.1f}"


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {memory:.0f} GB, {load_average()}"
