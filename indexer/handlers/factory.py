"""ERC721Factory events: which NFTs and datatokens the chain's Ocean factory created.

Recording them while indexing makes the factory check exact and free (no RPC call per asset), and gives the
order and price handlers the datatoken -> NFT link.
"""

from __future__ import annotations

from typing import Any

from aquarius.store.base import Collection
from indexer.asset_records import datatoken_key, nft_key
from indexer.handler import Handler, HandlerEnv, LogLike, registers
from indexer.handlers import default_registry
from indexer.unit_of_work import UnitOfWork


def _from_factory(log: LogLike, env: HandlerEnv) -> bool:
    return log.address.lower() == str(env.get("contracts")["ERC721Factory"]).lower()


@registers(default_registry)
class NFTCreated(Handler):
    event = "NFTCreated"

    async def apply(self, log: LogLike, prepared: Any, uow: UnitOfWork, env: HandlerEnv) -> None:
        if not _from_factory(log, env):
            return
        nft = log.args["newTokenAddress"]
        uow.put(
            Collection.META,
            nft_key(log.chain_id, nft),
            {"chain_id": log.chain_id, "nft": nft, "creator": log.args["creator"], "block": log.block_number},
        )


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
