"""The holder's side of a chain lease, in process over the embedded store: no write starts once less than the
margin is left before the local deadline, and a holder whose lease was taken over stops."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from indexer.lease import ChainLease, LeaseExpired
from tests.store.backends import sqlite_store

TTL = 1.0


async def test_writes_stop_before_the_deadline_and_a_taken_lease_ends_the_holder(tmp_path: Path) -> None:
    async with sqlite_store(tmp_path / "fence.db") as store:
        holder = ChainLease(store, 1, "a", TTL, lambda: {"head": 5})
        successor = ChainLease(store, 1, "b", TTL, dict)
        stop = asyncio.Event()
        assert await holder.acquire(stop)
        holder.check()  # just acquired: a write may start
        lease = await store.read_lease(holder.name)
        assert lease is not None and lease.note == {"head": 5}

        # not renewed: writes are refused from `deadline - margin` on, before the stored expiry
        async with asyncio.timeout(TTL):
            while True:
                try:
                    holder.check()
                except LeaseExpired:
                    break
                await asyncio.sleep(0.01)
        refused_at = time.time()
        assert refused_at < lease.expires - holder.margin / 2
        assert holder.deadline - time.monotonic() < holder.margin

        assert await successor.acquire(stop)  # waits for the expiry, then takes it
        taken = await store.read_lease(holder.name)
        assert taken is not None and taken.holder == "b" and time.time() >= lease.expires

        ending = asyncio.Event()
        async with asyncio.timeout(TTL):
            await holder.keep(stop, ending)  # its next renewal is refused: it stops
        assert ending.is_set()
        with pytest.raises(LeaseExpired):
            holder.check()
        assert (await store.read_lease(holder.name)) == taken
