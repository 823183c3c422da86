"""Reading and writing the records that make up an asset, through a unit of work.

An asset's searchable document (Collection.ASSETS, id = DID) is derived from:
- the last valid DDO (META `ddo:<did>`), kept even while the asset is soft-deleted so that restoring needs no
  second decryption;
- the NFT facts (`nft`), the publishing event (`event`), its datatokens, and its market stats (META
  `stats:<did>`, maintained by the order and price handlers whether or not the DDO exists yet).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aquarius.did import make_did
from aquarius.store.base import Collection, Doc
from indexer.unit_of_work import UnitOfWork

SOFT_DELETED_STATES = frozenset({2, 3})


def iso_time(timestamp: int) -> str:
    """Block time as Aquarius writes it: UTC, ISO-8601, seconds, no zone suffix."""
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None).isoformat()


def did_of_nft(nft_address: str, chain_id: int) -> str:
    return make_did(nft_address, chain_id)


def datatoken_key(chain_id: int, address: str) -> str:
    return f"dt:{chain_id}:{address.lower()}"


def ddo_key(did: str) -> str:
    return f"ddo:{did}"


def stats_key(did: str) -> str:
    return f"stats:{did}"


def empty_stats() -> Doc:
    return {"orders": 0, "price": {}, "allocated": 0}


async def load_stats(uow: UnitOfWork, did: str) -> Doc:
    record = await uow.get(Collection.META, stats_key(did))
    return (record or {}).get("stats") or empty_stats()


def public_stats(stats: Doc) -> Doc:
    """The stats as clients see them (the internal list of every price source, active or not, stays out)."""
    return {k: v for k, v in stats.items() if k != "all_prices"}


async def save_stats(uow: UnitOfWork, did: str, stats: Doc) -> None:
    """Store the stats and mirror them into the asset document, if there is one."""
    uow.put(Collection.META, stats_key(did), {"did": did, "stats": stats})
    asset = await uow.get(Collection.ASSETS, did)
    if asset is not None:
        asset["stats"] = public_stats(stats)
        uow.put(Collection.ASSETS, did, asset)


def soft_deleted_view(doc: Doc) -> Doc:
    """What a deprecated or revoked asset keeps visible: no DDO, no purgatory."""
    return {k: doc[k] for k in ("event", "nft", "datatokens", "stats") if k in doc}


async def set_asset_state_record(
    uow: UnitOfWork,
    *,
    did: str,
    chain_id: int,
    nft: str,
    tx: str,
    block: int,
    valid: bool,
    error: str | None,
    code: str | None = None,
) -> None:
    """The per-DID outcome of the last metadata event, served by /state/ddo."""
    record: dict[str, Any] = {
        "did": did,
        "chain_id": chain_id,
        "nft": nft,
        "tx_id": tx,
        "block": block,
        "valid": valid,
        "error": error,
    }
    if code is not None:
        record["code"] = code
    uow.put(Collection.STATES, did, record)


def append_history(uow: UnitOfWork, did: str, log: Any, kind: str, details: Doc) -> None:
    """One provenance entry per event that changed the asset, in chain order; a reorg removes it with its block."""
    entry_id = f"{did}:{log.chain_id}:{log.block_number:012d}:{log.log_index:06d}"
    uow.put(
        Collection.HISTORY,
        entry_id,
        {
            "did": did,
            "chain_id": log.chain_id,
            "kind": kind,
            "tx": log.tx_hash,
            "block": log.block_number,
            "log_index": log.log_index,
            **details,
        },
    )
