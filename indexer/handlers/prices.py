"""Prices from the chain itself: FixedRateExchange and Dispenser events of the chain's Ocean contracts.

`stats.prices` lists every active exchange and dispenser of the asset's datatokens; `stats.price` keeps
Aquarius' shape: the first active exchange `{value, tokenAddress, tokenSymbol}`, else `{"value": 0.0}` when a
dispenser is active, else `{}`.
"""

from __future__ import annotations

from typing import Any

from eth_abi import decode as abi_decode

from aquarius.store.base import Collection, Doc
from indexer.asset_records import datatoken_key, did_of_nft, load_stats, save_stats
from indexer.handler import Handler, HandlerEnv, LogLike, RetryableError, registers
from indexer.handlers import default_registry
from indexer.unit_of_work import UnitOfWork

SYMBOL_SELECTOR = "0x95d89b41"
RATE_SCALE = 10**18


def _emitted_by(log: LogLike, env: HandlerEnv, contract: str) -> bool:
    address = env.get("contracts").get(contract)
    return isinstance(address, str) and log.address.lower() == address.lower()


def exchange_key(chain_id: int, exchange_id: str) -> str:
    return f"exchange:{chain_id}:{exchange_id.lower()}"


def dispenser_key(chain_id: int, datatoken: str) -> str:
    return f"dispenser:{chain_id}:{datatoken.lower()}"


def price_summary(prices: list[Doc]) -> Doc:
    active = [p for p in prices if p.get("active")]
    for entry in active:
        if entry["type"] == "fixedrate":
            return {"value": entry["value"], "tokenAddress": entry["tokenAddress"], "tokenSymbol": entry["tokenSymbol"]}
    if active:
        return {"value": 0.0}
    return {}


async def _publish(uow: UnitOfWork, chain_id: int, datatoken: str, key: str, entry: Doc) -> None:
    """Store one price source and refresh the stats of the asset its datatoken belongs to."""
    uow.put(Collection.META, key, entry)
    token = await uow.get(Collection.META, datatoken_key(chain_id, datatoken))
    if token is None:
        return
    did = did_of_nft(token["nft"], chain_id)
    stats = await load_stats(uow, did)
    sources = [p for p in stats.get("all_prices", []) if p["key"] != key] + [{**entry, "key": key}]
    sources.sort(key=lambda p: (p["block"], p["log_index"]))
    stats["all_prices"] = sources
    stats["prices"] = [{k: v for k, v in p.items() if k != "key"} for p in sources if p.get("active")]
    stats["price"] = price_summary(sources)
    await save_stats(uow, did, stats)


async def _token_symbol(env: HandlerEnv, token: str, block: int) -> str:
    try:
        raw = await env.get("rpc").call(token, SYMBOL_SELECTOR, block)
        return str(abi_decode(["string"], raw)[0])
    except Exception as err:
        raise RetryableError(f"cannot read symbol() of {token}: {err}") from err


@registers(default_registry)
class ExchangeCreated(Handler):
    event = "ExchangeCreated"

    async def prepare(self, log: LogLike, env: HandlerEnv) -> Any:
        if not _emitted_by(log, env, "FixedPrice"):
            return None
        return await _token_symbol(env, log.args["baseToken"], log.block_number)

    async def apply(self, log: LogLike, prepared: Any, uow: UnitOfWork, env: HandlerEnv) -> None:
        if prepared is None:
            return
        args = log.args
        entry = {
            "type": "fixedrate",
            "exchangeId": args["exchangeId"],
            "datatoken": args["datatoken"],
            "tokenAddress": args["baseToken"],
            "tokenSymbol": prepared,
            "value": int(args["fixedRate"]) / RATE_SCALE,
            "active": True,
            "block": log.block_number,
            "log_index": log.log_index,
        }
        await _publish(uow, log.chain_id, args["datatoken"], exchange_key(log.chain_id, args["exchangeId"]), entry)


class _ExchangeChange(Handler):
    async def apply(self, log: LogLike, prepared: Any, uow: UnitOfWork, env: HandlerEnv) -> None:
        if not _emitted_by(log, env, "FixedPrice"):
            return
        key = exchange_key(log.chain_id, log.args["exchangeId"])
        entry = await uow.get(Collection.META, key)
        if entry is None:
            return  # created before the indexed range
        self.change(entry, log)
        await _publish(uow, log.chain_id, entry["datatoken"], key, entry)

    def change(self, entry: Doc, log: LogLike) -> None:
        raise NotImplementedError


@registers(default_registry)
class ExchangeRateChanged(_ExchangeChange):
    event = "ExchangeRateChanged"

    def change(self, entry: Doc, log: LogLike) -> None:
        entry["value"] = int(log.args["newRate"]) / RATE_SCALE


@registers(default_registry)
class ExchangeActivated(_ExchangeChange):
    event = "ExchangeActivated"

    def change(self, entry: Doc, log: LogLike) -> None:
        entry["active"] = True


@registers(default_registry)
class ExchangeDeactivated(_ExchangeChange):
    event = "ExchangeDeactivated"

    def change(self, entry: Doc, log: LogLike) -> None:
        entry["active"] = False


class _DispenserEvent(Handler):
    active: bool

    async def apply(self, log: LogLike, prepared: Any, uow: UnitOfWork, env: HandlerEnv) -> None:
        if not _emitted_by(log, env, "Dispenser"):
            return
        datatoken = log.args["datatokenAddress"]
        key = dispenser_key(log.chain_id, datatoken)
        entry = await uow.get(Collection.META, key) or {
            "type": "dispenser",
            "datatoken": datatoken,
            "block": log.block_number,
            "log_index": log.log_index,
        }
        entry["active"] = self.active
        await _publish(uow, log.chain_id, datatoken, key, entry)


@registers(default_registry)
class DispenserCreated(_DispenserEvent):
    event = "DispenserCreated"
    active = True


@registers(default_registry)
class DispenserActivated(_DispenserEvent):
    event = "DispenserActivated"
    active = True


@registers(default_registry)
class DispenserDeactivated(_DispenserEvent):
    event = "DispenserDeactivated"
    active = False
