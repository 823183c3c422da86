"""One chain, one writer: a chain's sync runs only while its process holds the chain's lease in the store.

The lease is acquired before the sync starts, renewed every third of its time to live and released on a clean stop.
The holder keeps a local deadline on its monotonic clock, taken before each successful request and so never later
than the expiry the store records; the sync starts no write once less than a safety margin is left before that
deadline. A holder that cannot renew (store unreachable, paused process) therefore stops writing before anyone can
take the lease over, and a successor waits for the expiry recorded in the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aquarius.store.base import Collection, Doc, Lease, Store

log = logging.getLogger(__name__)

MARGIN_SHARE = 0.25  # of the time to live: no write starts when less than this is left


class LeaseExpired(RuntimeError):
    """The chain's lease is lost or too close to its end to start a write."""


def holder_id() -> str:
    """Who holds a lease: host and process, and a random part so a restarted process with a reused pid differs."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def chain_lease_name(chain_id: int) -> str:
    return f"chain:{chain_id}"


def lease_chain(lease: Lease) -> int | None:
    prefix, _, chain = lease.name.partition(":")
    return int(chain) if prefix == "chain" and chain.isdigit() else None


async def chain_leases(store: Store) -> dict[int, Lease]:
    """Every chain's lease in the store (expired ones included: they hold the head their holder saw last)."""
    found = await store.search(Collection.LEASES, {"size": 1000, "query": {"match_all": {}}})
    leases = (Lease.from_doc(hit["_source"]) for hit in found["hits"]["hits"])
    return {chain: lease for lease in leases if (chain := lease_chain(lease)) is not None}


def _time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


def describe_lease(lease: Lease | None, now: float | None = None) -> str:
    if lease is None:
        return "free"
    state = "expired" if lease.expires <= (time.time() if now is None else now) else "until"
    return f"held by {lease.holder} {state} {_time(lease.expires)}"


async def _wait_any(events: tuple[asyncio.Event, ...], seconds: float) -> bool:
    """Wait until one of `events` is set or `seconds` pass; True when one is set."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    return any(event.is_set() for event in events)


class ChainLease:
    """The lease of one chain as this process sees it. `note` gives what to publish in it (the head seen)."""

    def __init__(self, store: Store, chain_id: int, holder: str, ttl: float, note: Callable[[], Doc]) -> None:
        self.store = store
        self.chain_id = chain_id
        self.name = chain_lease_name(chain_id)
        self.holder = holder
        self.ttl = ttl
        self.note = note
        self.deadline = 0.0  # monotonic; nothing may be written from `deadline - margin` on

    @property
    def margin(self) -> float:
        return self.ttl * MARGIN_SHARE

    def check(self) -> None:
        """Raise `LeaseExpired` unless a write may start now (the sync calls this before each one)."""
        left = self.deadline - time.monotonic()
        if left < self.margin:
            raise LeaseExpired(f"chain {self.chain_id}: {max(left, 0):.1f}s of lease left, below {self.margin:.1f}s")

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Wait until this process holds the lease (True) or `stop` is set (False)."""
        reported: str | None = None
        while not stop.is_set():
            started = time.monotonic()
            try:
                state = await self.store.acquire_lease(self.name, self.holder, self.ttl, self.note() or None)
            except Exception as err:  # the store is unreachable: nobody can take the lease meanwhile either
                log.warning("chain %s: cannot read its lease, retrying: %s", self.chain_id, err)
                await _wait_any((stop,), self.ttl / 3)
                continue
            if state.granted:
                self.deadline = started + self.ttl
                log.info("chain %s: lease held by %s", self.chain_id, self.holder)
                return True
            other = state.lease
            assert other is not None  # refused only while someone else holds it
            if other.holder != reported:
                log.info(
                    "chain %s is leased by %s until %s; waiting", self.chain_id, other.holder, _time(other.expires)
                )
                reported = other.holder
            # ask again at its expiry, and meanwhile every third of a lease time in case it is released
            await _wait_any((stop,), min(self.ttl / 3, max(other.expires - time.time(), 0.0) + 0.05))
        return False

    async def keep(self, stop: asyncio.Event, ending: asyncio.Event) -> None:
        """Renew the lease every third of its time to live until `stop` or `ending`; sets `ending` when stopping
        or when the lease is lost (refused, or not renewed before its local deadline)."""
        try:
            while not await _wait_any((stop, ending), self.ttl / 3):
                started = time.monotonic()
                try:
                    async with asyncio.timeout(self.ttl / 3):
                        state = await self.store.renew_lease(self.name, self.holder, self.ttl, self.note() or None)
                except Exception as err:
                    if time.monotonic() + self.margin < self.deadline:
                        log.warning("chain %s: lease renewal failed, retrying: %s", self.chain_id, err)
                        continue
                    log.warning("chain %s: lease not renewed before its end (%s); stopping", self.chain_id, err)
                    return
                if not state.granted:
                    holder = state.lease.holder if state.lease is not None else "nobody"
                    log.warning("chain %s: lease lost (now held by %s); stopping", self.chain_id, holder)
                    return
                self.deadline = started + self.ttl
        finally:
            ending.set()

    async def release(self) -> None:
        """Give the lease up so that a successor takes it at once (best effort: it expires anyway)."""
        self.deadline = 0.0
        try:
            await self.store.release_lease(self.name, self.holder)
        except Exception as err:
            log.warning("chain %s: cannot release its lease (it expires by itself): %s", self.chain_id, err)


async def run_leased(lease: ChainLease, run: Callable[[asyncio.Event], Awaitable[None]], stop: asyncio.Event) -> None:
    """Run `run(ending)` whenever the lease is held, until `stop`; `ending` is set when the lease is lost."""
    while await lease.acquire(stop):
        ending = asyncio.Event()
        heartbeat = asyncio.create_task(lease.keep(stop, ending), name=f"lease-{lease.chain_id}")
        try:
            with contextlib.suppress(LeaseExpired):
                await run(ending)
        finally:
            ending.set()
            await heartbeat
        if stop.is_set():
            await lease.release()
            return
        log.warning("chain %s: lease lost; waiting to hold it again", lease.chain_id)
