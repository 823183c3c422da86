"""A batch is applied in parts cut at block boundaries: together they cover its blocks and logs exactly once."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import pytest

from indexer.sync import LogBatch, split_batch


@dataclass
class _Log:
    block_number: int
    log_index: int
    chain_id: int = 1
    tx_hash: str = "0xt"
    address: str = "0xa"
    event: str = "E"
    args: dict[str, Any] = field(default_factory=dict)

    @property
    def block_hash(self) -> str:
        return f"0xh{self.block_number}"


def _batch(blocks: list[int], first: int = 5, last: int = 40) -> LogBatch:
    logs = [_Log(block, index) for index, block in enumerate(blocks)]
    return LogBatch(first, last, "0xlast", logs)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 100])
def test_parts_cover_the_batch_without_splitting_a_block(size: int) -> None:
    batch = _batch([5, 5, 7, 9, 9, 9, 12, 20, 20])
    parts = split_batch(batch, size)

    assert [log for part in parts for log in part.logs] == list(batch.logs)
    assert parts[0].first == batch.first and parts[-1].last == batch.last and parts[-1].last_hash == "0xlast"
    for before, after in pairwise(parts):
        assert after.first == before.last + 1
        assert before.logs[-1].block_number == before.last and before.last_hash == f"0xh{before.last}"
        assert after.logs[0].block_number != before.last
        assert len(before.logs) >= size
    assert all(part.logs for part in parts)


def test_part_sizes_follow_block_boundaries() -> None:
    parts = split_batch(_batch([5, 5, 7, 9, 9, 9, 12, 20, 20]), 3)
    assert [(p.first, p.last, len(p.logs)) for p in parts] == [(5, 7, 3), (8, 9, 3), (10, 40, 3)]


def test_a_batch_without_logs_is_one_part() -> None:
    assert split_batch(_batch([]), 10) == [LogBatch(5, 40, "0xlast", [])]
