"""The chain harness produces every event the indexer handles, from the real Ocean contracts."""

from __future__ import annotations

import hashlib
import json
import lzma

import coincurve
import ecies
import pytest
from web3.logs import DISCARD

from aquarius.devenv.publisher import encode_metadata, new_account
from aquarius.did import make_did
from tests.chain.fixtures import Chain


def _ddo(did: str, n: int) -> dict[str, object]:
    return {"id": did, "version": "4.1.0", "metadata": {"name": f"asset {n}", "type": "dataset"}}


def _metadata_created(chain: Chain, receipt: dict) -> list[dict]:  # type: ignore[type-arg]
    nft_contract = chain.publisher.nft(receipt["logs"][0]["address"])
    return list(nft_contract.events.MetadataCreated().process_receipt(receipt, errors=DISCARD))


@pytest.mark.parametrize("flags", [0, 1, 2, 3])
def test_publish_and_decode_metadata_created(chain: Chain, flags: int) -> None:
    key = coincurve.PrivateKey()
    asset = chain.publisher.create_asset()
    assert asset.did == make_did(asset.nft, 8996)
    ddo = _ddo(asset.did, flags)
    payload = encode_metadata(ddo, flags, encrypt_to=key.public_key.format(True).hex())
    receipt = chain.publisher.set_metadata(asset.nft, payload, decryptor_url="http://provider.test")

    events = _metadata_created(chain, receipt)
    assert len(events) == 1
    args = events[0]["args"]
    assert events[0]["address"] == asset.nft
    assert args["flags"] == bytes([flags])
    assert args["decryptorUrl"] == "http://provider.test"
    assert args["createdBy"] == chain.publisher.account

    data = bytes(args["data"])
    if flags & 2:
        data = ecies.decrypt(key.to_hex(), data)
    if flags & 1:
        data = lzma.decompress(data)
    assert json.loads(data) == ddo
    assert bytes(args["metaDataHash"]) == hashlib.sha256(data).digest()
    if flags == 0:
        assert bytes(args["data"]) == data  # nothing hidden, nothing compressed


def test_second_set_metadata_emits_metadata_updated(chain: Chain) -> None:
    asset = chain.publisher.create_asset()
    chain.publisher.set_metadata(asset.nft, encode_metadata(_ddo(asset.did, 1)))
    receipt = chain.publisher.set_metadata(asset.nft, encode_metadata(_ddo(asset.did, 2)))
    updated = chain.publisher.nft(asset.nft).events.MetadataUpdated().process_receipt(receipt, errors=DISCARD)
    assert len(updated) == 1
    assert json.loads(bytes(updated[0]["args"]["data"]))["metadata"]["name"] == "asset 2"
    assert _metadata_created(chain, receipt) == []


def test_hex_hash_convention_of_ocean_node_publishers(chain: Chain) -> None:
    asset = chain.publisher.create_asset()
    payload = encode_metadata(_ddo(asset.did, 0), hash_convention="hex")
    receipt = chain.publisher.set_metadata(asset.nft, payload)
    args = _metadata_created(chain, receipt)[0]["args"]
    assert bytes(args["metaDataHash"]) == hashlib.sha256(("0x" + bytes(args["data"]).hex()).encode()).digest()
    assert bytes(args["metaDataHash"]) != hashlib.sha256(bytes(args["data"])).digest()


def test_two_assets_in_one_transaction(chain: Chain) -> None:
    payloads = [encode_metadata({"n": i}, flags=i) for i in range(2)]
    receipt, assets = chain.publisher.publish_many(payloads)

    assert len(assets) == 2
    assert assets[0].nft != assets[1].nft
    created = []
    for asset in assets:
        created += chain.publisher.nft(asset.nft).events.MetadataCreated().process_receipt(receipt, errors=DISCARD)
    by_nft = {ev["address"]: ev for ev in created if ev["address"] in {a.nft for a in assets}}
    assert set(by_nft) == {a.nft for a in assets}
    assert {ev["transactionHash"] for ev in by_nft.values()} == {receipt["transactionHash"]}
    assert by_nft[assets[1].nft]["args"]["flags"] == b"\x01"
    assert by_nft[assets[0].nft]["logIndex"] != by_nft[assets[1].nft]["logIndex"]
    # each NFT ends with the publisher, who can act on it afterwards
    for asset in assets:
        assert chain.publisher.nft(asset.nft).functions.ownerOf(1).call() == chain.publisher.account
        assert chain.publisher.set_state(asset.nft, 4)["status"] == 1


