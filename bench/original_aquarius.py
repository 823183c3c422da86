"""Side by side with Ocean's original Aquarius (v5.x): its events monitor and ours index the same fixture chain
into the same Elasticsearch node (each into its own index) in the same run; then a few assets are published one
by one while both follow the chain, and each one's time until it is searchable is taken in both indices.

    .venv/bin/python -m bench.original_aquarius --checkout PATH [--n 200] [--publish 5]

PATH is a local checkout of oceanprotocol/aquarius at a v5.x tag (never part of this project). The original asks a
Provider to decrypt every DDO, also plain ones, at the decryptor URL named in the event: the fixture names
`http://127.0.0.1:8030`, where a Provider-like decrypt server with the bench indexer key answers. It has no
subgraph here (no `SUBGRAPH_URLS`), so it records orders and prices as unknown (-1, {}), as it does when its
subgraph is down.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import coincurve
from web3 import Web3

from aquarius.config import Settings
from aquarius.devenv.anvil import AnvilNode
from aquarius.devenv.elasticsearch import start_elasticsearch
from aquarius.devenv.ports import project_root
from aquarius.devenv.provider import DecryptServer, start_decrypt_server
from aquarius.devenv.publisher import OceanPublisher, encode_metadata
from aquarius.store.elasticsearch import ElasticsearchStore
from bench.catchup import wait_or_fail
from bench.chain_fixture import BENCH_INDEXER_KEY, bench_ddo, fixture_chain
from bench.es_root_proxy import RootProxy
from bench.harness import indexer_settings
from bench.original_checkout import MONITOR_SCRIPT, CheckoutError, OriginalCheckout, monitor_environment
from indexer.daemon import build_chain

ORIGINAL_INDEX = "original"
OURS_INDEX = "ours"
DECRYPTOR_PORT = 8030  # the port of the decryptor URL in the fixture's setMetaData calls
NETWORK = "development"  # the address file's entry name (`write_address_file`'s default)
POLL_SECONDS = 1  # both indexers' wait between two looks at the chain head
PROBE_SECONDS = 0.02
CATCHUP_LIMIT = 3600.0
SEARCHABLE_LIMIT = 120.0


class IndexProbe:
    """Reads both indices over plain HTTP, as a client would: counts and searches see refreshed data only."""

    def __init__(self, session: aiohttp.ClientSession, es_url: str) -> None:
        self.session, self.url = session, es_url

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        async with self.session.request(method, self.url + path, json=body) as response:
            return response.status, await response.json()

    async def count(self, index: str, ids: list[str] | None = None) -> int:
        query = {"query": {"ids": {"values": ids}}} if ids is not None else None
        status, answer = await self._call("POST", f"/{index}/_count", query)
        return int(answer["count"]) if status == 200 else 0

    async def original_cursor(self, chain_id: int) -> int | None:
        status, answer = await self._call("GET", f"/{ORIGINAL_INDEX}_plus/_doc/events_last_block_{chain_id}")
        return int(answer["_source"]["last_block"]) if status == 200 and answer.get("found") else None

    async def original_ready(self) -> bool:
        status, answer = await self._call("GET", f"/{ORIGINAL_INDEX}_plus/_doc/chains")
        return status == 200 and bool(answer.get("found"))


@dataclass
class OriginalCatchup:
    startup_seconds: float
    seconds: float
    timeline: list[tuple[float, int]] = field(default_factory=list)


@dataclass
class SideBySide:
    """What one run measured."""

    n: int
    head: int
    theirs: OriginalCatchup
    their_found: int
    decrypts: int
    es_requests: int
    ours_seconds: float = 0.0
    our_found: int = 0
    waits: list[dict[str, float]] = field(default_factory=list)


class OriginalMonitor:
    """The original's events monitor as a child process, its output in a log kept under `.cache/bench/`."""

    def __init__(self, python: Path, checkout: OriginalCheckout, env: dict[str, str]) -> None:
        self.log = project_root() / ".cache" / "bench" / "original-monitor.log"
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [str(python), MONITOR_SCRIPT], cwd=checkout.path, env=env, stdout=out, stderr=subprocess.STDOUT
            )

    def check_alive(self) -> None:
        if self.process.poll() is not None:
            tail = self.log.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"the original's events monitor exited with status {self.process.returncode}:\n{tail}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


