"""`aquarius demo` as a newcomer runs it: every kind of sample asset is searchable through the API, new assets
keep appearing within seconds, and Ctrl-C stops it cleanly."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from typing import Any

import aiohttp

READY = re.compile(r"Aquarius API: (http://127\.0\.0\.1:\d+)")
LIVE = re.compile(r"published (did:op:[0-9a-f]{64}) on chain \d+: searchable after ([0-9.]+)s")


async def _query(session: aiohttp.ClientSession, base: str, query: dict[str, Any]) -> dict[str, Any]:
    async with session.post(f"{base}/api/aquarius/assets/query", json={"query": query, "size": 100}) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def _lines_until(stream: asyncio.StreamReader, pattern: re.Pattern[str], seen: list[str]) -> re.Match[str]:
    while True:
        line = (await stream.readline()).decode()
        assert line, "demo exited early:\n" + "".join(seen)
        seen.append(line)
        if match := pattern.search(line):
            return match


async def test_demo_end_to_end() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "AQUARIUS_", "EVENTS_"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "aquarius.cli",
        "demo",
        "--interval",
        "1",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**env, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    seen: list[str] = []
    try:
        async with asyncio.timeout(240):
            base = (await _lines_until(process.stdout, READY, seen)).group(1)
        async with aiohttp.ClientSession() as session:

            def names(found: dict[str, Any]) -> set[str]:
                return {h["_source"]["metadata"]["name"] for h in found["hits"]["hits"] if "metadata" in h["_source"]}

            datasets = await _query(session, base, {"term": {"metadata.type": "dataset"}})
            assert datasets["hits"]["total"]["value"] >= 30
            algorithms = names(await _query(session, base, {"term": {"metadata.type": "algorithm"}}))
            assert algorithms == {"MNIST CNN model", "MNIST digit inference"}
            both_chains = await _query(session, base, {"terms": {"chainId": [8996, 8997]}})
            assert {h["_source"]["chainId"] for h in both_chains["hits"]["hits"]} == {8996, 8997}
            compute = await _query(
                session, base, {"exists": {"field": "services.compute.publisherTrustedAlgorithms.did"}}
            )
            assert "MNIST handwritten digits" in names(compute)
            priced = await _query(session, base, {"range": {"stats.price.value": {"gt": 0}}})
            assert "MNIST CNN model" in names(priced)
            free = await _query(session, base, {"bool": {"filter": [{"term": {"stats.price.value": 0}}]}})
            assert "MNIST digit inference" in names(free)
            ordered = await _query(session, base, {"range": {"stats.orders": {"gte": 4}}})
            assert "MNIST handwritten digits" in names(ordered)
            for state in (2, 3):
                hidden = await _query(session, base, {"term": {"nft.state": state}})
                assert hidden["hits"]["total"]["value"] == 2  # one per chain
                assert all("metadata" not in h["_source"] for h in hidden["hits"]["hits"])
            unlisted = await _query(session, base, {"term": {"nft.state": 5}})
            assert names(unlisted) == {"Unlisted internal benchmark"}
            banned = await _query(session, base, {"term": {"purgatory.state": True}})
            assert names(banned) == {"Guaranteed trading signals"}
            onchain = await _query(session, base, {"exists": {"field": "onchainData"}})
            assert names(onchain) == {"Ship positions North Sea"}

            async with asyncio.timeout(30):
                live = await _lines_until(process.stdout, LIVE, seen)
            assert float(live.group(2)) < 2.0
            async with session.get(f"{base}/api/aquarius/assets/ddo/{live.group(1)}") as response:
                assert response.status == 200

        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(5):
            assert await process.wait() == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
