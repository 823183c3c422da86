"""Running the real indexer against the test chain and a real store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aquarius.config import ChainConfig, Settings
from aquarius.devenv.anvil import AnvilNode
from aquarius.devenv.publisher import DataAsset, OceanPublisher, encode_metadata, new_account
from aquarius.store.base import Collection, Store
from aquarius.store.sqlite import SqliteStore
from indexer.daemon import ChainRuntime, build_chain
from indexer.retry_queue import RetryPolicy
from tests.chain.fixtures import Chain
from tests.metadata.samples import CHAIN_ID, v4_ddo

INDEXER_KEY = "0x" + "42" * 32
DUMP_LIMIT = 10_000


def indexer_settings(chain: Chain, address_file: Path, **overrides: object) -> Settings:
    chain.deployment.write_address_file(address_file)
    config = ChainConfig(
        chain_id=chain.node.chain_id,
        rpc_urls=[chain.node.url],
        start_block=chain.deployment.start_block,
        poll_interval=0.05,
    )
    values: dict[str, object] = {"chains": [config], "address_file": address_file, "private_key": INDEXER_KEY}
    values.update(overrides)
    return Settings(**values)


@asynccontextmanager
async def running_indexer(
    settings: Settings, store: Store, retry_policy: RetryPolicy | None = None, part_logs: int | None = None
) -> AsyncIterator[ChainRuntime]:
    """The chain's sync task running in the background for the duration of the block."""
    async with build_chain(settings, settings.chains[0], store) as runtime:
        if part_logs is not None:
            runtime.sync.part_logs = part_logs
        if retry_policy is not None:
            runtime.sync.retry_policy = retry_policy
            assert runtime.sync.retry_worker is not None
            runtime.sync.retry_worker.policy = retry_policy
        stop = asyncio.Event()
        task = asyncio.create_task(runtime.sync.run(stop))
        try:
            yield runtime
        finally:
            stop.set()
            await task


async def indexed_to(runtime: ChainRuntime, block: int) -> None:
    async with asyncio.timeout(60):
        await runtime.sync.wait_for_block(block)


VOLATILE_FIELDS = frozenset({"first_seen", "last_attempt", "next_retry"})  # retry-queue wall-clock times
Dump = dict[str, dict[str, Any]]


def _without_volatile(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_volatile(v) for k, v in value.items() if k not in VOLATILE_FIELDS}
    if isinstance(value, list):
        return [_without_volatile(v) for v in value]
    return value


async def dump(store: Store) -> Dump:
    """Every document of every collection, by collection and id, without the volatile fields."""
    await store.refresh()
    everything: Dump = {}
    for collection in Collection:
        if collection is Collection.JOURNAL and isinstance(store, SqliteStore):
            continue  # not searchable there; written in the same transaction as the effects it undoes
        found = await store.search(collection, {"query": {"match_all": {}}, "size": DUMP_LIMIT})
        hits = found["hits"]["hits"]
        assert len(hits) < DUMP_LIMIT, f"{collection}: too many documents to compare"
        everything[collection.value] = {hit["_id"]: _without_volatile(hit["_source"]) for hit in hits}
    return everything


def assert_same_store(actual: Dump, expected: Dump) -> None:
    """Equal dumps, with a message that names the first differing documents instead of a huge diff."""
    assert set(actual) == set(expected)
    for collection in expected:
        got, want = actual[collection], expected[collection]
        if collection == Collection.BLOCKS:
            # which block hashes are remembered depends on how the history was batched (live, catch-up, after
            # restarts); the ones both remember must agree, and both must remember the cursor's block
            assert all(got[i] == want[i] for i in set(got) & set(want)), collection
            cursors = [c["last_block"] for c in expected[Collection.CHAINS].values()]
            assert all(any(b["number"] == n for b in got.values()) for n in cursors), collection
            continue
        missing = sorted(set(want) - set(got))[:5]
        extra = sorted(set(got) - set(want))[:5]
        differing = [i for i in sorted(set(got) & set(want)) if got[i] != want[i]][:3]
        assert not (missing or extra or differing), (
            f"{collection}: missing {missing}, unexpected {extra}, "
            f"differing {[(i, got[i], want[i]) for i in differing]}"
        )


def _mine(node: AnvilNode, blocks: int) -> None:
    node.rpc("anvil_mine", [hex(blocks)])


def valid_ddo(asset: DataAsset, name: str, chain_id: int = CHAIN_ID) -> dict[str, Any]:
    ddo = v4_ddo(nft=asset.nft, chain_id=chain_id)
    ddo["metadata"]["name"] = name
    ddo["services"][0]["datatokenAddress"] = asset.datatoken
    return ddo


def publish_history(node: AnvilNode, pub: OceanPublisher, *, min_blocks: int = 2100) -> list[DataAsset]:
    """A long, busy history on a freshly deployed chain: batches of assets in single transactions, valid assets
    with updates and every state, orders, exchanges, dispensers, transfers, token URIs, on-chain data, and long
    stretches of empty blocks. Returns the assets with valid DDOs."""
    first_block = pub.w3.eth.block_number
    for round_ in range(5):
        payloads = [encode_metadata({"round": round_, "n": i}, flags=i % 2) for i in range(25)]
        pub.publish_many(payloads)
        _mine(node, 150)
    assets: list[DataAsset] = []
    for i in range(16):
        asset = pub.create_asset(f"History {i}", f"H{i}")
        pub.set_metadata(asset.nft, encode_metadata(valid_ddo(asset, f"asset {i}"), flags=i % 2))
        assets.append(asset)
        _mine(node, 20 + 7 * i)
    for i, asset in enumerate(assets[:8]):
        pub.set_metadata(asset.nft, encode_metadata(valid_ddo(asset, f"asset {i} updated")))
    for asset, state in zip(assets[:6], (1, 2, 3, 4, 5, 3), strict=True):
        pub.set_state(asset.nft, state)
    pub.set_state(assets[5].nft, 0)
    for asset in assets[6:10]:
        order = pub.start_order(asset.datatoken)
        pub.reuse_order(asset.datatoken, order["transactionHash"].to_0x_hex())
    _mine(node, 200)
    exchange = pub.create_fixed_rate(assets[10].datatoken, 2 * 10**18)
    pub.set_rate(exchange, 3 * 10**18)
    pub.toggle_exchange(exchange)
    pub.create_dispenser(assets[11].datatoken)
    pub.toggle_dispenser(assets[11].datatoken, active=False)
    pub.set_token_uri(assets[12].nft, "https://example.test/nft/12")
    pub.set_data(assets[12].nft, "key", b"value")
    pub.transfer(assets[13].nft, new_account().address)
    remaining = min_blocks - (pub.w3.eth.block_number - first_block)
    if remaining > 0:
        _mine(node, remaining)
    return assets


def publish_assets(chain: Chain, count: int) -> list[DataAsset]:
    """`count` valid assets published on `chain`, each named after the chain so chains never share a DID."""
    assets = []
    for i in range(count):
        asset = chain.publisher.create_asset(f"Chain {chain.node.chain_id} asset {i}", f"C{i}")
        ddo = valid_ddo(asset, f"on {chain.node.chain_id} #{i}", chain.node.chain_id)
        chain.publisher.set_metadata(asset.nft, encode_metadata(ddo))
        assets.append(asset)
    return assets
