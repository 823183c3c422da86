"""ERC725 `DataChanged` on a data NFT (`setNewData`): the NFT's on-chain key-value data, kept on the asset under
`onchainData` (key as 0x-hex; value as text when it is valid UTF-8, else as 0x-hex)."""

from __future__ import annotations

from typing import Any

from aquarius.store.base import Collection, Doc
from indexer.asset_records import append_history, did_of_nft
from indexer.handler import Handler, HandlerEnv, LogLike, registers
from indexer.handlers import default_registry
from indexer.unit_of_work import UnitOfWork


def onchain_key(did: str) -> str:
    return f"onchain:{did}"


def readable(value_hex: str) -> str:
    raw = bytes.fromhex(value_hex.removeprefix("0x"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + raw.hex()
    return text if text.isprintable() or not text else "0x" + raw.hex()


async def load_onchain_data(uow: UnitOfWork, did: str) -> Doc:
    record = await uow.get(Collection.META, onchain_key(did))
    return (record or {}).get("data") or {}


@registers(default_registry)
class DataChanged(Handler):
    event = "DataChanged"

    def reads(self, log: LogLike, prepared: Any) -> list[tuple[Collection, str]]:
        did = did_of_nft(log.address, log.chain_id)
        return [(Collection.META, onchain_key(did)), (Collection.ASSETS, did)]

    async def apply(self, log: LogLike, prepared: Any, uow: UnitOfWork, env: HandlerEnv) -> None:
        did = did_of_nft(log.address, log.chain_id)
        data = await load_onchain_data(uow, did)
        key, value = str(log.args["key"]), readable(str(log.args["value"]))
        data[key] = value
        uow.put(Collection.META, onchain_key(did), {"did": did, "data": data})
        asset = await uow.get(Collection.ASSETS, did)
        if asset is not None and "metadata" in asset:
            asset["onchainData"] = data
            uow.put(Collection.ASSETS, did, asset)
        append_history(uow, did, log, "data", {"key": key, "value": value})
