"""Reorgs of depth 1, 3 and 10 under a live indexer: the orphaned blocks' asset, update and order are undone,
and the store ends equal to a fresh index of the canonical chain."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak, to_canonical_address, to_checksum_address

from aquarius.devenv.elasticsearch import ElasticsearchNode
from aquarius.devenv.publisher import DataAsset, encode_metadata
from aquarius.did import make_did
from aquarius.store.base import Collection, Store
from tests.chain.fixtures import Chain
from tests.indexer.harness import assert_same_store, dump, indexed_to, indexer_settings, running_indexer, valid_ddo
from tests.store.backends import elasticsearch_store, sqlite_store

ORPHAN_GAS = 8_000_000
StoreOpener = Callable[[str], AbstractAsyncContextManager[Store]]


@pytest.fixture(params=["sqlite", "elasticsearch"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreOpener:
    node: ElasticsearchNode | None = request.getfixturevalue("es") if request.param == "elasticsearch" else None

    def opener(name: str) -> AbstractAsyncContextManager[Store]:
        return sqlite_store(tmp_path / f"{name}.db") if node is None else elasticsearch_store(node, name)

    return opener


def created_address(deployer: str, nonce: int) -> str:
    """The address CREATE gives the `nonce`th contract a contract deploys (keccak of rlp([deployer, nonce]))."""
    if nonce == 0:
        encoded_nonce = b"\x80"
    elif nonce < 0x80:
        encoded_nonce = bytes([nonce])
    else:
        raw = nonce.to_bytes((nonce.bit_length() + 7) // 8, "big")
        encoded_nonce = bytes([0x80 + len(raw)]) + raw
    payload = b"\x94" + to_canonical_address(deployer) + encoded_nonce
    return to_checksum_address(keccak(bytes([0xC0 + len(payload)]) + payload)[12:])


def orphan_block(chain: Chain, updated: DataAsset, ordered: DataAsset) -> DataAsset:
    """One block holding: a new asset with its metadata, an update of `updated`, an order of `ordered`."""
    w3, pub = chain.w3, chain.publisher
    factory_nonce = w3.eth.get_transaction_count(pub.factory.address)
    nft = created_address(pub.factory.address, factory_nonce)
    created = DataAsset(
        nft, created_address(pub.factory.address, factory_nonce + 1), make_did(nft, chain.node.chain_id), "", 0
    )
    nft_data = ("Orphan", "ORPH", 1, "https://oceanprotocol.com/nft/", True, pub.account)
    zero = "0x" + "00" * 20
    erc_data = (1, ["Datatoken 1", "DT1"], [pub.account, zero, pub.account, zero], [10**30, 0], [])
    fee = (zero, zero, 0, 0, b"\x00" * 32, b"\x00" * 32, 0, b"")

    def metadata(asset: DataAsset, name: str) -> Any:
        payload = encode_metadata(valid_ddo(asset, name))
        return pub.nft(asset.nft).functions.setMetaData(
            0, "http://127.0.0.1:8030", "0x", bytes([0]), payload.data, payload.metadata_hash, []
        )

    calls = [
        pub.factory.functions.createNftWithErc20(nft_data, erc_data),
        metadata(created, "orphan asset"),
        metadata(updated, "orphan update"),
        pub.datatoken(ordered.datatoken).functions.mint(pub.account, 10**18),
        pub.datatoken(ordered.datatoken).functions.startOrder(pub.account, 0, fee, (zero, zero, 0)),
    ]
    chain.node.rpc("evm_setAutomine", [False])
    try:
        sent = [call.transact({"from": pub.account, "gas": ORPHAN_GAS}) for call in calls]
        chain.node.rpc("evm_mine")
    finally:
        chain.node.rpc("evm_setAutomine", [True])
    receipts = [w3.eth.get_transaction_receipt(tx) for tx in sent]
    assert [r["status"] for r in receipts] == [1] * len(calls)
    assert len({r["blockNumber"] for r in receipts}) == 1
    return created


@pytest.mark.parametrize("depth", [1, 3, 10])
async def test_reorg_undoes_the_orphaned_branch(
    chain: Chain, open_store: StoreOpener, depth: int, tmp_path: Path
) -> None:
    pub = chain.publisher
    updated = pub.create_asset("Updated", "UPD")
    pub.set_metadata(updated.nft, encode_metadata(valid_ddo(updated, "original")))
    ordered = pub.create_asset("Ordered", "ORD")
    pub.set_metadata(ordered.nft, encode_metadata(valid_ddo(ordered, "ordered")))
    pub.start_order(ordered.datatoken)
    settings = indexer_settings(chain, tmp_path / "address.json")

    async with open_store("reorged") as store, running_indexer(settings, store) as runtime:
        await indexed_to(runtime, chain.w3.eth.block_number)
        branch_point = chain.node.rpc("evm_snapshot")
        orphan = orphan_block(chain, updated, ordered)
        chain.node.rpc("anvil_mine", [hex(depth - 1)])
        await indexed_to(runtime, chain.w3.eth.block_number)
        assert (await store.get(Collection.ASSETS, orphan.did) or {})["metadata"]["name"] == "orphan asset"
        assert (await store.get(Collection.ASSETS, updated.did) or {})["metadata"]["name"] == "orphan update"
        assert (await store.get(Collection.ASSETS, ordered.did) or {})["stats"]["orders"] == 2

        chain.node.rpc("evm_revert", [branch_point])
        chain.node.rpc("anvil_mine", [hex(depth + 1)])  # a longer canonical branch without those events
        await indexed_to(runtime, chain.w3.eth.block_number)
        assert runtime.sync.status.reorgs == 1
        reorged = await dump(store)

    async with open_store("fresh") as fresh, running_indexer(settings, fresh) as runtime:
        await indexed_to(runtime, chain.w3.eth.block_number)
        canonical = await dump(fresh)

    assert orphan.did not in reorged[Collection.ASSETS] and orphan.did not in reorged[Collection.STATES]
    assert reorged[Collection.ASSETS][updated.did]["metadata"]["name"] == "original"
    assert reorged[Collection.ASSETS][ordered.did]["stats"]["orders"] == 1
    assert_same_store(reorged, canonical)


def test_created_address_matches_the_factory(chain: Chain) -> None:
    factory = chain.publisher.factory.address
    nonce = chain.w3.eth.get_transaction_count(factory)
    asset = chain.publisher.create_asset()
    assert (asset.nft, asset.datatoken) == (created_address(factory, nonce), created_address(factory, nonce + 1))
