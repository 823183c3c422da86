"""Scale-out of indexing: two fixture chains (N assets each, chain ids 8996 and 8997) caught up from block 0 into
the same store kind, first by one `aquarius index` process that follows both, then by two processes with one chain
each; the wall time until both chains' cursors reach their heads, and the ratio. The clock starts when the
processes are launched, so both runs include one interpreter start-up.

    .venv/bin/python -m bench.scale_out [--n 1000] [--store sqlite|elasticsearch]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from contextlib import AsyncExitStack, ExitStack
from pathlib import Path

from aquarius.config import ChainConfig
from aquarius.devenv.anvil import AnvilNode
from aquarius.store.base import Store
from aquarius.store.elasticsearch import ElasticsearchStore
from aquarius.store.sqlite import SqliteStore
from bench.chain_fixture import BENCH_INDEXER_KEY, FixtureInfo, fixture_chain
from bench.harness import (
    StoreKind,
    chains_env,
    count_assets,
    load_average,
    machine,
    open_store,
    start_aquarius,
    store_env,
)

CHAIN_IDS = (8996, 8997)
TIMEOUT = 1800.0


async def caught_up(store: Store, heads: dict[int, int]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        cursors = [await store.cursor(chain_id) for chain_id in heads]
        if all(c is not None and c.number >= heads[i] for i, c in zip(heads, cursors, strict=True)):
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"the chains did not reach their heads within {TIMEOUT:.0f} s")


async def catch_up(
    kind: StoreKind, es_url: str | None, folder: Path, run: str, groups: list[list[ChainConfig]], heads: dict[int, int]
) -> tuple[float, int]:
    """Wall time for `groups` (one process per group of chains) to index every chain; and the assets stored."""
    env = store_env(kind, es_url, folder / f"{run}.sqlite") | {"PRIVATE_KEY": BENCH_INDEXER_KEY, "DB_INDEX": run}
    reader: Store = (
        ElasticsearchStore(es_url, index_name=run, replicas=0) if es_url else SqliteStore(folder / f"{run}.sqlite")
    )
    await reader.open()  # the collections exist before the indexers start, so that they never race to create them
    try:
        started = time.perf_counter()
        processes = [start_aquarius("index", env | chains_env(group), folder) for group in groups]
        try:
            await caught_up(reader, heads)
            seconds = time.perf_counter() - started
        except TimeoutError:
            raise RuntimeError("\n".join(p.failure() for p in processes)) from None
        finally:
            for process in processes:
                process.stop()
        return seconds, await count_assets(reader)
    finally:
        await reader.close()


async def run(n: int, kind: StoreKind) -> None:
    with ExitStack() as nodes, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        chains: list[tuple[AnvilNode, FixtureInfo]] = [
            nodes.enter_context(fixture_chain(n, chain_id=chain_id)) for chain_id in CHAIN_IDS
        ]
        configs = [
            ChainConfig(
                chain_id=node.chain_id,
                rpc_urls=[node.url],
                start_block=0,
                confirmations=0,
                poll_interval=0.2,
                address_file=info.ocean().write_address_file(folder / f"address-{node.chain_id}.json"),
            )
            for node, info in chains
        ]
        heads = {node.chain_id: info.head for node, info in chains}
        async with AsyncExitStack() as stack:
            es_url = None
            if kind == "elasticsearch":
                _, es_url = await open_store(kind, folder, stack)
            print(f"catch-up of two chains of {n} assets each into {kind}; {machine()}")
            one, one_assets = await catch_up(kind, es_url, folder, "one", [configs], heads)
            two, two_assets = await catch_up(kind, es_url, folder, "two", [[c] for c in configs], heads)
    print(f"  one process, both chains: {one:.1f} s ({2 * n / one:.0f} assets/s, {one_assets} searchable)")
    print(f"  two processes, one chain each: {two:.1f} s ({2 * n / two:.0f} assets/s, {two_assets} searchable)")
    print(f"    -> two processes take {two / one:.2f} of the one-process time (speed-up {one / two:.2f}x)")
    print(f"  at the end: {load_average()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="assets per chain")
    parser.add_argument("--store", choices=["sqlite", "elasticsearch"], default="sqlite")
    args = parser.parse_args()
    asyncio.run(run(args.n, args.store))


if __name__ == "__main__":
    main()
