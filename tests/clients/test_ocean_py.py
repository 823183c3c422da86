"""ocean.py 3.1.2 (`ocean_lib.aquarius.Aquarius`) against the running service: it connects, waits for an asset
while it is published, finds, searches, validates, and waits for an update by its transaction hash."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct

from tests.clients.conftest import Live

UNKNOWN = "did:op:" + "0" * 64


def signer_of(proof: dict[str, Any]) -> str:
    digest = bytes.fromhex(proof["hash"][2:])
    vrs = (proof["v"], int(proof["r"][0], 16), int(proof["s"][0], 16))
    return str(Account.recover_message(encode_defunct(primitive=digest), vrs=vrs))


async def test_ocean_py_finds_searches_validates_and_waits(live: Live, ocean_py: Callable[[], Any]) -> None:
    asset = live.chain.publisher.create_asset("ocean.py asset", "OPY")
    ddo = live.ddo(asset, "Branin dataset 1")
    async with ocean_py() as client:
        # the constructor probes `GET /`; with a trailing slash every later path starts with `//`
        assert await client.call("connect", url=live.url) == live.url + "/api/aquarius/assets"
        slashed = live.url + "/"
        assert await client.call("connect", url=slashed) == live.url + "//api/aquarius/assets"

        # an NFT without metadata is not an asset yet: ocean.py must be free to publish it
        assert await client.call("ddo_exists", url=live.url, did=asset.did) is False
        assert await client.call("ddo_exists", url=live.url, did=UNKNOWN) is False
        assert await client.call("get_ddo", url=live.url, did=UNKNOWN) is None
        assert await client.call("get_ddo_metadata", url=live.url, did=UNKNOWN) == {}

        validated = await client.call("validate_ddo", url=live.url, ddo=ddo)
        assert validated["valid"] is True
        proof = validated["response"]
        assert proof["hash"] == validated["posted_sha256"]
        assert proof["publicKey"] == live.indexer_address == signer_of(proof)

        # waits while the asset is published: its first poll is answered 404, a later one finds it
        await client.send("wait_for_ddo", url=live.url, did=asset.did, timeout=30)
        await live.log.wait_for(f"/ddo/{asset.did}", 404)
        tx = live.publish(asset, ddo)
        found = await client.reply()
        assert found["class"] == "DDO"
        served = found["ddo"]
        assert {key: served[key] for key in ddo} == ddo
        assert served["nft"]["address"] == asset.nft
        assert served["event"]["tx"] == tx
        assert served["datatokens"][0]["address"] == asset.datatoken

        assert await client.call("ddo_exists", url=slashed, did=asset.did) is True
        assert (await client.call("get_ddo", url=slashed, did=asset.did))["ddo"] == served
        assert await client.call("get_ddo_metadata", url=live.url, did=asset.did) == ddo["metadata"]
        query = {"query": {"query_string": {"query": "Branin dataset 1", "fields": ["metadata.name"]}}}
        hits = await client.call("query_search", url=live.url, query=query)
        assert [hit["_id"] for hit in hits] == [asset.did]
        assert hits[0]["_source"]["metadata"]["name"] == "Branin dataset 1"

        # an update: ocean.py knows the transaction hash before the block exists and waits for `event.tx`
        updated = {**ddo, "metadata": {**ddo["metadata"], "name": "Branin dataset 2"}}
        async with live.pending_update(asset, updated) as update_tx:
            polls = len(live.log.entries)
            await client.send("wait_for_ddo_update", url=live.url, did=asset.did, tx=update_tx)
            await live.log.wait_for(f"/ddo/{asset.did}", 200, after=polls)
        seen = (await client.reply())["ddo"]
        assert seen["event"]["tx"] == update_tx
        assert seen["metadata"]["name"] == "Branin dataset 2"
