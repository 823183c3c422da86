"""Data NFT events after publication: metadata state changes, ownership transfers, token URI updates."""

from __future__ import annotations

from typing import Any

from aquarius.store.base import Collection
from indexer.asset_records import (
    SOFT_DELETED_STATES,
    append_history,
    ddo_key,
    did_of_nft,
    iso_time,
    soft_deleted_view,
)
from indexer.handler import Handler, HandlerEnv, LogLike, registers
from indexer.handlers import default_registry
from indexer.handlers.onchain_data import load_onchain_data
from indexer.unit_of_work import UnitOfWork


@registers(default_registry)
class MetadataState(Handler):
    """0 active, 1 end-of-life, 2 deprecated, 3 revoked, 4 ordering disabled, 5 unlisted. 2 and 3 hide the DDO
    (soft delete); a later 0 or 1 restores it from the last valid DDO, without decrypting again."""

    event = "MetadataState"

    def reads(self, log: LogLike, prepared: Any) -> list[tuple[Collection, str]]:
        did = did_of_nft(log.address, log.chain_id)
        return [(Collection.ASSETS, did), (Collection.META, ddo_key(did))]

    async def apply(self, log: LogLike, prepared: Any, uow: UnitOfWork, env: HandlerEnv) -> None:
        did = did_of_nft(log.address, log.chain_id)
        asset = await uow.get(Collection.ASSETS, did)
        if asset is None:
            return  # nothing published yet: the metadata handler reads the state on chain when it comes
        new_state = int(log.args["state"])
        old_state = int(asset.get("nft", {}).get("state", 0))
        asset.setdefault("nft", {})["state"] = new_state
        if new_state in SOFT_DELETED_STATES:
            asset = soft_deleted_view(asset)
        elif old_state in SOFT_DELETED_STATES:
            last_valid = await uow.get(Collection.META, ddo_key(did))
            if last_valid is not None:
                asset = {**last_valid["ddo"], **asset, "purgatory": last_valid.get("purgatory", {"state": False})}
                onchain = await load_onchain_data(uow, did)
                if onchain:
                    asset["onchainData"] = onchain
        uow.put(Collection.ASSETS, did, asset)
        append_history(
            uow,
            did,
            log,
            "state",
            {
                "from": old_state,
                "to": new_state,
                "actor": log.args["updatedBy"],
                "datetime": iso_time(int(log.args["timestamp"])),
            },
        )


class _NftField(Handler):
    """An event that sets one field of the asset's `nft` object. Without a stored asset there is nothing to change:
    the metadata handler reads the NFT's current facts on chain when the metadata comes."""

    field: str
    history_kind: str

    def reads(self, log: LogLike, prepared: Any) -> list[tuple[Collection, str]]:
        return [(Collection.ASSETS, did_of_nft(log.address, log.chain_id))]

    def value(self, log: LogLike) -> Any:
        raise NotImplementedError

    def history(self, log: LogLike) -> dict[str, Any]:
        raise NotImplementedError

    async def apply(self, log: LogLike, prepared: Any, uow: UnitOfWork, env: HandlerEnv) -> None:
        did = did_of_nft(log.address, log.chain_id)
        asset = await uow.get(Collection.ASSETS, did)
        if asset is None:
            return
        asset.setdefault("nft", {})[self.field] = self.value(log)
        uow.put(Collection.ASSETS, did, asset)
        append_history(uow, did, log, self.history_kind, self.history(log))


@registers(default_registry)
class Transfer(_NftField):
    """ERC721 Transfer of a data NFT: the new owner."""

    event = "Transfer"
    field = "owner"
    history_kind = "transfer"

    def value(self, log: LogLike) -> Any:
        return log.args["to"]

    def history(self, log: LogLike) -> dict[str, Any]:
        return {"from": log.args["from"], "to": log.args["to"]}


@registers(default_registry)
class TokenURIUpdate(_NftField):
    event = "TokenURIUpdate"
    field = "tokenURI"
    history_kind = "tokenURI"

    def value(self, log: LogLike) -> Any:
        return log.args["tokenURI"]

    def history(self, log: LogLike) -> dict[str, Any]:
        return {"tokenURI": log.args["tokenURI"], "actor": log.args["updatedBy"]}
