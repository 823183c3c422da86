"""Catch-up progress per chain: blocks/s, events/s, lag and ETA, logged periodically (structured fields)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

from indexer.sync import ChainSync

log = logging.getLogger("aquarius.progress")


async def report_progress(syncs: Sequence[ChainSync], stop: asyncio.Event, every: float = 10.0) -> None:
    last = {s.chain_id: (time.monotonic(), s.status.blocks, s.status.events) for s in syncs}
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), every)
            return
        except TimeoutError:
            pass
        for sync in syncs:
            now, status = time.monotonic(), sync.status
            then, blocks, events = last[sync.chain_id]
            elapsed = max(now - then, 1e-9)
            blocks_per_s, events_per_s = (status.blocks - blocks) / elapsed, (status.events - events) / elapsed
            last[sync.chain_id] = (now, status.blocks, status.events)
            eta = status.lag / blocks_per_s if blocks_per_s > 0 else None
            log.info(
                "chain %s: block %s of %s, %.0f blocks/s, %.1f events/s, lag %s%s",
                sync.chain_id,
                status.last_block,
                status.head,
                blocks_per_s,
                events_per_s,
                status.lag,
                f", ETA {eta:.0f}s" if eta is not None and status.lag > 0 else "",
                extra={
                    "chain_id": sync.chain_id,
                    "last_block": status.last_block,
                    "head": status.head,
                    "blocks_per_s": round(blocks_per_s, 1),
                    "events_per_s": round(events_per_s, 1),
                    "lag": status.lag,
                    "eta_s": None if eta is None else round(eta),
                },
            )
