"""Riding out a cluster that is briefly short of a node: requests that fail for a passing reason (a lost
connection, a timeout, 429 while a node's queues are full, 502/503/504 while a shard's primary moves) are sent
again with jittered exponential backoff until a deadline, instead of failing the indexer's batch or the API's
answer. The transport below does it for whole requests; the store does it for the items of a bulk request,
which Elasticsearch answers 200 even when some items were rejected (`rejected_for_now`)."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import Any

from elastic_transport import AsyncTransport, ConnectionError, ConnectionTimeout, TransportApiResponse
from elastic_transport.client_utils import DEFAULT, DefaultType

RETRY_STATUSES = (429, 502, 503, 504)


@dataclass(frozen=True)
class Backoff:
    """Delays between attempts: `first_delay` doubling up to `max_delay`, each drawn from its upper half (so
    that processes rejected together do not come back together), for at most `deadline` seconds in all."""

    deadline: float = 120.0
    first_delay: float = 0.2
    max_delay: float = 5.0

    def delays(self) -> Iterator[float]:
        """Delays to sleep before each next attempt; ends when the next attempt would start past the deadline."""
        deadline = time.monotonic() + self.deadline
        delay = self.first_delay
        while True:
            pause = random.uniform(delay / 2, delay)
            if time.monotonic() + pause > deadline:
                return
            yield pause
            delay = min(delay * 2, self.max_delay)


class BackoffTransport(AsyncTransport):
    """The client's transport, which already fails over between nodes at once, with backoff on top: what it
    would retry (its `retry_on_status`, connection errors, timeouts when `retry_on_timeout`) is retried again
    after a pause while the backoff allows. A request made with `max_retries=0` gets no backoff and no second
    attempt on a node: it goes to the next node only when one does not answer (a probe must answer at once)."""

    backoff = Backoff()

    async def perform_request(  # type: ignore[override]
        self,
        method: str,
        target: str,
        *,
        max_retries: int | DefaultType = DEFAULT,
        retry_on_status: Collection[int] | DefaultType = DEFAULT,
        retry_on_timeout: bool | DefaultType = DEFAULT,
        **kwargs: Any,
    ) -> TransportApiResponse:
        options = {"max_retries": max_retries, "retry_on_status": retry_on_status, "retry_on_timeout": retry_on_timeout}
        statuses = self.retry_on_status if isinstance(retry_on_status, DefaultType) else retry_on_status
        on_timeout = self.retry_on_timeout if isinstance(retry_on_timeout, DefaultType) else retry_on_timeout
        if max_retries == 0:
            options |= {"max_retries": len(self.node_pool) - 1, "retry_on_status": (), "retry_on_timeout": False}
            return await super().perform_request(method, target, **options, **kwargs)  # type: ignore[arg-type]
        pauses = self.backoff.delays()
        while True:
            try:
                response = await super().perform_request(method, target, **options, **kwargs)  # type: ignore[arg-type]
            except ConnectionTimeout:
                if not on_timeout:
                    raise
                pause = next(pauses, None)
                if pause is None:
                    raise
            except ConnectionError:
                pause = next(pauses, None)
                if pause is None:
                    raise
            else:
                if response.meta.status not in statuses:
                    return response
                pause = next(pauses, None)
                if pause is None:
                    return response
            await asyncio.sleep(pause)


def rejected_for_now(outcome: dict[str, Any]) -> bool:
    """A bulk item refused for a passing reason: the node's write queue was full (429,
    `es_rejected_execution_exception`) or its shard had no active primary (503, `unavailable_shards_exception`)."""
    return outcome.get("status") in (429, 503)
