"""Chain fixtures: one anvil node per test session with the real Ocean contracts deployed once; each test
runs on a snapshot that is reverted afterwards, so tests never see each other's transactions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from web3 import Web3

from aquarius.devenv.anvil import AnvilNode, start_anvil
from aquarius.devenv.ocean import OceanDeployment, deploy_ocean
from aquarius.devenv.publisher import OceanPublisher
from tests.infra_timings import TIMINGS


@dataclass
class Chain:
    node: AnvilNode
    w3: Web3
    deployment: OceanDeployment
    publisher: OceanPublisher


def start_ocean_chain(chain_id: int | None = None) -> Chain:
    """A new anvil node (the default chain id unless given) with the Ocean contracts deployed; the caller stops it."""
    node = start_anvil() if chain_id is None else start_anvil(chain_id=chain_id)
    w3 = Web3(Web3.HTTPProvider(node.url))
    deployment = deploy_ocean(w3)
    return Chain(node=node, w3=w3, deployment=deployment, publisher=OceanPublisher(w3, deployment))


@pytest.fixture(scope="session")
def ocean_chain() -> Iterator[Chain]:
    started = time.monotonic()
    chain = start_ocean_chain()
    TIMINGS["anvil start"] = chain.node.startup_seconds
    TIMINGS["anvil + Ocean contracts deployed"] = time.monotonic() - started
    try:
        yield chain
    finally:
        chain.node.stop()


@pytest.fixture
def chain(ocean_chain: Chain) -> Iterator[Chain]:
    """The session chain, rolled back to its freshly deployed state after the test."""
    snapshot = ocean_chain.node.rpc("evm_snapshot")
    try:
        yield ocean_chain
    finally:
        ocean_chain.node.rpc("evm_revert", [snapshot])


@pytest.fixture
def second_chain() -> Iterator[Chain]:
    """A chain of its own (id 8997) beside the session chain, for tests of several chains."""
    chain = start_ocean_chain(chain_id=8997)
    try:
        yield chain
    finally:
        chain.node.stop()