async def original_catchup(probe: IndexProbe, monitor: OriginalMonitor, chain_id: int, head: int) -> OriginalCatchup:
    """From the monitor's start: when it is ready (its chains record written), and when its cursor reaches the head
    (it writes the cursor once per range, after the range's last event); the index size sampled on the way."""
    started = time.perf_counter()
    ready: float | None = None
    timeline: list[tuple[float, int]] = []
    while True:
        monitor.check_alive()
        now = time.perf_counter() - started
        if now > CATCHUP_LIMIT:
            raise RuntimeError(f"the original did not reach block {head} in {CATCHUP_LIMIT:.0f} s; see {monitor.log}")
        if ready is None and await probe.original_ready():
            ready = now
            print(f"  its monitor is ready after {ready:.1f} s", file=sys.stderr, flush=True)
        timeline.append((now, await probe.count(ORIGINAL_INDEX)))
        cursor = await probe.original_cursor(chain_id)
        if ready is not None and cursor is not None and cursor >= head:
            return OriginalCatchup(ready, now - ready, timeline)
        await asyncio.sleep(0.25)


async def start_original(
    stack: AsyncExitStack, checkout: OriginalCheckout, node: AnvilNode, es_url: str, address_file: Path
) -> tuple[OriginalMonitor, DecryptServer, RootProxy]:
    """Its decryptor (a Provider-like server where the fixture's events point), its way into Elasticsearch, and its
    events monitor, all stopped with `stack`."""
    python = checkout.venv_python()
    decryptor = DecryptServer(
        Web3(Web3.HTTPProvider(node.url)), key=coincurve.PrivateKey.from_hex(BENCH_INDEXER_KEY.removeprefix("0x"))
    )
    runner, _ = await start_decrypt_server(decryptor, DECRYPTOR_PORT)
    stack.push_async_callback(runner.cleanup)
    proxy = RootProxy(es_url)
    proxy_url = await proxy.start()
    stack.push_async_callback(proxy.stop)
    env = monitor_environment(
        checkout,
        rpc_url=node.url,
        es_url=proxy_url,
        index=ORIGINAL_INDEX,
        address_file=address_file,
        network=NETWORK,
        private_key=BENCH_INDEXER_KEY,
        sleep_seconds=POLL_SECONDS,
    )
    monitor = OriginalMonitor(python, checkout, env)
    stack.callback(monitor.stop)
    return monitor, decryptor, proxy


async def start_ours(stack: AsyncExitStack, settings: Settings, es_url: str, head: int) -> float:
    """Our indexer from block 0 into index `ours`; returns the seconds until its cursor reached `head`. It keeps
    following the chain until `stack` closes."""
    store = ElasticsearchStore(es_url, index_name=OURS_INDEX, replicas=0)
    await store.open()
    stack.push_async_callback(store.close)
    runtime = await stack.enter_async_context(build_chain(settings, settings.chains[0], store))
    stop = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(runtime.sync.run(stop))

    async def stop_sync() -> None:
        stop.set()
        await task

    stack.push_async_callback(stop_sync)
    await wait_or_fail(runtime.sync.wait_for_block(head), task)
    seconds = time.perf_counter() - started
    await store.refresh()
    return seconds


async def publish_one(
    publisher: OceanPublisher, probe: IndexProbe, monitor: OriginalMonitor, i: int, chain_id: int
) -> dict[str, float]:
    """Publish the i-th bench asset (plain DDO) and return each index's seconds from the receipt to searchable."""
    asset = await asyncio.to_thread(publisher.create_asset, f"Side by side {i}", f"SBS{i}")
    ddo = bench_ddo(i, asset.nft, asset.datatoken, chain_id)
    await asyncio.to_thread(publisher.set_metadata, asset.nft, encode_metadata(ddo, 0))
    monitor.check_alive()
    return await time_to_searchable(probe, asset.did, [ORIGINAL_INDEX, OURS_INDEX])


async def time_to_searchable(probe: IndexProbe, did: str, indices: list[str]) -> dict[str, float]:
    """Seconds from now until `did` is found by a search in each of `indices`."""
    started = time.perf_counter()
    found: dict[str, float] = {}
    while len(found) < len(indices):
        now = time.perf_counter() - started
        if now > SEARCHABLE_LIMIT:
            raise RuntimeError(f"{did} not searchable in {sorted(set(indices) - set(found))} after {now:.0f} s")
        for index in indices:
            if index not in found and await probe.count(index, [did]):
                found[index] = time.perf_counter() - started
        await asyncio.sleep(PROBE_SECONDS)
    return found


