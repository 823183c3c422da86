"""A fuzz run over the public API: hundreds of random, malformed and hostile requests (a fixed seed, so a
failure replays), none of which may answer 5xx, and every JSON answer must parse."""

from __future__ import annotations

import json
import random
from typing import Any

from tests.api.conftest import Api

DSL_WORDS = [
    "query",
    "bool",
    "must",
    "should",
    "filter",
    "must_not",
    "term",
    "terms",
    "match",
    "match_phrase",
    "range",
    "query_string",
    "exists",
    "ids",
    "match_all",
    "sort",
    "from",
    "size",
    "aggs",
    "aggregations",
    "field",
    "gte",
    "lt",
    "order",
    "_score",
    "_index",
    "_id",
    "metadata.name",
    "nft.state",
    "chainId",
    "stats.orders",
    "metadata.tags.keyword",
    "minimum_should_match",
    "default_operator",
    "fields",
    "values",
    "script",
    "index",
]


def value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 4 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1, 10**30, -(2**63), 3.5, float(rng.randrange(100))])
    if kind == 3:
        return rng.choice(["", "*", "weather AND", '"', "\\", "did:op:x", "a" * 300, "ü∑😀", "[", "(", "NOT NOT"])
    if kind == 4:
        return rng.choice(DSL_WORDS)
    if kind == 5:
        return "".join(rng.choice('abc:*?()[]{}"\\ ~^!') for _ in range(rng.randrange(12)))
    if kind in (6, 7):
        return {rng.choice(DSL_WORDS): value(rng, depth + 1) for _ in range(rng.randrange(4))}
    return [value(rng, depth + 1) for _ in range(rng.randrange(4))]


async def _check(response: Any, where: str) -> None:
    text = await response.text()
    assert response.status < 500, f"{where} -> {response.status}: {text[:300]}"
    if response.content_type == "application/json":
        json.loads(text)


async def test_fuzzed_requests_never_answer_5xx(api: Api) -> None:
    rng = random.Random(20261122)
    for i in range(300):
        body = value(rng)
        for path in ("/api/aquarius/assets/query", "/api/aquarius/assets/metadata/query", "/api/aquarius/assets/names"):
            async with api.post(path, json=body) as response:
                await _check(response, f"#{i} POST {path} {json.dumps(body)[:200]}")
        raw = json.dumps(body).encode() if rng.random() < 0.7 else bytes(rng.randrange(256) for _ in range(40))
        headers = {"Content-Type": rng.choice(["application/octet-stream", "application/json", "text/plain"])}
        async with api.post("/api/aquarius/assets/ddo/validate", data=raw, headers=headers) as response:
            await _check(response, f"#{i} validate {raw[:200]!r}")
        token = str(value(rng))[:80].replace("/", "%2F").replace("?", "%3F").replace("#", "%23") or "x"
        for path in (
            f"/api/aquarius/assets/ddo/{token}",
            f"/api/aquarius/assets/metadata/{token}",
            f"/api/aquarius/assets/history/{token}?page={token}&size={token}",
            f"/api/aquarius/chains/status/{token}",
            f"/api/aquarius/state/ddo?did={token}&chainId={token}",
            f"/api/aquarius/state/retryQueue?chainId={token}&type={token}",
            f"/api/aquarius/validation/schema?version={token}",
        ):
            async with api.get(path) as response:
                await _check(response, f"#{i} GET {path}")
