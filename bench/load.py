"""The HTTP load generator of the API benchmarks: keep-alive connections that each send requests back to back for
a fixed time, in a process of its own (`run_in_process`) so that the server under test never shares its CPU time
with the measuring event loop; and the same loop over an in-process call, for references that have no HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any, TypeVar

import aiohttp

from bench.harness import percentile

T = TypeVar("T")


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    body: bytes | None = None


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    latencies_ms: list[float]
    failures: int
    first_failure: str

    @property
    def rate(self) -> float:
        """Successful answers per second."""
        return (self.requests - self.failures) / self.seconds

    @property
    def p50(self) -> float:
        return percentile(self.latencies_ms, 50)

    @property
    def p99(self) -> float:
        return percentile(self.latencies_ms, 99)


async def drive(workers: Sequence[Callable[[int], Awaitable[str | None]]], duration: float) -> LoadResult:
    """Run every worker in a loop (its call number as argument) for `duration` seconds; a worker answers None
    for a success and a description otherwise."""
    latencies: list[float] = []
    failures: list[str] = []
    deadline = time.perf_counter() + duration

    async def loop(worker: Callable[[int], Awaitable[str | None]], offset: int) -> None:
        n = offset
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            problem = await worker(n)
            latencies.append((time.perf_counter() - started) * 1000)
            if problem:
                failures.append(problem)
            n += len(workers)

    started = time.perf_counter()
    await asyncio.gather(*(loop(w, i) for i, w in enumerate(workers)))
    seconds = time.perf_counter() - started
    return LoadResult(len(latencies), seconds, latencies, len(failures), failures[0] if failures else "")


async def send(session: aiohttp.ClientSession, request: Request) -> str | None:
    headers = {"Content-Type": "application/json"} if request.body is not None else None
    async with session.request(request.method, request.url, data=request.body, headers=headers) as response:
        await response.read()
        return None if response.status == 200 else f"{request.method} {request.url}: {response.status}"


async def http_load(targets: Sequence[Sequence[Request]], connections: int, duration: float) -> LoadResult:
    """`connections` connections, connection i cycling through `targets[i % len(targets)]` (one list of requests
    per server process, so that connections split evenly across processes). One request per target is sent
    before the clock starts."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections)) as session:
        for requests in targets:
            if problem := await send(session, requests[0]):
                raise RuntimeError(f"the first request failed: {problem}")

        def worker(requests: Sequence[Request]) -> Callable[[int], Awaitable[str | None]]:
            return lambda n: send(session, requests[n % len(requests)])

        return await drive([worker(targets[i % len(targets)]) for i in range(connections)], duration)


def http_load_sync(targets: Sequence[Sequence[Request]], connections: int, duration: float) -> LoadResult:
    return asyncio.run(http_load(targets, connections, duration))


def load_process() -> ProcessPoolExecutor:
    """One process of its own for the load generator, started once and reused by every measurement."""
    return ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"))


async def in_process(pool: ProcessPoolExecutor, fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` (picklable, module level) in the load generator's process."""
    return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
