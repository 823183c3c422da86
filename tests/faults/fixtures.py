"""A busy chain for the chain-access tests: its own anvil node with the Ocean contracts, 60 published assets and
every other kind of event the indexer handles, spread over ~650 blocks with gaps of empty blocks (so that log
ranges have to grow and split). Built once per session and never changed by the tests that read it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
import pytest_asyncio
from web3 import Web3

from aquarius.devenv.anvil import AnvilNode, start_anvil
from aquarius.devenv.ocean import OceanDeployment, deploy_ocean
from aquarius.devenv.publisher import DataAsset, OceanPublisher, encode_metadata, new_account
from tests.faults.proxy import FaultProxy
from tests.infra_timings import TIMINGS


@dataclass
class BusyChain:
    node: AnvilNode
    w3: Web3
    deployment: OceanDeployment
    assets: list[DataAsset]
    head: int


def _gap(node: AnvilNode, blocks: int) -> None:
    node.rpc("anvil_mine", [hex(blocks)])


def _make_activity(node: AnvilNode, publisher: OceanPublisher) -> list[DataAsset]:
    assets: list[DataAsset] = []
    for batch in range(2):
        payloads = [encode_metadata({"batch": batch, "n": i}, flags=i % 2) for i in range(25)]
        assets += publisher.publish_many(payloads)[1]
        _gap(node, 97)
    for i in range(10):
        asset = publisher.create_asset(f"Asset {i}", f"A{i}")
        publisher.set_metadata(asset.nft, encode_metadata({"n": i}))
        assets.append(asset)
        _gap(node, 7 * i + 1)
    first, second = assets[-1], assets[-2]
    publisher.set_metadata(first.nft, encode_metadata({"n": "updated"}), validators=[new_account()])
    publisher.set_state(first.nft, 4)
    publisher.set_token_uri(first.nft, "https://example.test/nft/1")
    publisher.set_data(first.nft, "k", b"v")
    order = publisher.start_order(first.datatoken)
    publisher.reuse_order(first.datatoken, order["transactionHash"].to_0x_hex())
    _gap(node, 60)
    exchange = publisher.create_fixed_rate(second.datatoken, 2 * 10**18)
    publisher.set_rate(exchange, 3 * 10**18)
    publisher.toggle_exchange(exchange)
    publisher.toggle_exchange(exchange)
    publisher.create_dispenser(first.datatoken)
    publisher.toggle_dispenser(first.datatoken, active=False)
    publisher.toggle_dispenser(first.datatoken, active=True)
    publisher.transfer(second.nft, new_account().address)
    _gap(node, 40)
    return assets


@pytest.fixture(scope="session")
def busy_chain() -> Iterator[BusyChain]:
    started = time.monotonic()
    node = start_anvil()
    try:
        w3 = Web3(Web3.HTTPProvider(node.url))
        deployment = deploy_ocean(w3)
        assets = _make_activity(node, OceanPublisher(w3, deployment))
        TIMINGS["busy chain (anvil, Ocean contracts, activity)"] = time.monotonic() - started
        yield BusyChain(node=node, w3=w3, deployment=deployment, assets=assets, head=w3.eth.block_number)
    finally:
        node.stop()


@pytest_asyncio.fixture
async def proxy(busy_chain: BusyChain) -> AsyncIterator[FaultProxy]:
    """A fault-injecting proxy in front of the busy chain, fault-free until a test injects something."""
    proxy = await FaultProxy(busy_chain.node.url).start()
    try:
        yield proxy
    finally:
        await proxy.stop()
