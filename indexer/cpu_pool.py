"""Worker processes for the CPU-bound, pure steps of indexing (decrypting, decompressing, hashing, parsing and
validating DDOs), so that they use every core and leave the event loop free for RPC and store round trips.

A batch's work goes out at once, in a few chunks per worker: one inter-process round trip per chunk rather than
per event. With one worker the work runs in a thread instead (no process to start, no pickling).
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing.connection import wait
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# chunks per worker: enough to even out jobs of unequal cost, few enough to keep round trips rare
CHUNKS_PER_WORKER = 4
_WORKER_MODULES = ["aquarius.metadata.pipeline"]


def default_workers() -> int:
    return os.cpu_count() or 1


def _run_chunk(fn: Callable[[T], R], chunk: Sequence[T]) -> list[R]:
    return [fn(item) for item in chunk]


def _exit_with_parent() -> None:
    """A worker blocks on its job queue forever if the indexer dies without closing the pool (kill -9): it
    leaves as soon as its parent is gone."""
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _start_process_worker(initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    _exit_with_parent()
    if initializer is not None:
        initializer(*initargs)


class CpuPool:
    """`workers` processes (a thread when 1), started on first use; `initializer(*initargs)` runs once in each
    worker (in the thread's process for a thread). Close with `close`."""

    def __init__(
        self, workers: int, *, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
    ) -> None:
        if workers < 1:
            raise ValueError(f"a pool needs at least one worker, got {workers}")
        self.workers = workers
        self._initializer = initializer
        self._initargs = initargs
        self._executor: Executor | None = None

    def _started(self) -> Executor:
        if self._executor is None:
            if self.workers == 1:
                self._executor = ThreadPoolExecutor(
                    1, thread_name_prefix="cpu-pool", initializer=self._initializer, initargs=self._initargs
                )
            else:
                # a fork server forks workers from a clean, preloaded process: no copy of the loop's threads,
                # sockets or store connections, and no import cost per worker
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(_WORKER_MODULES)
                self._executor = ProcessPoolExecutor(
                    self.workers,
                    mp_context=context,
                    initializer=_start_process_worker,
                    initargs=(self._initializer, self._initargs),
                )
        return self._executor

    async def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """`[fn(item) for item in items]`, computed by the workers; `fn`, items and results must pickle. A worker
        that died (BrokenExecutor) fails the whole call; the next call starts fresh workers."""
        if not items:
            return []
        executor = self._started()
        size = math.ceil(len(items) / (self.workers * CHUNKS_PER_WORKER))
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        loop = asyncio.get_running_loop()
        try:
            answers = await asyncio.gather(*(loop.run_in_executor(executor, _run_chunk, fn, c) for c in chunks))
        except BrokenExecutor:
            if self._executor is executor:
                self._executor = None
                executor.shutdown(wait=False, cancel_futures=True)
            raise
        return [result for answer in answers for result in answer]

    async def close(self) -> None:
        if self._executor is not None:
            executor, self._executor = self._executor, None
            await asyncio.to_thread(executor.shutdown, True, cancel_futures=True)
