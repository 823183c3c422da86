"""API benchmark: N generated assets (the conformance corpus) written straight into the store, `aquarius serve` in
processes of its own, and a load generator in another process, for five requests: DDO by id, the market's home-page
query, a text search (the market's search page), an aggregation (the market's top publishers) and `/names` with
1,000 DIDs. Each is measured next to a reference in the same run: for Elasticsearch the request the API makes,
sent straight to the node (`GET /<index>/_doc/<id>`, `_search` with the body the store sends, `_mget`); for the
embedded store, which has no HTTP of its own, the store's own call timed in the load process on the same file.

Latency (p50, p99) is measured with one connection, requests back to back; throughput (successful answers per
second) with `--connections` connections; failed requests are counted and printed under the table. With
`--api-processes 1,2` the DDO and home-page throughput is also measured with two `aquarius serve` processes on the
same data, the connections split evenly across them.

    .venv/bin/python -m bench.api_latency [--assets 10000] [--store elasticsearch|sqlite|all] [--duration 5]
        [--connections 32] [--api-processes 1,2]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from api.query_guard import guard_search
from aquarius.store.base import Collection, Doc, Store, Write
from aquarius.store.elasticsearch import ElasticsearchStore, _rewrite_index_terms
from aquarius.store.sqlite import SqliteStore
from bench.harness import (
    AquariusProcess,
    StoreKind,
    load_average,
    machine,
    open_store,
    start_aquarius,
    store_env,
)
from bench.load import LoadResult, Request, drive, http_load_sync, in_process, load_process
from tests.conformance.bodies import base_query, search_page
from tests.conformance.corpus import CHAINS, make_corpus

ASSETS = "/api/aquarius/assets"
NAMES_DIDS = 1000
QUERY_MAX_SIZE = 1000  # the API's default AQUARIUS_QUERY_MAX_SIZE
SCALED = ("DDO by id", "home page query")


@dataclass(frozen=True)
class StoreCall:
    """The reference of one request on the embedded store: a store method and its argument per request."""

    method: str  # get | search | mget
    arguments: list[Any]


@dataclass(frozen=True)
class Workload:
    name: str
    ours: list[tuple[str, str, Doc | None]]  # method, path under the API, JSON body
    es: list[tuple[str, str, Doc | None]]  # method, path under the node, JSON body
    store: StoreCall


def _listed(doc: Doc) -> bool:
    status = doc.get("status")
    return not (isinstance(status, dict) and status.get("isListed") is False)


def workloads(corpus: list[Doc], alias: str, concrete: str) -> list[Workload]:
    dids = [d["id"] for d in corpus if _listed(d)]
    random.Random(7).shuffle(dids)
    dids = dids[:2000]

    def searched(body: Doc) -> Doc:
        """The body the store sends to Elasticsearch for `body` posted to the API."""
        guarded = guard_search(body, QUERY_MAX_SIZE)
        return {**guarded, "query": _rewrite_index_terms(guarded["query"], alias, concrete)}

    top_publishers = {
        "publishers": {
            "terms": {"field": "nft.owner.keyword", "size": 9, "order": {"orders": "desc"}},
            "aggs": {"orders": {"sum": {"field": "stats.orders"}}},
        }
    }
    queries = [
        ("home page query", base_query(size=6, sort={"nft.created": "desc"}, chains=CHAINS)),
        ("text search", search_page("weather data", chains=CHAINS)),
        ("aggregation", base_query(size=0, aggs=top_publishers, chains=CHAINS)),
    ]
    names = dids[:NAMES_DIDS]
    return [
        Workload(
            "DDO by id",
            [("GET", f"{ASSETS}/ddo/{did}", None) for did in dids],
            [("GET", f"/{alias}/_doc/{quote(did, safe='')}", None) for did in dids],
            StoreCall("get", dids),
        ),
        *(
            Workload(
                name,
                [("POST", f"{ASSETS}/query", body)],
                [("POST", f"/{alias}/_search", searched(body))],
                StoreCall("search", [guard_search(body, QUERY_MAX_SIZE)]),
            )
            for name, body in queries
        ),
        Workload(
            f"/names with {len(names)} DIDs",
            [("POST", f"{ASSETS}/names", {"didList": names})],
            [("POST", f"/{alias}/_mget", {"ids": names})],
            StoreCall("mget", [names]),
        ),
    ]


def requests(base: str, calls: list[tuple[str, str, Doc | None]]) -> list[Request]:
    return [Request(m, base + path, None if body is None else json.dumps(body).encode()) for m, path, body in calls]


def store_load_sync(path: Path, call: StoreCall, connections: int, duration: float) -> LoadResult:
    return asyncio.run(_store_load(path, call, connections, duration))


async def _store_load(path: Path, call: StoreCall, connections: int, duration: float) -> LoadResult:
    store = SqliteStore(path)
    await store.open()
    try:
        method = getattr(store, call.method)

        async def once(n: int) -> str | None:
            await method(Collection.ASSETS, call.arguments[n % len(call.arguments)])
            return None

        await once(0)
        return await drive([once] * connections, duration)
    finally:
        await store.close()


@dataclass
class Measured:
    latency: LoadResult
    throughput: LoadResult


async def measure(
    pool: ProcessPoolExecutor, load: Callable[..., LoadResult], *args: Any, connections: int, duration: float
) -> Measured:
    latency = await in_process(pool, load, *args, 1, duration)
    throughput = await in_process(pool, load, *args, connections, duration)
    return Measured(latency, throughput)


async def load_corpus(store: Store, corpus: list[Doc]) -> float:
    started = time.perf_counter()
    for i in range(0, len(corpus), 500):
        await store.write([Write(Collection.ASSETS, d["id"], d) for d in corpus[i : i + 500]])
    await store.refresh()
    return time.perf_counter() - started


def ratio(ours: float, reference: float, digits: int) -> str:
    return f"{ours / reference:>6.{digits}f}" if reference else f"{'-':>6}"


def print_table(rows: list[tuple[str, Measured, Measured]], reference: str) -> None:
    print(f"  reference: {reference}")
    header = (
        f"  {'request':<24} {'req/s':>7} {'ref':>7} {'ratio':>6} | {'p50 ms':>7} {'ref':>7} {'overhead':>8} "
        f"{'ratio':>6} | {'p99 ms':>7} {'ref':>7}"
    )
    print(header)
    for name, ours, ref in rows:
        o, r = ours.latency, ref.latency
        print(
            f"  {name:<24} {ours.throughput.rate:>7.0f} {ref.throughput.rate:>7.0f} "
            f"{ratio(ours.throughput.rate, ref.throughput.rate, 2)} | {o.p50:>7.2f} {r.p50:>7.2f} "
            f"{o.p50 - r.p50:>8.2f} {ratio(o.p50, r.p50, 1)} | {o.p99:>7.2f} {r.p99:>7.2f}"
        )
    for name, ours, ref in rows:
        for who, measured in (("ours", ours), ("reference", ref)):
            for phase, result in (("1 connection", measured.latency), ("under load", measured.throughput)):
                if result.failures:
                    failed = f"{result.failures} of {result.requests} failed ({result.first_failure})"
                    print(f"  {name}, {who}, {phase}: {failed}")


async def run_store(kind: StoreKind, n: int, duration: float, connections: int, processes: list[int]) -> None:
    corpus = make_corpus(n)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        async with AsyncExitStack() as stack:
            pool = stack.enter_context(load_process())
            store, es_url = await open_store(kind, folder, stack)
            seconds = await load_corpus(store, corpus)
            alias = store.asset_index_name
            concrete = alias
            if isinstance(store, ElasticsearchStore):
                concrete = next(iter((await store.client.indices.get_alias(name=alias)).body))
            env = store_env(kind, es_url, folder / "bench.sqlite")
            servers = await start_servers(max(processes), env, folder, stack)
            print(
                f"API on {kind}: {n} assets (written in {seconds:.1f} s), {connections} connections for throughput, "
                f"1 for latency, {duration:g} s per measurement; {machine()}"
            )
            works = workloads(corpus, alias, concrete)
            rows = []
            for work in works:
                ours = await measure(
                    pool,
                    http_load_sync,
                    [requests(servers[0].url, work.ours)],
                    connections=connections,
                    duration=duration,
                )
                if es_url:
                    ref = await measure(
                        pool, http_load_sync, [requests(es_url, work.es)], connections=connections, duration=duration
                    )
                else:
                    ref = await measure(
                        pool,
                        store_load_sync,
                        folder / "bench.sqlite",
                        work.store,
                        connections=connections,
                        duration=duration,
                    )
                rows.append((work.name, ours, ref))
            if es_url:
                print_table(rows, "the same request sent straight to Elasticsearch (HTTP, same load generator)")
            else:
                print_table(rows, "the store's own call on the same file, in the load process (no HTTP exists)")
            if len(processes) > 1:
                await scale_out(pool, servers, works, processes, connections, duration)
            print(f"  at the end: {load_average()}")


async def start_servers(count: int, env: dict[str, str], folder: Path, stack: AsyncExitStack) -> list[AquariusProcess]:
    """`count` serve processes started side by side; every one that started stops with `stack`."""
    started = await asyncio.gather(
        *(asyncio.to_thread(start_aquarius, "serve", env, folder) for _ in range(count)), return_exceptions=True
    )
    servers = [s for s in started if isinstance(s, AquariusProcess)]
    for server in servers:
        stack.callback(server.stop)
    for failure in started:
        if isinstance(failure, BaseException):
            raise failure
    return servers


async def scale_out(
    pool: ProcessPoolExecutor,
    servers: list[AquariusProcess],
    works: list[Workload],
    processes: list[int],
    connections: int,
    duration: float,
) -> None:
    print(f"  scale-out: throughput (req/s) with {connections} connections split across the API processes")
    print(f"  {'request':<24} " + " ".join(f"{f'{k} proc.':>8}" for k in processes) + f" {'ratio':>6}")
    for work in (w for w in works if w.name in SCALED):
        rates = []
        for k in processes:
            targets = [requests(s.url, work.ours) for s in servers[:k]]
            result = await in_process(pool, http_load_sync, targets, connections, duration)
            if result.failures:
                print(
                    f"  {work.name}, {k} proc.: {result.failures} of {result.requests} failed ({result.first_failure})"
                )
            rates.append(result.rate)
        print(f"  {work.name:<24} " + " ".join(f"{r:>8.0f}" for r in rates) + f" {ratio(rates[-1], rates[0], 2)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--store", choices=["elasticsearch", "sqlite", "all"], default="all")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--api-processes", default="1", help="comma-separated counts of serve processes, e.g. 1,2")
    args = parser.parse_args()
    processes = [int(k) for k in args.api_processes.split(",")]
    if args.store != "all":
        asyncio.run(run_store(args.store, args.assets, args.duration, args.connections, processes))
        return
    for kind in ("elasticsearch", "sqlite"):
        command = [sys.executable, "-m", "bench.api_latency", *sys.argv[1:], "--store", kind]
        subprocess.run(command, check=True)


if __name__ == "__main__":
    main()
