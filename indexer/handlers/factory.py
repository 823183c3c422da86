"""ERC721Factory `TokenCreated`: which datatokens the chain's Ocean factory created, and for which data NFT.

This datatoken -> NFT link is what the order and price handlers find an asset by. (Whether an NFT itself comes
from the factory is checked by the metadata handler, on chain, at the event's block.)
"""

from __future__ import annotations

from typing import Any

from aquarius.store.base import Collection
from indexer.asset_records import datatoken_key
from indexer.handler import Handler, HandlerEnv, LogLike, registers
from indexer.handlers import default_registry
from indexer.unit_of_work import UnitOfWork


def _from_factory(log: LogLike, env: HandlerEnv) -> bool:
    return log.address.lower() == str(env.get("contracts")["ERC721Factory"]).lower()


@registers(default_registry)
class TokenCreated(Handler):
    event = "TokenCreated"

    async def apply(self, log: LogLike, prepared: Any, uow: UnitOfWork, env: HandlerEnv) -> None:
        if not _from_factory(log, env):
            return
        token = log.args["newTokenAddress"]
        uow.put(
            Collection.META,
            datatoken_key(log.chain_id, token),
            {
                "chain_id": log.chain_id,
                "datatoken": token,
                "nft": log.args["creator"],
                "name": log.args["name"],
                "symbol": log.args["symbol"],
            },
        )
