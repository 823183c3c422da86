"""Per-chain sync: from the cursor to the (confirmed) head in adaptive ranges, then following the head; every
range is applied to the store atomically with the cursor; a reorg is undone back to the common ancestor.

The engine is the only writer of a chain's documents. It never skips a range: an RPC failure propagates to
`run`, which backs off and resumes from the durable cursor.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from aquarius.store.base import BlockRef, Store
from indexer.handler import Handler, HandlerEnv, HandlerRegistry, LogLike, Prepared, RejectedEvent
from indexer.lease import LeaseExpired
from indexer.retry_queue import RetryPolicy, enqueue_failure
from indexer.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from indexer.retry_worker import RetryWorker

log = logging.getLogger(__name__)


@dataclass
class LogBatch:
    """Logs of blocks `first..last` (inclusive), sorted by (block, logIndex), with the hash of `last`."""

    first: int
    last: int
    last_hash: str
    logs: Sequence[LogLike]


class ChainReader(Protocol):
    """What the engine needs from a chain."""

    async def head(self) -> int: ...

    async def block_hashes(self, numbers: Sequence[int]) -> dict[int, str]: ...

    def batches(self, start: int, end: int) -> AsyncIterator[LogBatch]: ...


# logs per part of a batch: large enough for few, large store writes, small enough to overlap preparing and writing
PART_LOGS = 1000


def split_batch(batch: LogBatch, size: int) -> list[LogBatch]:
    """`batch` as consecutive parts of at least `size` logs (the last may hold fewer), each ending at the block of
    its last log, so that no block is split; the last part ends where `batch` does."""
    logs = batch.logs
    parts: list[LogBatch] = []
    first, start = batch.first, 0
    cut = size
    while cut < len(logs):
        while cut < len(logs) and logs[cut].block_number == logs[cut - 1].block_number:
            cut += 1
        if cut == len(logs):
            break
        end = logs[cut - 1]
        parts.append(LogBatch(first, end.block_number, end.block_hash, logs[start:cut]))
        first, start = end.block_number + 1, cut
        cut = start + size
    parts.append(LogBatch(first, batch.last, batch.last_hash, logs[start:]))
    return parts


class ReorgTooDeep(RuntimeError):
    pass


@dataclass
class SyncStatus:
    chain_id: int
    head: int = 0
    last_block: int = -1
    events: int = 0
    blocks: int = 0
    reorgs: int = 0
    last_error: str | None = None

    @property
    def lag(self) -> int:
        return max(0, self.head - self.last_block)


class ChainSync:
    def __init__(
        self,
        *,
        chain_id: int,
        reader: ChainReader,
        store: Store,
        registry: HandlerRegistry,
        env: HandlerEnv,
        start_block: int,
        confirmations: int = 0,
        poll_interval: float = 1.0,
        reorg_window: int = 128,
        retry_policy: RetryPolicy | None = None,
        retry_worker: RetryWorker | None = None,
        new_head: asyncio.Event | None = None,
        part_logs: int = PART_LOGS,
    ) -> None:
        self.chain_id = chain_id
        self.reader = reader
        self.store = store
        self.registry = registry
        self.env = env
        self.start_block = start_block
        self.confirmations = confirmations
        self.poll_interval = poll_interval
        self.reorg_window = max(reorg_window, confirmations + 64)
        self.retry_policy = retry_policy or RetryPolicy()
        self.retry_worker = retry_worker
        self.new_head = new_head
        self.part_logs = part_logs
        self.status = SyncStatus(chain_id)
        self.cursor: BlockRef | None = None
        self.caught_up = asyncio.Event()
        self._pruned_below = -1
        self.applied = asyncio.Condition()
        # called before every write; raises LeaseExpired when this process may no longer write the chain
        self.write_guard: Callable[[], None] = _unguarded

    async def run(self, stop: asyncio.Event) -> None:
        """Sync until `stop` is set; failures back off and resume from the durable cursor."""
        backoff = 0.5
        while not stop.is_set():
            try:
                await self._loop(stop)
                return
            except (ReorgTooDeep, LeaseExpired, asyncio.CancelledError):
                raise
            except Exception as err:
                self.status.last_error = f"{type(err).__name__}: {err}"
                log.warning("chain %s: sync failed, retrying in %.1fs: %s", self.chain_id, backoff, err)
                await _wait(stop, backoff * (0.5 + random.random()))
                backoff = min(backoff * 2, 30.0)

    async def _loop(self, stop: asyncio.Event) -> None:
        self.cursor = await self.store.cursor(self.chain_id)
        await self._prune()  # a crash may have come between a batch and its pruning
        while not stop.is_set():
            if self.new_head is not None:
                self.new_head.clear()  # a head announced while this pass runs wakes the wait below at once
            head = await self.reader.head() - self.confirmations
            self.status.head = head + self.confirmations
            await self.check_reorg()
            next_block = self.cursor.number + 1 if self.cursor else self.start_block
            if head >= next_block:
                await self.sync_range(next_block, head, stop)
                self.status.last_error = None
                continue
            self.caught_up.set()
            await self._work_retries()
            await _wait(stop, self.poll_interval, self.new_head)

    async def _work_retries(self) -> None:
        if self.retry_worker is None:
            return
        self.write_guard()
        try:
            await self.retry_worker.run_due()
        except Exception as err:  # the queue is retried on the next poll; syncing must go on
            log.warning("chain %s: retry queue pass failed: %s", self.chain_id, err)

    async def check_reorg(self) -> None:
        """If the block under the cursor is no longer canonical, roll back to the newest remembered block that
        still is, so the canonical blocks after it get applied."""
        if self.cursor is None:
            return
        canonical = await self.reader.block_hashes([self.cursor.number])
        if canonical.get(self.cursor.number) == self.cursor.hash:
            return
        remembered = await self.store.recent_blocks(self.chain_id, self.reorg_window)
        hashes = await self.reader.block_hashes([b.number for b in remembered])
        for block in remembered:
            if hashes.get(block.number) == block.hash:
                log.warning("chain %s: reorg, rolling back from %s to %s", self.chain_id, self.cursor.number, block)
                self.write_guard()
                await self.store.rollback(self.chain_id, block)
                self.cursor = block
                self.status.reorgs += 1
                return
        raise ReorgTooDeep(f"chain {self.chain_id}: no remembered block within {self.reorg_window} is canonical")

    async def sync_range(self, start: int, end: int, stop: asyncio.Event | None = None) -> None:
        async for batch in self.reader.batches(start, end):
            await self.apply_batch(batch)
            if stop is not None and stop.is_set():
                return

    async def apply_batch(self, batch: LogBatch) -> None:
        """Apply `batch` in parts cut at block boundaries. Preparing reads nothing from the store, so each part is
        prepared (RPC reads, worker processes) while the part before it is applied and written."""
        env = self.env.for_batch(batch.logs)
        parts = split_batch(batch, self.part_logs)
        preparing = asyncio.ensure_future(self._prepare(parts[0].logs, env))
        try:
            for number, part in enumerate(parts):
                prepared = await preparing
                if number + 1 < len(parts):
                    preparing = asyncio.ensure_future(self._prepare(parts[number + 1].logs, env))
                await self._apply_part(part, prepared, env)
        finally:
            if not preparing.done():
                preparing.cancel()
                await asyncio.gather(preparing, return_exceptions=True)

    async def _apply_part(self, batch: LogBatch, prepared: Sequence[Prepared], env: HandlerEnv) -> None:
        """Apply the logs in order through one unit of work and write their blocks, moving the cursor to the last."""
        uow = UnitOfWork(self.store, self.chain_id)
        await uow.prefetch(batch.first, self._reads(batch.logs, prepared))
        current: int | None = None
        for entry, (result, error) in zip(batch.logs, prepared, strict=True):
            if entry.block_number != current:
                current = entry.block_number
                uow.begin_block(current, entry.block_hash)
            await self._apply(entry, result, error, uow, env)
        if current != batch.last:
            uow.begin_block(batch.last, batch.last_hash)
        self.write_guard()
        await self.store.apply_blocks(self.chain_id, uow.blocks)
        self.cursor = BlockRef(batch.last, batch.last_hash)
        self.status.last_block = batch.last
        self.status.events += len(batch.logs)
        self.status.blocks += batch.last - batch.first + 1
        await self._prune()
        async with self.applied:
            self.applied.notify_all()

    async def _prune(self) -> None:
        """Forget undo data older than the reorg window, at whole windows: what remains is then a function of
        the cursor alone, however the history was batched, interrupted or followed live."""
        if self.cursor is None:
            return
        below = (self.cursor.number // self.reorg_window - 1) * self.reorg_window
        if below > self._pruned_below:
            await self.store.prune(self.chain_id, below)
            self._pruned_below = below

    def _reads(self, logs: Sequence[LogLike], prepared: Sequence[Prepared]) -> list[Any]:
        keys = []
        for entry, (result, error) in zip(logs, prepared, strict=True):
            handler = self.registry.get(entry.event)
            if handler is not None and error is None:
                keys += handler.reads(entry, result)
        return keys

    async def _prepare(self, logs: Sequence[LogLike], env: HandlerEnv) -> list[Prepared]:
        """Every log's prepared result, each handler given all its logs of the batch at once."""
        by_handler: dict[Handler, list[int]] = {}
        for position, entry in enumerate(logs):
            handler = self.registry.get(entry.event)
            if handler is not None:
                by_handler.setdefault(handler, []).append(position)
        outcomes = await asyncio.gather(
            *(handler.prepare_many([logs[p] for p in positions], env) for handler, positions in by_handler.items())
        )
        prepared: list[Prepared] = [(None, None)] * len(logs)
        for positions, results in zip(by_handler.values(), outcomes, strict=True):
            for position, result in zip(positions, results, strict=True):
                prepared[position] = result
        return prepared

    async def _apply(
        self, entry: LogLike, prepared: Any, error: BaseException | None, uow: UnitOfWork, env: HandlerEnv
    ) -> None:
        handler = self.registry.get(entry.event)
        if handler is None:
            return
        savepoint = uow.savepoint()
        try:
            if error is not None:
                raise error
            await handler.apply(entry, prepared, uow, env)
        except RejectedEvent as rejected:
            uow.rollback_to(savepoint)
            await handler.on_rejected(entry, rejected, uow, env)
        except Exception as err:
            uow.rollback_to(savepoint)
            log.info(
                "chain %s: %s at %s/%s failed, queued for retry: %s",
                self.chain_id,
                entry.event,
                entry.tx_hash,
                entry.log_index,
                err,
            )
            await enqueue_failure(uow, entry, err, self.retry_policy)
            await handler.on_retry_queued(entry, err, uow, env)

    async def wait_for_block(self, number: int) -> None:
        """Wait until the cursor reaches `number` (callers bound it with `asyncio.timeout`)."""
        async with self.applied:
            await self.applied.wait_for(lambda: self.cursor is not None and self.cursor.number >= number)


def _unguarded() -> None:
    """Without a lease (tests, tools driving one sync directly) every write may start."""


async def _wait(stop: asyncio.Event, seconds: float, wake: asyncio.Event | None = None) -> None:
    """Until `stop` or `wake` is set, or `seconds` have passed."""
    waiters = [asyncio.ensure_future(event.wait()) for event in (stop, wake) if event is not None]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
