"""The worker pool decodes metadata exactly as the same step run in this process does, outcome by outcome, and
its workers do not outlive an indexer killed with SIGKILL."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import AsyncIterator

import coincurve
import pytest

from aquarius.devenv.publisher import encode_metadata
from aquarius.metadata.errors import ErrorCode
from aquarius.metadata.pipeline import (
    MetadataJob,
    MetadataOutcome,
    decode_metadata,
    prepare_worker,
    register_local_key,
)
from indexer.cpu_pool import CpuPool
from tests.metadata.samples import CHAIN_ID, NFT, sample_ddo, v4_ddo

KEY = "0x" + coincurve.PrivateKey().to_hex()
OTHER_KEY_PUBLIC = coincurve.PrivateKey().public_key.format(compressed=True).hex()
OUR_PUBLIC = coincurve.PrivateKey.from_hex(KEY[2:]).public_key.format(compressed=True).hex()


def _job(payload: bytes, flags: int | None, metadata_hash: bytes, *, ours: bool = False) -> MetadataJob:
    address = register_local_key(KEY) if ours else None
    return MetadataJob(payload, flags, "0x" + metadata_hash.hex(), CHAIN_ID, NFT, decrypt_with=address)


def _jobs() -> list[tuple[str, MetadataJob]]:
    """One job per outcome the pipeline can give, valid ones of every version among them."""
    cases: list[tuple[str, MetadataJob]] = []
    for version in ("4.1.0", "4.3.0", "4.5.0", "4.7.0", "5.0.0"):
        payload = encode_metadata(sample_ddo(version), 3, encrypt_to=OUR_PUBLIC)
        cases.append((f"valid {version}", _job(payload.data, 3, payload.metadata_hash, ours=True)))
    plain = encode_metadata(v4_ddo(), 1, hash_convention="hex")
    cases.append(("compressed, hex hash", _job(plain.data, 1, plain.metadata_hash)))
    remote = encode_metadata(v4_ddo(), 0)
    cases.append(("a remote decryptor's answer", _job(remote.plaintext, None, remote.metadata_hash)))
    cases.append(("hash mismatch", _job(plain.data, 1, b"\x01" * 32)))
    bad_json = encode_metadata(b'{"version": ', 0)
    cases.append(("bad json", _job(bad_json.data, 0, bad_json.metadata_hash)))
    invalid = encode_metadata({**v4_ddo(), "metadata": {"name": 5}}, 0)
    cases.append(("invalid ddo", _job(invalid.data, 0, invalid.metadata_hash)))
    foreign = encode_metadata(v4_ddo(), 2, encrypt_to=OTHER_KEY_PUBLIC)
    cases.append(("encrypted to another key", _job(foreign.data, 2, foreign.metadata_hash, ours=True)))
    cases.append(("no key to decrypt with", _job(foreign.data, 2, foreign.metadata_hash)))
    cases.append(("not lzma", _job(b"not lzma", 1, b"\x00" * 32)))
    return cases


@pytest.fixture
async def process_pool() -> AsyncIterator[CpuPool]:
    pool = CpuPool(2, initializer=prepare_worker, initargs=(KEY,))
    yield pool
    await pool.close()


async def test_worker_processes_give_the_outcomes_of_the_inline_step(process_pool: CpuPool) -> None:
    cases = _jobs()
    jobs = [job for _, job in cases] * 3  # more jobs than chunks: results must come back in input order
    expected = [decode_metadata(job) for job in jobs]
    assert await process_pool.map(decode_metadata, jobs) == expected

    by_case = dict(zip([name for name, _ in cases], expected, strict=False))
    assert all(by_case[f"valid {v}"].ddo == sample_ddo(v) for v in ("4.1.0", "5.0.0"))
    assert by_case["compressed, hex hash"].hash_convention == "hex_string"
    assert by_case["a remote decryptor's answer"].ddo == v4_ddo()
    codes = {name: outcome.error for name, outcome in by_case.items()}
    assert codes["hash mismatch"] is ErrorCode.HASH_MISMATCH
    assert codes["bad json"] is ErrorCode.BAD_JSON
    assert codes["invalid ddo"] is ErrorCode.INVALID_DDO
    assert by_case["invalid ddo"].message.startswith("DDO has validation errors: ")
    assert "metadata.name: must be a string, got 5" in by_case["invalid ddo"].message
    assert codes["encrypted to another key"] is ErrorCode.DECRYPTION_FAILED
    assert codes["no key to decrypt with"] is ErrorCode.NO_DECRYPTOR
    assert codes["not lzma"] is ErrorCode.DECOMPRESSION_FAILED


async def test_one_worker_is_a_thread_with_the_same_outcomes() -> None:
    pool = CpuPool(1, initializer=prepare_worker, initargs=(KEY,))
    try:
        jobs = [job for _, job in _jobs()]
        assert await pool.map(decode_metadata, jobs) == [decode_metadata(job) for job in jobs]
        assert await pool.map(decode_metadata, []) == []
    finally:
        await pool.close()


def test_an_unexpected_failure_is_reported_not_raised() -> None:
    outcome = decode_metadata(MetadataJob(b"x", 2, "0x" + "00" * 32, CHAIN_ID, NFT, decrypt_with="0xunknown"))
    assert outcome == MetadataOutcome(failure="KeyError: '0xunknown'")
    with pytest.raises(RuntimeError, match="KeyError"):
        outcome.result()


# A parent that starts a pool, prints its workers' pids, and waits to be killed.
_PARENT = """
import asyncio, json, sys
from indexer.cpu_pool import CpuPool
from tests.indexer.test_cpu_pool import worker_pid

async def main():
    pool = CpuPool(2)
    pids = await pool.map(worker_pid, list(range(8)))
    print(json.dumps(sorted(set(pids))), flush=True)
    sys.stdin.read()

asyncio.run(main())
"""


def worker_pid(_: int) -> int:
    return os.getpid()


def test_workers_exit_when_the_indexer_is_killed() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    assert parent.stdout is not None
    pids = json.loads(parent.stdout.readline())
    assert pids and parent.pid not in pids
    handles = [os.pidfd_open(pid) for pid in pids]
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    try:
        pending = list(handles)
        while pending:  # a pidfd turns readable when its process exits
            ready, _, _ = select.select(pending, [], [], 30)
            assert ready, f"workers {pids} still run 30 s after their parent was killed"
            pending = [h for h in pending if h not in ready]
    finally:
        for handle in handles:
            os.close(handle)
