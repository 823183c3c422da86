"""A chain as the sync engine sees it: head, block hashes, and decoded logs of the handled events in ranges."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing

from indexer.events import EventSet, LogDecodeError, handled_events
from indexer.fetcher import FetcherSettings, LogFetcher
from indexer.rpc import RpcClient
from indexer.rpc_types import RawLog
from indexer.sync import LogBatch

log = logging.getLogger(__name__)


class ChainMoved(RuntimeError):
    """The chain reorganised while a range was read; the engine reads it again."""


class RpcChainReader:
    """Reads one chain through an `RpcClient` and a `LogFetcher` (adaptive ranges, read-ahead, chain order)."""

    def __init__(
        self,
        rpc: RpcClient,
        chain_id: int,
        *,
        events: EventSet | None = None,
        fetcher_settings: FetcherSettings | None = None,
        verify_within: int = 128,
    ) -> None:
        self.rpc = rpc
        self.chain_id = chain_id
        self.events = events or handled_events()
        self.fetcher_settings = fetcher_settings or FetcherSettings()
        self.verify_within = verify_within
        self.fetcher: LogFetcher | None = None

    async def head(self) -> int:
        return await self.rpc.block_number()

    async def block_hashes(self, numbers: Sequence[int]) -> dict[int, str]:
        if not numbers:
            return {}
        return {b.number: b.hash for b in await self.rpc.get_blocks(list(numbers))}

    async def batches(self, start: int, end: int) -> AsyncIterator[LogBatch]:
        self.fetcher = LogFetcher(
            self.rpc, topics=self.events.topics(), start=start, target=end, settings=self.fetcher_settings
        )
        async with aclosing(self.fetcher.batches()) as fetched:
            async for batch in fetched:
                if end - batch.to_block < self.verify_within:
                    await self._verify(batch.logs, batch.from_block, batch.to_block)
                decoded = []
                for entry in batch.logs:
                    if not self.events.handles(entry):
                        continue  # same topic0, other layout (an ERC20 Transfer)
                    try:
                        decoded.append(self.events.decode(entry, self.chain_id))
                    except LogDecodeError as err:
                        log.warning("chain %s: undecodable log skipped: %s", self.chain_id, err)
                yield LogBatch(batch.from_block, batch.to_block, batch.last_hash, decoded)

    async def _verify(self, logs: Sequence[RawLog], first: int, last: int) -> None:
        """Near the head a reorg may land between reads: logs of a block that is no longer canonical make the
        range be read again instead of applied (deep history cannot reorganise, and skips this read)."""
        canonical = await self.block_hashes(sorted({e.block_number for e in logs}))
        for entry in logs:
            if canonical.get(entry.block_number) != entry.block_hash:
                raise ChainMoved(f"block {entry.block_number} changed while reading {first}..{last}")
