"""Time-to-searchable: `aquarius run` (indexer and API, a process of its own) follows a fresh anvil chain with the
Ocean contracts at confirmations 0, while this process publishes assets one by one (`OceanPublisher`: create the
data NFT, then `setMetaData` with a 1-20 KB DDO, flags 0-3) and measures from the `setMetaData` receipt to the first
200 from `GET /api/aquarius/assets/ddo/<did>`, asked every 10 ms.

Each publication waits a random part of the poll interval first, so that publications fall at every phase of the
indexer's polling, as real ones do. Two references are measured or stated in the same run: the node's own
receipt -> logs visible (one `eth_getLogs` for the receipt's block, sent at the receipt), and the wait of an ideal
poller at that interval (uniform between 0 and the interval: p50 half of it, p99 99% of it). A `ws` mode gives the
indexer the node's `ws://` URL next to its HTTP one (the new-head subscription, where the indexer has one) and
polls every second otherwise; its floor is the node's figure.

    .venv/bin/python -m bench.time_to_searchable [--assets 200] [--modes poll:1,poll:0.1,ws] [--store sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from contextlib import AsyncExitStack
from pathlib import Path

import aiohttp
from web3 import Web3

from aquarius.config import ChainConfig
from aquarius.devenv.anvil import AnvilNode, start_anvil
from aquarius.devenv.ocean import deploy_ocean
from aquarius.devenv.publisher import OceanPublisher, encode_metadata
from aquarius.metadata.decrypt import LocalDecryptor
from bench.chain_fixture import BENCH_INDEXER_KEY, bench_ddo
from bench.harness import StoreKind, chains_env, machine, open_store, percentile, start_aquarius, store_env

API_POLL = 0.01
PER_ASSET_TIMEOUT = 30.0


async def first_200(session: aiohttp.ClientSession, url: str, since: float) -> float:
    deadline = since + PER_ASSET_TIMEOUT
    while time.perf_counter() < deadline:
        async with session.get(url) as response:
            await response.read()
            if response.status == 200:
                return time.perf_counter() - since
        await asyncio.sleep(API_POLL)
    raise TimeoutError(f"{url} not searchable after {PER_ASSET_TIMEOUT:.0f} s")


async def logs_visible(session: aiohttp.ClientSession, node: AnvilNode, block: int, since: float) -> float:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "eth_getLogs",
        "params": [{"fromBlock": hex(block), "toBlock": hex(block)}],
    }
    while True:
        async with session.post(node.url, json=body) as response:
            if (await response.json()).get("result"):
                return time.perf_counter() - since
        await asyncio.sleep(0.001)


async def caught_up(session: aiohttp.ClientSession, base: str, chain_id: int, head: int) -> None:
    """Wait until the daemon has indexed the deployment blocks, so that the first asset measures following."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        async with session.get(f"{base}/api/aquarius/chains/status/{chain_id}") as response:
            if response.status == 200 and (await response.json()).get("last_block", -1) >= head:
                return
        await asyncio.sleep(0.05)
    raise TimeoutError("the daemon did not reach the head of the deployment")


async def run_mode(mode: str, assets: int, kind: StoreKind) -> None:
    ws = mode == "ws"
    poll = 1.0 if ws else float(mode.removeprefix("poll:"))
    key = LocalDecryptor(BENCH_INDEXER_KEY)
    rng = random.Random(11)
    node = await asyncio.to_thread(start_anvil)
    try:
        w3 = Web3(Web3.HTTPProvider(node.url))
        deployment = await asyncio.to_thread(deploy_ocean, w3)
        publisher = OceanPublisher(w3, deployment)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            async with AsyncExitStack() as stack:
                es_url = None
                if kind == "elasticsearch":
                    _, es_url = await open_store(kind, folder, stack)
                # requests go over HTTP; a ws:// entry is the new-head subscription where the indexer has one
                rpc_urls = [node.url, node.url.replace("http://", "ws://")] if ws else [node.url]
                chain = ChainConfig(
                    chain_id=node.chain_id, rpc_urls=rpc_urls, start_block=0, confirmations=0, poll_interval=poll
                )
                env = store_env(kind, es_url, folder / "bench.sqlite") | chains_env([chain])
                env |= {
                    "ADDRESS_FILE": str(deployment.write_address_file(folder / "address.json")),
                    "PRIVATE_KEY": BENCH_INDEXER_KEY,
                }
                daemon = await asyncio.to_thread(start_aquarius, "run", env, folder)
                stack.callback(daemon.stop)
                session = await stack.enter_async_context(aiohttp.ClientSession())
                await caught_up(session, daemon.url, node.chain_id, w3.eth.block_number)
                searchable, node_seconds = [], []
                for i in range(assets):
                    await asyncio.sleep(rng.uniform(0, poll))
                    asset = await asyncio.to_thread(publisher.create_asset, f"Bench NFT {i}", f"BN{i}")
                    ddo = bench_ddo(i, asset.nft, asset.datatoken, node.chain_id)
                    payload = encode_metadata(ddo, i % 4, encrypt_to=key.public_key_hex)
                    receipt = await asyncio.to_thread(
                        publisher.set_metadata, asset.nft, payload, decryptor_address=key.address
                    )
                    since = time.perf_counter()
                    url = f"{daemon.url}/api/aquarius/assets/ddo/{asset.did}"
                    try:
                        api, seen = await asyncio.gather(
                            first_200(session, url, since),
                            logs_visible(session, node, receipt["blockNumber"], since),
                        )
                    except TimeoutError:
                        raise RuntimeError(f"asset {i} not searchable: {daemon.failure()}") from None
                    searchable.append(api)
                    node_seconds.append(seen)
    finally:
        node.stop()
    report(mode, poll, kind, searchable, node_seconds)


def report(mode: str, poll: float, kind: StoreKind, searchable: list[float], node_seconds: list[float]) -> None:
    p50, p95, p99 = (percentile(searchable, q) for q in (50, 95, 99))
    node50, node99 = percentile(node_seconds, 50), percentile(node_seconds, 99)
    how = "websocket RPC URL" if mode == "ws" else f"polling every {poll:g} s"
    print(f"time-to-searchable, {how}, confirmations 0, store {kind}: {len(searchable)} assets; {machine()}")
    print(
        f"  receipt -> first 200 from GET /ddo: p50 {p50:.3f} s, p95 {p95:.3f} s, p99 {p99:.3f} s, "
        f"max {max(searchable):.3f} s"
    )
    print(
        f"  reference, the node: receipt -> the block's logs from eth_getLogs: p50 {node50 * 1000:.1f} ms, "
        f"p99 {node99 * 1000:.1f} ms"
    )
    if mode == "ws":
        print(f"    -> ours p50 is {p50 / node50:.0f}x the node's")
    else:
        print(
            f"  reference, an ideal poller every {poll:g} s (uniform wait): p50 {poll / 2:.3f} s, "
            f"p99 {poll * 0.99:.3f} s"
        )
        print(f"    -> ours p50 / ideal {p50 / (poll / 2):.2f}, p99 / ideal {p99 / (poll * 0.99):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--assets", type=int, default=200)
    parser.add_argument("--modes", default="poll:1,poll:0.1", help="comma-separated: poll:<seconds> and/or ws")
    parser.add_argument("--store", choices=["sqlite", "elasticsearch"], default="sqlite")
    args = parser.parse_args()
    for mode in args.modes.split(","):
        asyncio.run(run_mode(mode, args.assets, args.store))


if __name__ == "__main__":
    main()
