"""Datatoken orders: each order is a record of its own, and the asset's `stats.orders` is their exact count,
kept right across re-processing and reorgs because both change in the same block's effects."""

from __future__ import annotations

from typing import Any

from aquarius.store.base import Collection
from indexer.asset_records import append_history, datatoken_key, did_of_nft, load_stats, save_stats
from indexer.handler import Handler, HandlerEnv, LogLike, registers
from indexer.handlers import default_registry
from indexer.unit_of_work import UnitOfWork


def order_id(log: LogLike) -> str:
    return f"{log.chain_id}:{log.tx_hash.lower()}:{log.log_index}"


async def _asset_of_datatoken(uow: UnitOfWork, log: LogLike) -> tuple[str, str] | None:
    token = await uow.get(Collection.META, datatoken_key(log.chain_id, log.address))
    if token is None:
        return None  # not a datatoken of the Ocean factory
    return token["nft"], did_of_nft(token["nft"], log.chain_id)


async def _count_order(uow: UnitOfWork, log: LogLike, record: dict[str, Any]) -> None:
    found = await _asset_of_datatoken(uow, log)
    if found is None:
        return
    nft, did = found
    if await uow.get(Collection.ORDERS, order_id(log)) is not None:
        return  # this very order was counted already (a re-indexed range, a retried event)
    uow.put(Collection.ORDERS, order_id(log), {**record, "did": did, "nft": nft})
    stats = await load_stats(uow, did)
    stats["orders"] = int(stats.get("orders", 0)) + 1
    await save_stats(uow, did, stats)
    append_history(uow, did, log, "order", {"type": record["type"], "payer": record.get("payer")})


def _base_record(log: LogLike, kind: str) -> dict[str, Any]:
    return {
        "type": kind,
        "chain_id": log.chain_id,
        "datatoken": log.address,
        "tx": log.tx_hash,
        "log_index": log.log_index,
        "block": log.block_number,
    }


class _OrderHandler(Handler):
    def reads(self, log: LogLike, prepared: Any) -> list[tuple[Collection, str]]:
        return [(Collection.META, datatoken_key(log.chain_id, log.address)), (Collection.ORDERS, order_id(log))]


@registers(default_registry)
class OrderStarted(_OrderHandler):
    event = "OrderStarted"

    async def apply(self, log: LogLike, prepared: Any, uow: UnitOfWork, env: HandlerEnv) -> None:
        args = log.args
        record = _base_record(log, "order") | {
            "consumer": args["consumer"],
            "payer": args["payer"],
            "amount": str(args["amount"]),
            "service_index": int(args["serviceIndex"]),
            "timestamp": int(args["timestamp"]),
            "publish_market": args["publishMarketAddress"],
        }
        await _count_order(uow, log, record)


@registers(default_registry)
class OrderReused(_OrderHandler):
    event = "OrderReused"

    async def apply(self, log: LogLike, prepared: Any, uow: UnitOfWork, env: HandlerEnv) -> None:
        args = log.args
        record = _base_record(log, "reuse") | {
            "reuses": args["orderTxId"],
            "payer": args["caller"],
            "timestamp": int(args["timestamp"]),
        }
        await _count_order(uow, log, record)