async def run(checkout: OriginalCheckout, n: int, publish: int) -> SideBySide:
    checkout.venv_python()  # made before anything starts: the first time it takes minutes
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)  # stop the nodes on the way out
    with fixture_chain(n) as (node, info), tempfile.TemporaryDirectory() as tmp:
        async with AsyncExitStack() as stack:
            es = start_elasticsearch()
            stack.callback(es.stop)
            probe = IndexProbe(await stack.enter_async_context(aiohttp.ClientSession()), es.url)
            settings = indexer_settings(node, info, Path(tmp), poll_interval=POLL_SECONDS)
            assert settings.address_file is not None
            print(f"original Aquarius {checkout.version}: catching up {n} assets ...", file=sys.stderr, flush=True)
            monitor, decryptor, proxy = await start_original(stack, checkout, node, es.url, settings.address_file)
            theirs = await original_catchup(probe, monitor, node.chain_id, info.head)
            their_found = await probe.count(ORIGINAL_INDEX, info.dids)
            result = SideBySide(n, info.head, theirs, their_found, len(decryptor.requests), proxy.requests)
            print("ours: catching up ...", file=sys.stderr, flush=True)
            result.ours_seconds = await start_ours(stack, settings, es.url, info.head)
            result.our_found = await probe.count(OURS_INDEX, info.dids)
            publisher = OceanPublisher(Web3(Web3.HTTPProvider(node.url)), info.ocean())
            for i in range(n, n + publish):
                result.waits.append(await publish_one(publisher, probe, monitor, i, node.chain_id))
            print(f"its log: {monitor.log}", file=sys.stderr)
    return result


def progress_line(run: OriginalCatchup, n: int) -> str:
    """When a quarter, a half, three quarters and all of the assets were in its index (seconds after ready)."""
    marks = []
    for share in (0.25, 0.5, 0.75, 1.0):
        when = next((t for t, count in run.timeline if count >= share * n), None)
        marks.append(f"{share:.0%} at {when - run.startup_seconds:.1f} s" if when is not None else f"{share:.0%} never")
    return ", ".join(marks)


def report(checkout: OriginalCheckout, result: SideBySide) -> None:
    n, theirs = result.n, result.theirs
    their_rate, our_rate = n / theirs.seconds, n / result.ours_seconds
    print(f"original Aquarius {checkout.version} (Python {checkout.python_version}, its events monitor, one process)")
    print(
        f"  catch-up of {n} assets ({result.head} blocks): {theirs.seconds:.1f} s after its start-up of "
        f"{theirs.startup_seconds:.1f} s: {their_rate:.2f} assets/s; {result.their_found} of {n} assets in its "
        f"index; {result.decrypts} decrypt requests, {result.es_requests} Elasticsearch requests"
    )
    print(f"  its index over time: {progress_line(theirs, n)}")
    print(f"ours (same chain, same Elasticsearch node, index '{OURS_INDEX}')")
    print(f"  catch-up: {result.ours_seconds:.1f} s: {our_rate:.2f} assets/s; {result.our_found} of {n} in our index")
    print(f"  -> catch-up rate: ours {our_rate / their_rate:.1f}x the original's")
    if not result.waits:
        return
    theirs_tts = [w[ORIGINAL_INDEX] for w in result.waits]
    ours_tts = [w[OURS_INDEX] for w in result.waits]
    published = len(result.waits)
    print(f"time-to-searchable, {published} assets published one by one (both look at the head every {POLL_SECONDS} s)")
    for name, values in (("original", theirs_tts), ("ours", ours_tts)):
        print(
            f"  {name}: median {statistics.median(values):.2f} s "
            f"(min {min(values):.2f}, max {max(values):.2f}) after the setMetaData receipt"
        )
    median_ratio = statistics.median(theirs_tts) / statistics.median(ours_tts)
    print(f"  -> time-to-searchable: ours {median_ratio:.1f}x faster than the original's (median over median)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--checkout", type=Path, help="a local checkout of oceanprotocol/aquarius at a v5.x tag")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--publish", type=int, default=5)
    args = parser.parse_args()
    if args.checkout is None:
        print("--checkout PATH is required: a local checkout of oceanprotocol/aquarius at a v5.x tag", file=sys.stderr)
        sys.exit(2)
    try:
        checkout = OriginalCheckout.open(args.checkout)
    except CheckoutError as err:
        print(f"--checkout: {err}", file=sys.stderr)
        sys.exit(2)
    report(checkout, asyncio.run(run(checkout, args.n, args.publish)))


if __name__ == "__main__":
    main()
