"""Publish on anvil with the real Ocean contracts -> index -> read the asset from the store."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from aquarius.devenv.elasticsearch import ElasticsearchNode
from aquarius.devenv.publisher import encode_metadata
from aquarius.metadata.decrypt import LocalDecryptor
from aquarius.store.base import Collection, Store
from tests.chain.fixtures import Chain
from tests.indexer.harness import INDEXER_KEY, indexed_to, indexer_settings, running_indexer
from tests.metadata.samples import v4_ddo
from tests.store.backends import elasticsearch_store


@pytest.fixture(params=["elasticsearch"])
async def store(request: pytest.FixtureRequest, es: ElasticsearchNode) -> AsyncIterator[Store]:
    async with elasticsearch_store(es) as opened:
        yield opened


def ddo_for(did: str, nft: str, name: str, datatoken: str | None = None) -> dict[str, Any]:
    ddo = v4_ddo(nft=nft)
    assert ddo["id"] == did
    ddo["metadata"]["name"] = name
    if datatoken:
        ddo["services"][0]["datatokenAddress"] = datatoken
    return ddo


async def test_plain_compressed_and_locally_encrypted_ddos_are_indexed(
    chain: Chain, store: Store, tmp_path: Path
) -> None:
    pub = chain.publisher
    indexer_key = LocalDecryptor(INDEXER_KEY)
    published = {}
    for flags in (0, 1, 2, 3):
        asset = pub.create_asset(f"NFT {flags}", f"N{flags}")
        ddo = ddo_for(asset.did, asset.nft, f"Asset with flags {flags}", asset.datatoken)
        payload = encode_metadata(ddo, flags, encrypt_to=indexer_key.public_key_hex)
        receipt = pub.set_metadata(asset.nft, payload, decryptor_address=indexer_key.address)
        published[asset.did] = (ddo, asset, receipt)

    settings = indexer_settings(chain, tmp_path / "address.json")
    async with running_indexer(settings, store) as runtime:
        await indexed_to(runtime, chain.w3.eth.block_number)

    for did, (ddo, asset, receipt) in published.items():
        stored = await store.get(Collection.ASSETS, did)
        assert stored is not None, did
        assert {k: stored[k] for k in ddo} == ddo
        assert stored["nft"]["address"] == asset.nft
        assert stored["nft"]["owner"] == pub.account
        assert stored["nft"]["state"] == 0
        assert stored["event"]["tx"] == stored["event"]["txid"] == receipt["transactionHash"].to_0x_hex()
        assert stored["event"]["from"] == pub.account
        assert stored["event"]["block"] == receipt["blockNumber"]
        assert stored["purgatory"] == {"state": False}
        assert stored["stats"] == {"orders": 0, "price": {}, "allocated": 0}
        assert stored["datatokens"] == [
            {"address": asset.datatoken, "name": "Datatoken 1", "symbol": "DT1", "serviceId": "0"}
        ]
        state = await store.get(Collection.STATES, did)
        assert state is not None and state["valid"] is True and state["error"] is None


async def test_rejections_are_recorded_and_do_not_affect_neighbours(chain: Chain, store: Store, tmp_path: Path) -> None:
    pub = chain.publisher
    good = pub.create_asset("good", "G")
    pub.set_metadata(good.nft, encode_metadata(ddo_for(good.did, good.nft, "good")))
    wrong_hash = pub.create_asset("bad hash", "B")
    pub.set_metadata(
        wrong_hash.nft, encode_metadata(ddo_for(wrong_hash.did, wrong_hash.nft, "x")), metadata_hash=b"\x01" * 32
    )
    other_key = pub.create_asset("other key", "K")
    stranger = Account.create()
    payload = encode_metadata(ddo_for(other_key.did, other_key.nft, "y"), 2, encrypt_to=_pubkey(stranger.key.hex()))
    pub.set_metadata(other_key.nft, payload, decryptor_address=stranger.address)
    bad_json = pub.create_asset("bad json", "J")
    pub.set_metadata(bad_json.nft, encode_metadata(b'{"id": '))
    neighbour = pub.create_asset("neighbour", "N")
    pub.set_metadata(neighbour.nft, encode_metadata(ddo_for(neighbour.did, neighbour.nft, "neighbour")))

    settings = indexer_settings(chain, tmp_path / "address.json")
    async with running_indexer(settings, store) as runtime:
        await indexed_to(runtime, chain.w3.eth.block_number)

    assert await store.get(Collection.ASSETS, good.did) is not None
    assert await store.get(Collection.ASSETS, neighbour.did) is not None
    for asset, code in ((wrong_hash, "hash_mismatch"), (bad_json, "bad_json")):
        assert await store.get(Collection.ASSETS, asset.did) is None
        state = await store.get(Collection.STATES, asset.did)
        assert state is not None and state["valid"] is False and state["code"] == code, state
    expected = hashlib.sha256(json.dumps(ddo_for(wrong_hash.did, wrong_hash.nft, "x"), separators=(",", ":")).encode())
    assert expected.hexdigest() in (await store.get(Collection.STATES, wrong_hash.did) or {})["error"]
    # encrypted to a decryptor that is not us, and no remote decryptor configured
    state = await store.get(Collection.STATES, other_key.did)
    assert state is not None and state["valid"] is False and state["code"] == "no_decryptor", state


def _pubkey(private_key_hex: str) -> str:
    return LocalDecryptor(private_key_hex).public_key_hex


async def test_multi_asset_transaction_and_state_changes(chain: Chain, store: Store, tmp_path: Path) -> None:
    pub = chain.publisher
    _, assets = pub.publish_many([encode_metadata(b"{}") for _ in range(3)])
    # the helper's payloads must carry the real DIDs: republish each with a proper DDO as an update
    for asset in assets:
        pub.set_metadata(asset.nft, encode_metadata(ddo_for(asset.did, asset.nft, f"batch {asset.nft}")))
    revoked, unlisted, transferred = assets
    pub.set_state(revoked.nft, 3)
    pub.set_state(unlisted.nft, 5)
    new_owner = chain.w3.eth.accounts[2]
    pub.transfer(transferred.nft, new_owner)

    settings = indexer_settings(chain, tmp_path / "address.json")
    async with running_indexer(settings, store) as runtime:
        await indexed_to(runtime, chain.w3.eth.block_number)
        hidden = await store.get(Collection.ASSETS, revoked.did)
        assert hidden is not None and "metadata" not in hidden and hidden["nft"]["state"] == 3
        assert set(hidden) == {"event", "nft", "datatokens", "stats"}
        assert (await store.get(Collection.ASSETS, unlisted.did) or {})["nft"]["state"] == 5
        assert (await store.get(Collection.ASSETS, transferred.did) or {})["nft"]["owner"] == new_owner

    # restoring needs no second decryption: the last valid DDO comes back
    pub.set_state(revoked.nft, 0)
    async with running_indexer(settings, store) as runtime:
        await indexed_to(runtime, chain.w3.eth.block_number)
    restored = await store.get(Collection.ASSETS, revoked.did)
    assert restored is not None
    assert restored["metadata"]["name"] == f"batch {revoked.nft}"
    assert restored["nft"]["state"] == 0
