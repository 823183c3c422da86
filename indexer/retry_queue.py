"""The persistent retry queue: an event whose handler failed for a passing reason is stored with its error and
retried with exponential backoff until it succeeds, reaches the attempt cap or the maximum age, and is then
parked as dead with its last error (visible through `/state/retryQueue`)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from aquarius.store.base import Collection, Doc
from indexer.handler import LogLike
from indexer.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class RetryPolicy:
    first_delay: float = 5.0
    max_delay: float = 3600.0
    max_attempts: int = 10
    max_age: float = 14 * 24 * 3600.0

    def delay(self, attempts: int) -> float:
        return min(self.first_delay * 2 ** max(attempts - 1, 0), self.max_delay)


def retry_id(chain_id: int, tx_hash: str, log_index: int) -> str:
    return f"{chain_id}:{tx_hash.lower()}:{log_index}"


def retry_record(entry: LogLike, error: BaseException, policy: RetryPolicy, previous: Doc | None, now: float) -> Doc:
    attempts = (previous or {}).get("attempts", 0) + 1
    first_seen = (previous or {}).get("first_seen", now)
    dead = attempts >= policy.max_attempts or now - first_seen >= policy.max_age
    return {
        "chain_id": entry.chain_id,
        "tx_id": entry.tx_hash,
        "log_index": entry.log_index,
        "block": entry.block_number,
        "block_hash": entry.block_hash,
        "event": entry.event,
        "nft_address": entry.address,
        "type": "event",
        "attempts": attempts,
        "first_seen": first_seen,
        "last_attempt": now,
        "next_retry": None if dead else now + policy.delay(attempts),
        "status": "dead" if dead else "pending",
        "error": f"{type(error).__name__}: {error}",
    }


async def enqueue_failure(uow: UnitOfWork, entry: LogLike, error: BaseException, policy: RetryPolicy) -> None:
    """Queue (or re-queue) the failed event within the current block, so the queue entry is as durable as the
    block's other effects and a reorg that drops the block drops the entry too."""
    key = retry_id(entry.chain_id, entry.tx_hash, entry.log_index)
    previous = await uow.get(Collection.RETRIES, key)
    uow.put(Collection.RETRIES, key, retry_record(entry, error, policy, previous, time.time()))