def test_validator_proofs_emit_metadata_validated(chain: Chain) -> None:
    validators = [new_account(), new_account()]
    asset = chain.publisher.create_asset()
    payload = encode_metadata(_ddo(asset.did, 0))
    receipt = chain.publisher.set_metadata(asset.nft, payload, validators=validators)
    events = chain.publisher.nft(asset.nft).events.MetadataValidated().process_receipt(receipt, errors=DISCARD)
    assert [e["args"]["validator"] for e in events] == [v.address for v in validators]
    assert all(bytes(e["args"]["metaDataHash"]) == payload.metadata_hash for e in events)


def test_state_token_uri_data_and_transfer(chain: Chain) -> None:
    pub = chain.publisher
    asset = pub.create_asset()
    pub.set_metadata(asset.nft, encode_metadata(_ddo(asset.did, 0)))
    nft = pub.nft(asset.nft)

    state = nft.events.MetadataState().process_receipt(pub.set_state(asset.nft, 5), errors=DISCARD)
    assert state[0]["args"]["state"] == 5
    uri = nft.events.TokenURIUpdate().process_receipt(pub.set_token_uri(asset.nft, "ipfs://new"), errors=DISCARD)
    assert uri[0]["args"]["tokenURI"] == "ipfs://new"
    changed = nft.events.DataChanged().process_receipt(pub.set_data(asset.nft, "note", b"hello"), errors=DISCARD)
    assert changed[0]["args"]["value"] == b"hello"
    assert nft.functions.getData(changed[0]["args"]["key"]).call() == b"hello"

    new_owner = chain.w3.eth.accounts[1]
    transfers = nft.events.Transfer().process_receipt(pub.transfer(asset.nft, new_owner), errors=DISCARD)
    assert [(t["args"]["from"], t["args"]["to"]) for t in transfers] == [(pub.account, new_owner)]
    assert nft.functions.ownerOf(1).call() == new_owner


def test_orders_prices_and_dispenser(chain: Chain) -> None:
    pub = chain.publisher
    asset = pub.create_asset()
    dt = pub.datatoken(asset.datatoken)

    order = pub.start_order(asset.datatoken, service_index=0)
    started = dt.events.OrderStarted().process_receipt(order, errors=DISCARD)
    assert started[0]["args"]["amount"] == 10**18
    reuse = pub.reuse_order(asset.datatoken, order["transactionHash"].to_0x_hex())
    reused = dt.events.OrderReused().process_receipt(reuse, errors=DISCARD)
    assert bytes(reused[0]["args"]["orderTxId"]) == bytes(order["transactionHash"])

    exchange_id = pub.create_fixed_rate(asset.datatoken, rate=2 * 10**18)
    fre = pub.fixed_rate
    expected_id = fre.functions.generateExchangeId(chain.deployment.ocean, asset.datatoken).call()
    assert exchange_id == "0x" + bytes(expected_id).hex()
    rate = fre.events.ExchangeRateChanged().process_receipt(pub.set_rate(exchange_id, 3 * 10**18), errors=DISCARD)
    assert rate[0]["args"]["newRate"] == 3 * 10**18
    assert fre.events.ExchangeDeactivated().process_receipt(pub.toggle_exchange(exchange_id), errors=DISCARD)
    assert fre.events.ExchangeActivated().process_receipt(pub.toggle_exchange(exchange_id), errors=DISCARD)

    other = pub.create_asset(datatoken_symbol="DT2")
    disp = pub.dispenser
    created = disp.events.DispenserCreated().process_receipt(pub.create_dispenser(other.datatoken), errors=DISCARD)
    assert created[0]["args"]["datatokenAddress"] == other.datatoken
    off = pub.toggle_dispenser(other.datatoken, active=False)
    assert disp.events.DispenserDeactivated().process_receipt(off, errors=DISCARD)
    on = pub.toggle_dispenser(other.datatoken, active=True)
    assert disp.events.DispenserActivated().process_receipt(on, errors=DISCARD)


def test_snapshots_isolate_tests(chain: Chain) -> None:
    """Each test starts from the freshly deployed chain: no NFT from another test exists."""
    assert chain.w3.eth.block_number < 20
