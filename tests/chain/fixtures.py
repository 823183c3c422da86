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


@pytest.fixture(scope="session")
def ocean_chain() -> Iterator[Chain]:
    started = time.monotonic()
    node = start_anvil()
    TIMINGS["anvil start"] = node.startup_seconds
    w3 = Web3(Web3.HTTPProvider(node.url))
    deployment = deploy_ocean(w3)
    TIMINGS["anvil + Ocean contracts deployed"] = time.monotonic() - started
    try:
        yield Chain(node=node, w3=w3, deployment=deployment, publisher=OceanPublisher(w3, deployment))
    finally:
        node.stop()


@pytest.fixture
def chain(ocean_chain: Chain) -> Iterator[Chain]:
    """The session chain, rolled back to its freshly deployed state after the test."""
    snapshot = ocean_chain.node.rpc("evm_snapshot")
    try:
        yield ocean_chain
    finally:
        ocean_chain.node.rpc("evm_revert", [snapshot])
