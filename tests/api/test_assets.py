"""DDO, metadata and names routes: bodies, status codes and the texts clients match on."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aquarius.store.base import Store
from tests.api.catalog import DEPRECATED, TRAFFIC, UNLISTED, WEATHER
from tests.api.conftest import Api

UNKNOWN = "did:op:" + "0" * 64


async def test_ddo_is_the_stored_document_in_stored_key_order(api: Api) -> None:
    async with api.get(f"/api/aquarius/assets/ddo/{WEATHER.did}") as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        text = await response.text()
    served = json.loads(text)
    indexed = served.pop("indexedMetadata")
    assert served == WEATHER.doc
    assert list(served) == list(WEATHER.doc)
    assert served["event"]["tx"] == served["event"]["txid"] == WEATHER.tx
    # the Ocean-Node-era place of what the indexer adds
    assert indexed == {key: WEATHER.doc[key] for key in ("nft", "event", "stats", "purgatory")}


async def test_unknown_ddo_answers_the_text_ocean_py_matches(api: Api) -> None:
    async with api.get(f"/api/aquarius/assets/ddo/{UNKNOWN}") as response:
        assert response.status == 404
        raw = await response.read()
    assert raw == b'{"error":"Asset DID %s not found in Elasticsearch."}\n' % UNKNOWN.encode()
    # ocean.py's ddo_exists: f"Asset DID {did} not found in Elasticsearch" not in str(resp.content)
    assert f"Asset DID {UNKNOWN} not found in Elasticsearch" in str(raw)


async def test_deprecated_asset_is_answered_as_stored(api: Api) -> None:
    async with api.get(f"/api/aquarius/assets/ddo/{DEPRECATED.did}") as response:
        assert response.status == 200
        served = await response.json()
    assert set(served) == {"event", "nft", "datatokens", "stats", "indexedMetadata"}
    assert served["indexedMetadata"] == {"event": served["event"], "nft": served["nft"], "stats": served["stats"]}


async def test_unlisted_asset_is_found_but_not_served(api: Api) -> None:
    async with api.get(f"/api/aquarius/assets/ddo/{UNLISTED.did}") as response:
        assert response.status == 404
        text = await response.text()
    assert "not found in Elasticsearch" not in text  # it exists: ocean.py must not publish over it
    assert text.startswith('{"error":"Error encountered while searching the asset DID')


async def test_metadata_is_the_bare_metadata_object(api: Api) -> None:
    async with api.get(f"/api/aquarius/assets/metadata/{TRAFFIC.did}") as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        assert await response.json() == TRAFFIC.doc["metadata"]


@pytest.mark.parametrize(
    ("did", "reason"),
    [
        (UNKNOWN, f"asset {UNKNOWN} not found"),
        (DEPRECATED.did, "the asset has no metadata (deprecated or revoked)"),
        (UNLISTED.did, "the asset is unlisted"),
    ],
)
async def test_metadata_404s(api: Api, did: str, reason: str) -> None:
    async with api.get(f"/api/aquarius/assets/metadata/{did}") as response:
        assert response.status == 404
        assert await response.json() == {"error": f"Error encountered while retrieving metadata: {reason}."}


async def test_names_of_ten_thousand_dids_in_one_store_round_trip(
    api: Api, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real_mget = store.mget

    async def counted_mget(collection: Any, ids: Any) -> Any:
        calls.append(len(ids))
        return await real_mget(collection, ids)

    monkeypatch.setattr(store, "mget", counted_mget)
    unknown = [f"did:op:{n:064x}" for n in range(10_000)]
    dids = [WEATHER.did, DEPRECATED.did, UNLISTED.did, *unknown]
    async with api.post("/api/aquarius/assets/names", json={"didList": dids}) as response:
        assert response.status == 200
        names = await response.json()
    assert calls == [len(dids)]
    assert names[WEATHER.did] == "Weather data Berlin"
    # df-py keeps only non-empty names: unknown, soft-deleted and unlisted DIDs must be present and empty
    assert names[DEPRECATED.did] == names[UNLISTED.did] == ""
    assert len(names) == len(dids)
    assert {names[d] for d in unknown} == {""}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({}, "`didList` is required in the request payload."),
        ({"didList": []}, "The requested didList can not be empty."),
        ({"didList": "did:op:1"}, "The didList must be a list."),
        ({"didList": [1, 2]}, "The didList must be a list of strings."),
        ([1], "Invalid payload. The request could not be converted into a dict."),
    ],
)
async def test_names_refusals(api: Api, payload: Any, message: str) -> None:
    async with api.post("/api/aquarius/assets/names", json=payload) as response:
        assert response.status == 400
        assert await response.json() == {"error": message}


async def test_names_with_a_body_that_is_not_json(api: Api) -> None:
    async with api.post("/api/aquarius/assets/names", data=b"{not json") as response:
        assert response.status == 400
        assert await response.json() == {"error": "Invalid payload. The request could not be converted into a dict."}
