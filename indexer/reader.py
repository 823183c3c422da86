"""A chain as the sync engine sees it: head, block hashes, and decoded logs of the handled events in ranges."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence

from indexer.events import EventSet, LogDecodeError, handled_events
from indexer.rpc import RpcClient
from indexer.rpc_errors import RangeTooLarge
from indexer.sync import LogBatch

log = logging.getLogger(__name__)


class ChainMoved(RuntimeError):
    """The chain reorganised while a range was read; the engine reads it again."""


class RpcChainReader:
    """Reads one chain through an `RpcClient`. `batches` covers every block of the asked range exactly once,
    with ranges that grow while the node answers and halve when it refuses a range as too large."""

    def __init__(
        self,
        rpc: RpcClient,
        chain_id: int,
        *,
        events: EventSet | None = None,
        initial_range: int = 1000,
        max_range: int = 10_000,
    ) -> None:
        self.rpc = rpc
        self.chain_id = chain_id
        self.events = events or handled_events()
        self.range = initial_range
        self.max_range = max_range

    async def head(self) -> int:
        return await self.rpc.block_number()

    async def block_hashes(self, numbers: Sequence[int]) -> dict[int, str]:
        if not numbers:
            return {}
        return {b.number: b.hash for b in await self.rpc.get_blocks(list(numbers))}

    async def batches(self, start: int, end: int) -> AsyncIterator[LogBatch]:
        first = start
        while first <= end:
            last = min(first + self.range - 1, end)
            try:
                raw = await self.rpc.get_logs(first, last, topics=self.events.topics())
            except RangeTooLarge:
                if self.range == 1:
                    raise
                self.range = max(1, self.range // 2)
                continue
            # One batched read of the hashes of `last` and of every block with logs: logs of a block that is no
            # longer canonical (a reorg while we read) make the range be read again instead of applied.
            hashes = await self.block_hashes(sorted({e.block_number for e in raw} | {last}))
            stale = [e for e in raw if hashes.get(e.block_number) != e.block_hash]
            if stale:
                raise ChainMoved(f"block {stale[0].block_number} changed while reading {first}..{last}")
            last_hash = hashes[last]
            decoded = []
            for entry in raw:
                if not self.events.handles(entry):
                    continue  # same topic0, other layout (an ERC20 Transfer)
                try:
                    decoded.append(self.events.decode(entry, self.chain_id))
                except LogDecodeError as err:
                    log.warning("chain %s: undecodable log skipped: %s", self.chain_id, err)
            yield LogBatch(first, last, last_hash, decoded)
            first = last + 1
            self.range = min(self.range * 2, self.max_range)
