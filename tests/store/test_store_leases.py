"""The lease contract both backends keep: of two clients racing, one wins; an expired lease can be taken over; only
the holder renews or releases it. Each test uses two separately opened clients of one store, as two processes do."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest

from aquarius.store.base import Lease, Store
from tests.store.backends import elasticsearch_store, sqlite_store

NAME = "chain:8996"
TTL = 30.0


@pytest.fixture(params=["sqlite", "elasticsearch"])
async def clients(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[tuple[Store, Store]]:
    def open_one() -> AbstractAsyncContextManager[Store]:
        if request.param == "sqlite":
            return sqlite_store(tmp_path / "leases.db")
        return elasticsearch_store(request.getfixturevalue("es"), "leases")

    async with open_one() as first, open_one() as second:
        yield first, second


async def test_of_racing_acquires_exactly_one_wins(clients: tuple[Store, Store]) -> None:
    a, b = clients
    for round_ in range(10):
        name = f"{NAME}:{round_}"
        won = await asyncio.gather(
            *(store.acquire_lease(name, f"holder-{i}", TTL) for i, store in enumerate([a, b, a, b]))
        )
        winners = [state.lease.holder for state in won if state.granted and state.lease is not None]
        assert len(winners) == 1, won
        stored = await b.read_lease(name)
        assert stored is not None and stored.holder == winners[0]
        refused = [state for state in won if not state.granted]
        assert all(state.lease is not None and state.lease.holder == winners[0] for state in refused), refused


async def test_a_held_lease_is_refused_to_others_until_it_expires(clients: tuple[Store, Store]) -> None:
    a, b = clients
    before = time.time()
    first = await a.acquire_lease(NAME, "a", 0.5, {"head": 7})
    assert first.granted and first.lease is not None
    assert before + 0.5 <= first.lease.expires <= time.time() + 0.5
    refused = await b.acquire_lease(NAME, "b", TTL)
    assert not refused.granted and refused.lease == first.lease
    again = await a.acquire_lease(NAME, "a", TTL)  # the holder acquiring again keeps it (and its note)
    assert again.granted and again.lease is not None and again.lease.note == {"head": 7}

    short = await a.renew_lease(NAME, "a", 0.2)
    assert short.granted and short.lease is not None
    await asyncio.sleep(max(short.lease.expires - time.time(), 0) + 0.05)  # the expiry is wall-clock time
    taken = await b.acquire_lease(NAME, "b", TTL)
    assert taken.granted and taken.lease is not None
    assert (taken.lease.holder, taken.lease.note) == ("b", {})
    assert await a.read_lease(NAME) == taken.lease


async def test_only_the_holder_renews_and_releases(clients: tuple[Store, Store]) -> None:
    a, b = clients
    assert not (await b.renew_lease(NAME, "b", TTL)).granted  # nobody holds it: nothing to renew
    held = await a.acquire_lease(NAME, "a", TTL)
    assert held.granted
    stolen = await b.renew_lease(NAME, "b", TTL, {"head": 1})
    assert not stolen.granted and stolen.lease == held.lease
    assert not await b.release_lease(NAME, "b")
    assert await b.read_lease(NAME) == held.lease

    renewed = await a.renew_lease(NAME, "a", TTL, {"head": 42})
    assert renewed.granted and renewed.lease is not None and held.lease is not None
    assert renewed.lease.expires >= held.lease.expires and renewed.lease.note == {"head": 42}
    assert await b.read_lease(NAME) == renewed.lease

    assert await a.release_lease(NAME, "a")
    assert await b.read_lease(NAME) is None
    assert not await a.release_lease(NAME, "a")
    successor = await b.acquire_lease(NAME, "b", TTL)  # released: taken at once, long before the old expiry
    assert successor.granted and successor.lease == Lease(NAME, "b", successor.lease.expires, {})
