"""History: the logs of a block span, fetched in adaptive ranges with bounded read-ahead, yielded in chain order."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass

from indexer.rpc import RpcClient, Topics
from indexer.rpc_errors import RpcError, RpcUnavailable
from indexer.rpc_types import RawLog

__all__ = ["FetcherSettings", "LogBatch", "LogFetcher"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class FetcherSettings:
    """How `LogFetcher` sizes and schedules its `eth_getLogs` ranges.

    :param initial_range: blocks in the first ranges
    :param max_range: the largest range it grows to
    :param read_ahead: ranges fetched at once ahead of the consumer (also bounds the batches held in memory)
    """

    initial_range: int = 1000
    max_range: int = 10_000
    read_ahead: int = 3

    def __post_init__(self) -> None:
        if not 1 <= self.initial_range <= self.max_range or self.read_ahead < 1:
            raise ValueError(f"invalid fetcher settings: {self}")


@dataclass(frozen=True)
class LogBatch:
    """The logs of blocks `from_block..to_block` (both included), in `(block, logIndex)` order.

    `block_hashes` holds the hash of every block of the range that has logs, and of `to_block`, so that a cursor
    can advance to `(to_block, block_hashes[to_block])`.
    """

    from_block: int
    to_block: int
    logs: tuple[RawLog, ...]
    block_hashes: Mapping[int, str]

    @property
    def last_hash(self) -> str:
        return self.block_hashes[self.to_block]


class LogFetcher:
    """Fetches the logs matching `topics` (and `addresses`, when given) of blocks `start..target` of one chain.

    Iterating yields `LogBatch`es whose ranges are consecutive, start at `start`, end at `target` and never
    overlap: every block is covered exactly once, and logs come in strict `(block, logIndex)` order.

    Ranges start at `initial_range` blocks and double after each success up to `max_range`. They halve (down to
    one block) when the node refuses a range (`RangeTooLarge`), answers another error for it, or keeps timing out
    on it. Up to `read_ahead` ranges are fetched concurrently; batches are still yielded in order.

    A failure that splitting cannot cure (an error for a single block, or `RpcUnavailable` for another reason than
    timeouts: the client has already retried) is raised when the consumer reaches that range, after every batch
    before it; nothing is ever skipped. Closing the iteration early (`async with aclosing(fetcher.batches())`)
    cancels the fetches in flight.

    Progress: `blocks_done`, `logs_done`, `blocks_per_second`, `logs_per_second`, and `range_size` (the current
    range length).
    """

    def __init__(
        self,
        rpc: RpcClient,
        *,
        topics: Topics,
        start: int,
        target: int,
        addresses: Sequence[str] | None = None,
        settings: FetcherSettings | None = None,
    ) -> None:
        if start > target + 1:
            raise ValueError(f"start block {start} is past target {target} + 1")
        self.settings = settings or FetcherSettings()
        self.start = start
        self.target = target
        self.range_size = self.settings.initial_range
        self.blocks_done = 0
        self.logs_done = 0
        self._rpc = rpc
        self._topics = topics
        self._addresses = addresses
        self._started: float | None = None

    @property
    def blocks_per_second(self) -> float:
        return self.blocks_done / self._elapsed()

    @property
    def logs_per_second(self) -> float:
        return self.logs_done / self._elapsed()

    def _elapsed(self) -> float:
        return max(time.monotonic() - self._started, 1e-9) if self._started is not None else 1.0

    def __aiter__(self) -> AsyncIterator[LogBatch]:
        return self.batches()

    async def batches(self) -> AsyncIterator[LogBatch]:
        """The batches, in chain order. To stop early, close the generator (`contextlib.aclosing`)."""
        self._started = time.monotonic()
        pending: deque[asyncio.Task[LogBatch]] = deque()
        next_block = self.start
        try:
            while pending or next_block <= self.target:
                while len(pending) < self.settings.read_ahead and next_block <= self.target:
                    last = min(self.target, next_block + self.range_size - 1)
                    pending.append(asyncio.create_task(self._fetch(next_block, last), name=f"getLogs {next_block}"))
                    next_block = last + 1
                batch = await pending.popleft()
                self.blocks_done += batch.to_block - batch.from_block + 1
                self.logs_done += len(batch.logs)
                yield batch
        finally:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _fetch(self, first: int, last: int) -> LogBatch:
        """All logs of `first..last`, splitting the range as often as the node needs."""
        logs: list[RawLog] = []
        hashes: dict[int, str] = {}
        position, span = first, last - first + 1
        while position <= last:
            end = min(last, position + span - 1)
            try:
                piece, header = await self._rpc.get_logs_with_header(
                    position, end, addresses=self._addresses, topics=self._topics
                )
            except (RpcError, RpcUnavailable) as err:  # RangeTooLarge included
                # NOTE: a node that times out on a range may answer a smaller one; a node that is gone will not
                if end == position or (isinstance(err, RpcUnavailable) and not err.timed_out):
                    raise
                span = (end - position + 1) // 2
                self.range_size = min(self.range_size, span)
                log.debug("getLogs %d..%d failed (%s); trying %d blocks", position, end, err, span)
                continue
            logs += piece
            hashes.update((lg.block_number, lg.block_hash) for lg in piece)
            hashes[end] = header.hash
            self.range_size = max(self.range_size, min(self.settings.max_range, 2 * (end - position + 1)))
            position, span = end + 1, self.range_size
        return LogBatch(first, last, tuple(logs), hashes)
