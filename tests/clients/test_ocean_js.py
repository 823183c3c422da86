"""ocean.js (`Aquarius` of @oceanprotocol/lib) against the running service, in its classic generation (3.4.6: raw
validate, `event.txid`) and its Ocean-Node-era one (8.0.0: signed validate after `/api/services/nonce`,
`indexedMetadata.event.txid`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from eth_account import Account

from tests.clients.conftest import Live
from tests.clients.test_ocean_py import signer_of

POLL_MS = 50
POLLS = 600


@pytest.mark.parametrize("package", ["ocean-lib-3", "ocean-lib-8"])
async def test_ocean_js_resolves_searches_validates_and_waits(
    live: Live, ocean_js: Callable[[str], Any], package: str
) -> None:
    classic = package == "ocean-lib-3"
    asset = live.chain.publisher.create_asset("ocean.js asset", "OJS")
    ddo = live.ddo(asset, f"Weather for {package}")
    publisher = Account.create()
    async with ocean_js(package) as client:
        if classic:
            validated = await client.call("validate", url=live.url, ddo=ddo)
        else:
            validated = await client.call("validate", url=live.url, ddo=ddo, privateKey=publisher.key.to_0x_hex())
            assert any(
                path.endswith(f"/api/services/nonce?userAddress={publisher.address}") for path, _ in live.log.entries
            )
            async with aiohttp.ClientSession() as http:
                nonce_url = f"{live.url}/api/services/nonce?userAddress={publisher.address}"
                async with http.get(nonce_url) as response:
                    assert (await response.json())["nonce"] == 1  # the signed request used it up
        # the hash ocean.js writes on chain: sha256 of JSON.stringify(ddo), which the indexer then verifies
        compact = json.dumps(ddo, separators=(",", ":")).encode()
        assert validated["valid"] is True
        assert validated["hash"] == "0x" + hashlib.sha256(compact).hexdigest()
        proof = validated["proof"]
        assert proof["validatorAddress"] == live.indexer_address
        assert signer_of({"hash": validated["hash"], "v": proof["v"], "r": [proof["r"]], "s": [proof["s"]]}) == (
            live.indexer_address
        )

        await client.send("waitForIndexer", url=live.url, did=asset.did, interval=POLL_MS, maxRetries=POLLS)
        await live.log.wait_for(f"/ddo/{asset.did}", 404)
        tx = live.publish(asset, ddo)
        served = await client.reply()
        assert {key: served[key] for key in ddo} == ddo
        assert served["event"]["txid"] == served["indexedMetadata"]["event"]["txid"] == tx
        assert served["indexedMetadata"]["nft"]["address"] == asset.nft

        assert await client.call("resolve", url=live.url, did=asset.did) == served
        assert await client.call("getAssetMetadata", url=live.url, did=asset.did) == ddo["metadata"]
        query = {"query": {"term": {"nftAddress.keyword": asset.nft}}, "size": 5}
        found = await client.call("querySearch", url=live.url, query=query)
        assert found["hits"]["total"]["value"] == 1
        assert found["hits"]["hits"][0]["_source"]["id"] == asset.did

        # an update awaited by its transaction hash, known before its block is mined
        updated = {**ddo, "metadata": {**ddo["metadata"], "name": f"Weather for {package}, v2"}}
        async with live.pending_update(asset, updated) as update_tx:
            polls = len(live.log.entries)
            await client.send(
                "waitForIndexer", url=live.url, did=asset.did, txid=update_tx, interval=POLL_MS, maxRetries=POLLS
            )
            await live.log.wait_for(f"/ddo/{asset.did}", 200, after=polls)
        seen = await client.reply()
        assert seen is not None, f"{package} gave up waiting for {update_tx}"
        event = seen["event"] if classic else seen["indexedMetadata"]["event"]
        assert event["txid"] == update_tx
        assert seen["metadata"]["name"] == f"Weather for {package}, v2"
