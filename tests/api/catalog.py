"""A small realistic catalog in the stored shape clients read: the DDO plus `event`, `nft`, `datatokens`,
`stats` and `purgatory`, one deprecated (soft-deleted) asset, and the state records of their processing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aquarius.did import make_did
from aquarius.store.base import BlockEffects, Collection, Doc, Write

CHAIN = 8996
OTHER_CHAIN = 137
OWNER = "0x1b5F7b8b1aF0c3b7b5B1C0b0F7d0c8E8F2A4a6c1"
BUYER_OWNER = "0x9F3c2a14bE7D4E7A5b38cB4c1fD2aB8e6cE7a0D2"


@dataclass(frozen=True)
class Asset:
    did: str
    nft: str
    tx: str
    doc: Doc


def _address(n: int) -> str:
    return "0x" + f"{n:040x}"


def _tx(n: int) -> str:
    return "0x" + f"{n:064x}"


def asset_doc(n: int, name: str, *, chain_id: int = CHAIN, **overrides: Any) -> Asset:
    nft = _address(0xA000 + n)
    datatoken = _address(0xD000 + n)
    did = make_did(nft, chain_id)
    tx = _tx(0xF000 + n)
    owner = overrides.pop("owner", OWNER)
    doc: Doc = {
        "@context": ["https://w3id.org/did/v1"],
        "id": did,
        "nftAddress": nft,
        "version": "4.1.0",
        "chainId": chain_id,
        "metadata": {
            "created": "2023-05-17T10:11:12Z",
            "updated": "2023-05-17T10:11:12Z",
            "type": overrides.pop("type", "dataset"),
            "name": name,
            "description": f"{name}: hourly measurements, cleaned and documented.",
            "tags": overrides.pop("tags", ["climate", "weather"]),
            "author": "Ocean Research",
            "license": "MIT",
        },
        "services": [
            {
                "id": f"service-{n}",
                "type": overrides.pop("service_type", "access"),
                "files": "0x04f0c0ffee",
                "datatokenAddress": datatoken,
                "serviceEndpoint": "https://provider.example.com",
                "timeout": 0,
            }
        ],
        "event": {
            "tx": tx,
            "txid": tx,
            "block": 100 + n,
            "from": owner,
            "contract": nft,
            "datetime": "2023-05-17T10:11:12",
        },
        "nft": {
            "address": nft,
            "name": "Ocean Data NFT",
            "symbol": f"OCEAN-NFT-{n}",
            "state": overrides.pop("state", 0),
            "tokenURI": "https://oceanprotocol.com/nft/",
            "owner": owner,
            "created": f"2023-05-{10 + n:02d}T10:11:12",
        },
        "datatokens": [
            {"address": datatoken, "name": f"Datatoken {n}", "symbol": f"DT{n}", "serviceId": f"service-{n}"}
        ],
        "stats": {
            "orders": overrides.pop("orders", n),
            "price": {"value": float(n), "tokenAddress": _address(0xC0C0), "tokenSymbol": "OCEAN"},
            "allocated": 0,
        },
        "purgatory": {"state": overrides.pop("purgatory", False)},
    }
    doc.update(overrides)
    return Asset(did, nft, tx, doc)


WEATHER = asset_doc(1, "Weather data Berlin", orders=7)
TRAFFIC = asset_doc(2, "Traffic counts Paris", tags=["traffic", "mobility"], orders=3, owner=BUYER_OWNER)
ALGORITHM = asset_doc(3, "Branin regression", type="algorithm", tags=["ml"], service_type="compute", orders=1)
BANNED = asset_doc(4, "Banned weather feed", purgatory=True)
POLYGON = asset_doc(5, "Polygon weather archive", chain_id=OTHER_CHAIN)
UNLISTED = asset_doc(6, "Unlisted weather mirror", status={"isListed": False})
_deprecated = asset_doc(7, "Deprecated weather set", state=2)
# A deprecated asset keeps only what the indexer still knows about it.
DEPRECATED = Asset(
    _deprecated.did,
    _deprecated.nft,
    _deprecated.tx,
    {k: _deprecated.doc[k] for k in ("event", "nft", "datatokens", "stats")},
)
ASSETS = [WEATHER, TRAFFIC, ALGORITHM, BANNED, POLYGON, UNLISTED, DEPRECATED]
LISTED_ON_CHAIN = [WEATHER, TRAFFIC, ALGORITHM, BANNED, UNLISTED, DEPRECATED]


def state_record(asset: Asset, valid: bool, error: str | None) -> Write:
    doc = {"nft": asset.nft, "did": asset.did, "chain_id": CHAIN, "tx_id": asset.tx, "valid": valid, "error": error}
    return Write(Collection.STATES, asset.did, doc)


def blocks() -> dict[int, list[BlockEffects]]:
    """The catalog as applied blocks, per chain."""
    on_chain = [Write(Collection.ASSETS, a.did, a.doc) for a in ASSETS if a is not POLYGON]
    on_chain += [state_record(WEATHER, True, None), state_record(TRAFFIC, False, "metadata hash mismatch")]
    polygon = [Write(Collection.ASSETS, POLYGON.did, POLYGON.doc)]
    return {
        CHAIN: [BlockEffects(CHAIN, 120, _tx(120), _tx(119), 1_700_000_120, on_chain)],
        OTHER_CHAIN: [BlockEffects(OTHER_CHAIN, 5_000, _tx(5_000), _tx(4_999), 1_700_000_000, polygon)],
    }
