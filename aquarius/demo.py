"""`aquarius demo`: two local chains with the real Ocean contracts, a sample catalog published while the indexer
follows them into the embedded store, the API on a printed URL, example queries, and a new asset every few
seconds until Ctrl-C."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import tempfile
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from web3 import Web3

from aquarius.config import ChainConfig, Settings
from aquarius.devenv.anvil import AnvilNode, start_anvil
from aquarius.devenv.catalog import AssetSpec, build_ddo, demo_catalog
from aquarius.devenv.ocean import OceanDeployment, deploy_ocean
from aquarius.devenv.ports import free_port
from aquarius.devenv.publisher import DataAsset, OceanPublisher, encode_metadata
from aquarius.metadata.decrypt import LocalDecryptor
from aquarius.runner import open_store, start_scheduled_jobs, stop_on_signals

DEMO_CHAINS = (8996, 8997)


@dataclass
class DemoChain:
    node: AnvilNode
    deployment: OceanDeployment
    publisher: OceanPublisher


def publish(chain: DemoChain, spec: AssetSpec, decryptor: LocalDecryptor, trusted: list[dict[str, str]]) -> DataAsset:
    """Publish one catalog entry with everything its spec asks for (blocking: run it in a thread)."""
    pub = chain.publisher
    if spec.publisher:
        pub = OceanPublisher(pub.w3, pub.deployment, pub.w3.eth.accounts[spec.publisher])
    symbol = "".join(w[0] for w in spec.name.split()).upper()[:6] or "DEMO"
    asset = pub.create_asset(spec.name[:40], symbol)
    ddo = build_ddo(
        spec, nft=asset.nft, datatoken=asset.datatoken, chain_id=chain.node.chain_id, trusted_algorithms=trusted
    )
    payload = encode_metadata(ddo, spec.flags, encrypt_to=decryptor.public_key_hex)
    pub.set_metadata(asset.nft, payload, decryptor_address=decryptor.address)
    if spec.price is not None:
        pub.create_fixed_rate(asset.datatoken, rate=int(spec.price * 10**18))
    if spec.free:
        pub.create_dispenser(asset.datatoken)
    for _ in range(spec.orders):
        pub.start_order(asset.datatoken)
    for key, value in spec.onchain_data.items():
        pub.set_data(asset.nft, key, value.encode())
    if spec.state:
        pub.set_state(asset.nft, spec.state)
    return asset


def publish_catalog(chains: list[DemoChain], decryptor: LocalDecryptor) -> list[tuple[DemoChain, DataAsset]]:
    published = []
    for chain in chains:
        trusted: list[dict[str, str]] = []
        # algorithms first, so that compute datasets can name them as trusted
        for spec in sorted(demo_catalog(), key=lambda s: s.kind != "algorithm"):
            asset = publish(chain, spec, decryptor, trusted if spec.compute else [])
            published.append((chain, asset))
            if spec.kind == "algorithm":
                digest = hashlib.sha256(asset.did.encode()).hexdigest()
                trusted.append({"did": asset.did, "filesChecksum": digest, "containerSectionChecksum": digest})
    return published


def start_chains(work: Path) -> list[DemoChain]:
    chains = []
    address_file = work / "address.json"
    for chain_id in DEMO_CHAINS:
        node = start_anvil(chain_id=chain_id)
        w3 = Web3(Web3.HTTPProvider(node.url))
        deployment = deploy_ocean(w3)
        deployment.write_address_file(address_file, network=f"development-{chain_id}")
        chains.append(DemoChain(node, deployment, OceanPublisher(w3, deployment)))
    return chains


EXAMPLES: list[tuple[str, str, dict[str, Any] | None]] = [
    (
        "Text search, as ocean.py sends it",
        "/api/aquarius/assets/query",
        {"query": {"query_string": {"query": "weather"}}},
    ),
    (
        "Algorithms on chain 8997",
        "/api/aquarius/assets/query",
        {"query": {"bool": {"filter": [{"term": {"metadata.type": "algorithm"}}, {"term": {"chainId": 8997}}]}}},
    ),
    (
        "Most ordered",
        "/api/aquarius/assets/query",
        {"query": {"range": {"stats.orders": {"gt": 0}}}, "sort": {"stats.orders": "desc"}, "size": 3},
    ),
    (
        "Assets per tag",
        "/api/aquarius/assets/query",
        {"size": 0, "aggs": {"tags": {"terms": {"field": "metadata.tags.keyword"}}}},
    ),
    ("Indexed chains", "/api/aquarius/chains/list", None),
]


def _summary(answer: Any) -> str:
    if isinstance(answer, dict) and "hits" in answer:
        names = [h["_source"].get("metadata", {}).get("name", h["_id"]) for h in answer["hits"]["hits"][:3]]
        buckets = [
            f"{b['key']}={b['doc_count']}" for b in answer.get("aggregations", {}).get("tags", {}).get("buckets", [])
        ]
        total = answer["hits"]["total"]["value"]
        return (
            f"{total} hits"
            + (f": {', '.join(names)}" if names else "")
            + (f" [{', '.join(buckets[:6])}]" if buckets else "")
        )
    return json.dumps(answer)[:200]


async def show_examples(base: str) -> None:
    async with aiohttp.ClientSession() as session:
        for title, path, body in EXAMPLES:
            if body is None:
                print(f"\n# {title}\ncurl -s {base}{path}")
                async with session.get(base + path) as response:
                    answer = await response.json()
            else:
                text = json.dumps(body)
                print(f"\n# {title}\ncurl -s -X POST {base}{path} -H 'Content-Type: application/json' -d '{text}'")
                async with session.post(base + path, json=body) as response:
                    answer = await response.json()
            print(f"  -> {_summary(answer)}")


async def run_demo_async(*, keep_publishing: bool, interval: float) -> int:
    from api.server import start_api
    from indexer.daemon import build_chain, run_chains

    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="aquarius-demo-"))
    chains = await asyncio.to_thread(start_chains, work)
    key = "0x" + secrets.token_hex(32)
    decryptor = LocalDecryptor(key)
    port = free_port()
    purgatory = work / "purgatory-accounts.json"
    spammer = chains[0].publisher.w3.eth.accounts[1]
    purgatory.write_text(json.dumps([{"address": spammer, "reason": "demo: listed account"}]))
    settings = Settings(
        store="sqlite",
        sqlite_path=work / "aquarius.sqlite",
        chains=[
            ChainConfig(chain_id=c.node.chain_id, rpc_urls=[c.node.url], start_block=0, poll_interval=0.2)
            for c in chains
        ],
        address_file=work / "address.json",
        private_key=key,
        bind_url=f"http://127.0.0.1:{port}",
        account_purgatory_url=purgatory.as_uri(),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with AsyncExitStack() as stack:
            store = await open_store(settings, stack)
            stop = stop_on_signals()
            runtimes = [build_chain(settings, chain, store) for chain in settings.chains]
            await start_api(settings, store, stack)
            start_scheduled_jobs(settings, store, stack)
            indexing = asyncio.create_task(run_chains(runtimes, stop))
            print(f"chains {', '.join(c.node.url for c in chains)}; publishing the sample catalog while indexing...")
            published = await asyncio.to_thread(publish_catalog, chains, decryptor)
            for runtime, chain in zip(runtimes, chains, strict=True):
                head = chain.publisher.w3.eth.block_number
                async with asyncio.timeout(120):
                    await runtime.sync.wait_for_block(head)
            await store.refresh()
            print(f"{len(published)} assets on {len(chains)} chains indexed in {time.monotonic() - started:.1f}s")
            print(f"\nAquarius API: {base}   (explorer: {base}/explorer, OpenAPI: {base}/spec)", flush=True)
            await show_examples(base)
            if keep_publishing:
                print(f"\npublishing a new asset every {interval:.0f}s; Ctrl-C to stop")
                await keep_publishing_until(stop, chains, runtimes, decryptor, base, interval)
            stop.set()
            await indexing
    finally:
        for chain in chains:
            chain.node.stop()
    print("stopped")
    return 0


async def keep_publishing_until(
    stop: asyncio.Event,
    chains: list[DemoChain],
    runtimes: list[Any],
    decryptor: LocalDecryptor,
    base: str,
    interval: float,
) -> None:
    n = 0
    async with aiohttp.ClientSession() as session:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), interval)
                return
            except TimeoutError:
                pass
            chain = chains[n % len(chains)]
            spec = AssetSpec(
                f"Live sensor feed {n + 1}",
                f"Readings of live sensor number {n + 1}, published now.",
                tags=("live", "sensor"),
                flags=n % 4,
            )
            published_at = time.monotonic()
            asset = await asyncio.to_thread(publish, chain, spec, decryptor, [])
            while not stop.is_set():
                async with session.get(f"{base}/api/aquarius/assets/ddo/{asset.did}") as response:
                    if response.status == 200:
                        break
                await asyncio.sleep(0.05)
            print(
                f"published {asset.did} on chain {chain.node.chain_id}: searchable after "
                f"{time.monotonic() - published_at:.2f}s",
                flush=True,
            )
            n += 1


def run_demo(*, keep_publishing: bool = True, interval: float = 5.0) -> int:
    return asyncio.run(run_demo_async(keep_publishing=keep_publishing, interval=interval))
