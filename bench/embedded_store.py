"""Embedded store benchmark: 10,000 assets, the market's home-page query (p50/p99), next to a reference measured in
the same run on the same file: a primary-key lookup of the same page of documents.

    .venv/bin/python -m bench.embedded_store [--assets 10000] [--runs 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from aquarius.store.base import Collection, Write
from aquarius.store.sqlite import SqliteStore
from tests.conformance.bodies import base_query, search_page
from tests.conformance.corpus import CHAINS, make_corpus


async def _latencies(run: Callable[[], Awaitable[object]], runs: int) -> tuple[float, float]:
    await run()  # warm the page cache
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await run()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.99))]


async def main(assets: int, runs: int) -> None:
    corpus = make_corpus(assets)
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder) / "bench.sqlite")
        await store.open()
        started = time.perf_counter()
        for i in range(0, len(corpus), 500):
            await store.write([Write(Collection.ASSETS, d["id"], d) for d in corpus[i : i + 500]])
        load = time.perf_counter() - started
        print(f"indexed {assets} assets in {load:.1f} s ({assets / load:.0f} assets/s)")

        home = base_query(size=6, sort={"nft.created": "desc"}, chains=CHAINS)
        page = [h["_id"] for h in (await store.search(Collection.ASSETS, home))["hits"]["hits"]]
        search = search_page("weather data", chains=CHAINS)
        rows = [
            ("home page query (size 6, sort nft.created)", lambda: store.search(Collection.ASSETS, home)),
            ("search page query ('weather data', _score)", lambda: store.search(Collection.ASSETS, search)),
            ("reference: primary-key lookup of the same 6 ids", lambda: store.mget(Collection.ASSETS, page)),
        ]
        measured = [(name, *await _latencies(run, runs)) for name, run in rows]
        reference = measured[-1][1]
        print(f"{'':<50} {'p50 ms':>8} {'p99 ms':>8} {'p50 / reference':>16}")
        for name, p50, p99 in measured:
            print(f"{name:<50} {p50:>8.2f} {p99:>8.2f} {p50 / reference:>16.0f}")
        await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.assets, args.runs))
