"""How event handlers plug into the sync engine.

A handler has two steps. `prepare` does the slow, store-independent work for one log (RPC reads at the log's
block, decryption, validation) and runs concurrently for every log of a batch. `apply` then runs strictly in
(block, logIndex) order and changes documents only through the unit of work, so its effects land atomically
with the block and are undone by a reorg.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from aquarius.store.base import Collection
from indexer.unit_of_work import UnitOfWork


class LogLike(Protocol):
    """What the engine needs of a decoded log."""

    chain_id: int
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int
    address: str
    event: str
    args: dict[str, Any]


# a prepared result, or the error `prepare` raised for that log
Prepared = tuple[Any, BaseException | None]


async def captured(work: Awaitable[Any]) -> Prepared:
    try:
        return await work, None
    except Exception as err:
        return None, err


class RetryableError(Exception):
    """The event could not be processed now (a decryptor is down, an RPC read failed): retry it later."""


class RejectedEvent(Exception):
    """The event is final and invalid (bad hash, invalid DDO, not allowed): record why, never retry."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class HandlerEnv:
    """Shared services handlers may use (RPC client, settings, contract addresses, keys...), and the logs of the
    batch being processed, by transaction (e.g. the `MetadataValidated` proofs next to a metadata event)."""

    chain_id: int
    services: dict[str, Any]
    tx_logs: dict[str, list[LogLike]] = field(default_factory=dict)

    def for_batch(self, logs: Sequence[LogLike]) -> HandlerEnv:
        by_tx: dict[str, list[LogLike]] = {}
        for entry in logs:
            by_tx.setdefault(entry.tx_hash, []).append(entry)
        return HandlerEnv(self.chain_id, self.services, by_tx)

    def get(self, name: str) -> Any:
        return self.services[name]


class Handler:
    """Base class; subclasses set `event` and override `apply` (and `prepare` where there is slow work)."""

    event: ClassVar[str]

    async def prepare(self, log: LogLike, env: HandlerEnv) -> Any:
        return None

    async def prepare_many(self, logs: Sequence[LogLike], env: HandlerEnv) -> list[Prepared]:
        """`prepare` for every log of a batch, each outcome on its own; a handler overrides it to do a batch's
        work together (e.g. hand every payload of the batch to the worker processes at once). An exception
        raised here, rather than returned, fails the whole batch."""
        return list(await asyncio.gather(*(captured(self.prepare(log, env)) for log in logs)))

    async def apply(self, log: LogLike, prepared: Any, uow: UnitOfWork, env: HandlerEnv) -> None:
        raise NotImplementedError

    def reads(self, log: LogLike, prepared: Any) -> list[tuple[Collection, str]]:
        """The documents `apply` will read, so that the engine loads those of a whole batch in a few multi-gets
        instead of one round trip each (an optimisation only: `apply` reads through the unit of work anyway)."""
        return []

    async def on_rejected(self, log: LogLike, error: RejectedEvent, uow: UnitOfWork, env: HandlerEnv) -> None:
        """Record a final rejection (e.g. in the asset's state record). Default: nothing to record."""

    async def on_retry_queued(self, log: LogLike, error: BaseException, uow: UnitOfWork, env: HandlerEnv) -> None:
        """Record that the event waits in the retry queue. Default: nothing to record."""


class HandlerRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, handler: Handler) -> Handler:
        if handler.event in self._handlers:
            raise ValueError(f"two handlers for {handler.event}")
        self._handlers[handler.event] = handler
        return handler

    def get(self, event: str) -> Handler | None:
        return self._handlers.get(event)

    @property
    def events(self) -> list[str]:
        return sorted(self._handlers)


def registers(registry: HandlerRegistry) -> Callable[[type[Handler]], type[Handler]]:
    """Class decorator: `@registers(default_registry) class MetadataCreated(Handler): ...`."""

    def decorate(cls: type[Handler]) -> type[Handler]:
        registry.register(cls())
        return cls

    return decorate
