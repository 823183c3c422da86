"""Catch-up benchmark: the whole fixture chain indexed from block 0 into each store, next to two references
measured in the same run: the node's raw `eth_getLogs` rate over the same range, and the store's raw write rate
for the same final documents (`_bulk` into an index with the same mapping; the embedded store's own batch write).

    .venv/bin/python -m bench.catchup [--n 10000] [--store elasticsearch|sqlite|all]

Each store runs in its own process, so that the peak RSS printed is that store's run alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Sequence
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import aiohttp

from aquarius.store.base import BlockEffects, Collection, Doc, Store, Write
from aquarius.store.elasticsearch import ElasticsearchStore
from aquarius.store.sqlite import SqliteStore
from bench.chain_fixture import fixture_chain
from bench.harness import StoreKind, count_assets, indexer_settings, open_store, peak_rss_mb
from indexer.daemon import build_chain
from indexer.rpc import RpcClient


def count_rpc(rpc: RpcClient, counts: Counter[str]) -> None:
    """Count HTTP round trips and JSON-RPC calls at the client, without changing what it sends."""
    request, batch = rpc.request, rpc.batch

    async def counted_request(method: str, params: Sequence[Any] = ()) -> Any:
        counts["round trips"] += 1
        counts["calls"] += 1
        counts[method] += 1
        return await request(method, params)

    async def counted_batch(calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        counts["round trips"] += -(-len(calls) // rpc.settings.max_batch)
        counts["calls"] += len(calls)
        for method, _ in calls:
            counts[method] += 1
        return await batch(calls)

    rpc.request = counted_request  # type: ignore[method-assign]
    rpc.batch = counted_batch  # type: ignore[method-assign]


def count_writes(store: Store, counts: Counter[str]) -> None:
    apply_blocks, write = store.apply_blocks, store.write

    async def counted_apply(chain_id: int, blocks: Sequence[BlockEffects]) -> None:
        counts["store calls"] += 1
        counts["documents written"] += sum(len(b.writes) for b in blocks)
        await apply_blocks(chain_id, blocks)

    async def counted_write(writes: Sequence[Write]) -> None:
        counts["store calls"] += 1
        counts["documents written"] += len(writes)
        await write(writes)

    store.apply_blocks = counted_apply  # type: ignore[method-assign]
    store.write = counted_write  # type: ignore[method-assign]


async def raw_get_logs_seconds(url: str, head: int) -> tuple[float, int]:
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        body = {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "eth_getLogs",
            "params": [{"fromBlock": "0x0", "toBlock": hex(head)}],
        }
        async with session.post(url, json=body) as response:
            logs = (await response.json())["result"]
        return time.perf_counter() - started, len(logs)


async def raw_bulk_seconds(store: Store, es_url: str | None, docs: dict[str, Doc]) -> float:
    """The same documents written straight into the store, 500 per request (as the indexer's largest batches)."""
    items = list(docs.items())
    chunks = [items[i : i + 500] for i in range(0, len(items), 500)]
    if isinstance(store, ElasticsearchStore) and es_url:
        await store.create_index(Collection.ASSETS, "bench-raw-bulk", make_alias=False)
        async with aiohttp.ClientSession(headers={"Content-Type": "application/x-ndjson"}) as session:
            started = time.perf_counter()
            for chunk in chunks:
                lines = [
                    json.dumps({"index": {"_index": "bench-raw-bulk", "_id": i}}) + "\n" + json.dumps(d)
                    for i, d in chunk
                ]
                async with session.post(f"{es_url}/_bulk", data="\n".join(lines) + "\n") as response:
                    answer = await response.json()
                    if answer.get("errors"):
                        raise RuntimeError(f"raw bulk failed: {json.dumps(answer)[:300]}")
            async with session.post(f"{es_url}/bench-raw-bulk/_refresh"):
                pass
            return time.perf_counter() - started
    assert isinstance(store, SqliteStore)
    with tempfile.TemporaryDirectory() as folder:
        raw = SqliteStore(Path(folder) / "raw.sqlite")
        await raw.open()
        started = time.perf_counter()
        for chunk in chunks:
            await raw.write([Write(Collection.ASSETS, i, d) for i, d in chunk])
        seconds = time.perf_counter() - started
        await raw.close()
        return seconds


async def run_store(kind: StoreKind, n: int) -> None:
    counts: Counter[str] = Counter()
    with fixture_chain(n) as (node, info), tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        async with AsyncExitStack() as stack:
            store, es_url = await open_store(kind, folder, stack)
            settings = indexer_settings(node, info, folder, poll_interval=0.2)
            count_writes(store, counts)
            runtime = build_chain(settings, settings.chains[0], store)
            count_rpc(runtime.rpc, counts)
            async with runtime:
                stop = asyncio.Event()
                started = time.perf_counter()
                task = asyncio.create_task(runtime.sync.run(stop))
                await wait_or_fail(runtime.sync.wait_for_block(info.head), task)
                seconds = time.perf_counter() - started
                stop.set()
                await task
            events = runtime.sync.status.events
            indexed = await count_assets(store)
            docs = {i: d for i, d in (await store.mget(Collection.ASSETS, info.dids)).items() if d is not None}
            bulk_seconds = await raw_bulk_seconds(store, es_url, docs)
            logs_seconds, logs = await raw_get_logs_seconds(node.url, info.head)

    rate, events_rate = n / seconds, events / seconds
    bulk_rate, logs_rate = len(docs) / bulk_seconds, logs / logs_seconds
    print(f"catch-up into {kind}: {n} assets ({indexed} searchable), {events} events, {info.head} blocks")
    print(f"  time {seconds:.1f} s: {rate:.0f} assets/s, {events_rate:.0f} events/s, peak RSS {peak_rss_mb():.0f} MB")
    print(
        f"  per asset: {counts['calls'] / n:.2f} RPC calls in {counts['round trips'] / n:.2f} round trips, "
        f"{counts['documents written'] / n:.2f} documents written in {counts['store calls'] / n:.3f} store calls"
    )
    top = ", ".join(f"{m} {c}" for m, c in counts.most_common() if m.startswith("eth_"))
    print(f"  RPC calls by method: {top}")
    print(f"  reference raw write of the {len(docs)} final documents: {bulk_rate:.0f} docs/s")
    print(f"    -> ours {rate / bulk_rate:.1%} of it")
    print(f"  reference raw eth_getLogs of the range ({logs} logs): {logs_rate:.0f} logs/s")
    print(f"    -> ours {events_rate / logs_rate:.1%} of it (events/s against logs/s)")


async def wait_or_fail(waiting: Awaitable[None], task: asyncio.Task[None]) -> None:
    """Wait for `waiting` unless the sync task ends first (then its error is raised)."""
    waiter = asyncio.ensure_future(waiting)
    done, _ = await asyncio.wait({waiter, task}, return_when=asyncio.FIRST_COMPLETED)
    if waiter not in done:
        waiter.cancel()
        task.result()
        raise RuntimeError("the sync stopped before reaching the head")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--store", choices=["elasticsearch", "sqlite", "all"], default="all")
    args = parser.parse_args()
    if args.store != "all":
        asyncio.run(run_store(args.store, args.n))
        return
    for kind in ("elasticsearch", "sqlite"):
        subprocess.run([sys.executable, "-m", "bench.catchup", "--n", str(args.n), "--store", kind], check=True)


if __name__ == "__main__":
    main()
