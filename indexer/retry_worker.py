"""Works off a chain's retry queue: events whose handler failed for a passing reason, and transactions queued by
`/assets/triggerCaching`. Each due entry's log is read again from its receipt (never from memory), its handler
runs again, and its effects are written directly; the entry is then removed, re-scheduled, or parked as dead."""

from __future__ import annotations

import logging
import time
from typing import Any

from aquarius.store.base import Collection, Doc, Store, Write
from indexer.events import EventSet, LogDecodeError
from indexer.handler import HandlerEnv, HandlerRegistry, LogLike, RejectedEvent
from indexer.retry_queue import RetryPolicy, retry_record
from indexer.rpc import RpcClient
from indexer.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

DUE_PAGE = 50


async def due_entries(store: Store, chain_id: int, now: float) -> list[tuple[str, Doc]]:
    body = {
        "query": {
            "bool": {
                "filter": [
                    {"term": {"chain_id": chain_id}},
                    {"term": {"status.keyword": "pending"}},
                    {"range": {"next_retry": {"lte": now}}},
                ]
            }
        },
        "sort": [{"next_retry": {"order": "asc", "unmapped_type": "double"}}],  # an empty queue has no mapping
        "size": DUE_PAGE,
    }
    found = await store.search(Collection.RETRIES, body)
    return [(hit["_id"], hit["_source"]) for hit in found["hits"]["hits"]]


class RetryWorker:
    def __init__(
        self,
        *,
        chain_id: int,
        store: Store,
        rpc: RpcClient,
        events: EventSet,
        registry: HandlerRegistry,
        env: HandlerEnv,
        policy: RetryPolicy,
    ) -> None:
        self.chain_id = chain_id
        self.store = store
        self.rpc = rpc
        self.events = events
        self.registry = registry
        self.env = env
        self.policy = policy

    async def run_due(self) -> int:
        """Process every entry due now; returns how many were processed."""
        await self.store.refresh()
        entries = await due_entries(self.store, self.chain_id, time.time())
        for entry_id, entry in entries:
            await self._process(entry_id, entry)
        return len(entries)

    async def _process(self, entry_id: str, entry: Doc) -> None:
        try:
            receipt = await self.rpc.get_receipt(entry["tx_id"])
        except Exception as err:
            await self._failed(entry_id, entry, None, err)
            return
        if entry.get("block_hash") and receipt.block_hash != entry["block_hash"]:
            await self.store.write([Write(Collection.RETRIES, entry_id, None)])  # its block was reorganised away
            return
        wanted = entry.get("log_index")
        logs = []
        for raw in receipt.logs:
            if (wanted is None or raw.log_index == wanted) and self.events.handles(raw):
                try:
                    logs.append(self.events.decode(raw, self.chain_id))
                except LogDecodeError:
                    continue
        env = self.env.for_batch(logs)
        for decoded in logs:
            error = await self._run(decoded, env)
            if error is not None:
                await self._failed(entry_id, entry, decoded, error)
                return
        await self.store.write([Write(Collection.RETRIES, entry_id, None)])

    async def _run(self, entry: LogLike, env: HandlerEnv) -> BaseException | None:
        handler = self.registry.get(entry.event)
        if handler is None:
            return None
        uow = UnitOfWork(self.store, self.chain_id)
        uow.begin_block(entry.block_number, entry.block_hash)
        try:
            prepared = await handler.prepare(entry, env)
            await handler.apply(entry, prepared, uow, env)
        except RejectedEvent as rejected:
            uow = UnitOfWork(self.store, self.chain_id)
            uow.begin_block(entry.block_number, entry.block_hash)
            await handler.on_rejected(entry, rejected, uow, env)
        except Exception as err:
            return err
        await self.store.write([w for block in uow.blocks for w in block.writes])
        return None

    async def _failed(self, entry_id: str, entry: Doc, decoded: Any, error: BaseException) -> None:
        record = retry_record(decoded or _EntryLog(entry), error, self.policy, entry, time.time())
        record.update({k: entry[k] for k in ("type", "log_index") if k in entry})
        if record["status"] == "dead":
            log.warning("chain %s: retry entry %s parked as dead: %s", self.chain_id, entry_id, record["error"])
        await self.store.write([Write(Collection.RETRIES, entry_id, {**entry, **record})])


class _EntryLog:
    """The log fields a retry record needs, taken from the queue entry when the log itself could not be read."""

    def __init__(self, entry: Doc) -> None:
        self.chain_id = int(entry["chain_id"])
        self.tx_hash = str(entry["tx_id"])
        self.log_index = int(entry.get("log_index") or 0)
        self.block_number = int(entry.get("block") or 0)
        self.block_hash = str(entry.get("block_hash") or "")
        self.event = str(entry.get("event") or "tx")
        self.address = str(entry.get("nft_address") or "")
