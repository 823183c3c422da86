"""The embedded store's search: analysis against Elasticsearch's own analyzer, the index following every write,
the response shape, the configured index name and refusals that name the construct."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from aquarius.devenv.elasticsearch import ElasticsearchNode
from aquarius.store.base import BadQuery, BlockEffects, BlockRef, Collection, UnsupportedQuery, Write
from aquarius.store.sqlite import SqliteStore
from aquarius.store.sqlite.analysis import tokenize

SAMPLES = [
    "did:op:abc123 did:op:0123ff 0xAbC123",
    "Weather-Data v1.2 example.com foo_bar U.S.A. 3.14 1,000 can't",
    "São Paulo 東京タワー ひらがな 한국어 straße ΑΒΓ Привет",
    "ocean\\-data\\: v2/x emoji 🎉🚀 \uff26\uff55\uff4c\uff4cwidth ไทย ภาษา",
    "x" * 300,
]


def test_tokens_are_those_of_the_standard_analyzer(es: ElasticsearchNode) -> None:
    for text in SAMPLES:
        status, body = es.request("POST", "/_analyze", {"analyzer": "standard", "text": text})
        assert status == 200
        assert tokenize(text) == [t["token"] for t in body["tokens"]], text  # type: ignore[index]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    s = SqliteStore(tmp_path / "search.sqlite", asset_index_name="v510")
    await s.open()
    yield s
    await s.close()


def _doc(name: str, **extra: Any) -> dict[str, Any]:
    return {"metadata": {"name": name}, **extra}


async def _ids(store: SqliteStore, query: dict[str, Any], collection: Collection = Collection.ASSETS) -> set[str]:
    found = await store.search(collection, {"query": query, "size": 100})
    return {h["_id"] for h in found["hits"]["hits"]}


async def test_the_index_follows_writes_updates_deletes_and_rollbacks(store: SqliteStore) -> None:
    await store.write([Write(Collection.ASSETS, "a", _doc("Ocean weather")), Write(Collection.ASSETS, "b", _doc("x"))])
    assert await _ids(store, {"match": {"metadata.name": "weather"}}) == {"a"}
    await store.write([Write(Collection.ASSETS, "a", _doc("Ocean traffic"))])
    assert await _ids(store, {"match": {"metadata.name": "weather"}}) == set()
    assert await _ids(store, {"term": {"metadata.name.keyword": "Ocean traffic"}}) == {"a"}
    await store.apply_blocks(1, [BlockEffects(1, 1, "0x1", "0x0", 1, [Write(Collection.ASSETS, "a", None)])])
    assert await _ids(store, {"match": {"metadata.name": "ocean"}}) == set()
    await store.rollback(1, BlockRef(0, "0x0"))
    assert await _ids(store, {"match": {"metadata.name": "ocean"}}) == {"a"}
    # every collection but the journal is searchable, each with its own fields
    await store.write([Write(Collection.ORDERS, "o1", {"consumer": "0xabc", "amount": 3})])
    assert await _ids(store, {"range": {"amount": {"gte": 2}}}, Collection.ORDERS) == {"o1"}
    assert await _ids(store, {"range": {"amount": {"gte": 2}}}) == set()
    with pytest.raises(UnsupportedQuery, match="journal"):
        await store.search(Collection.JOURNAL, {"query": {"match_all": {}}})


async def test_response_has_the_elasticsearch_shape(store: SqliteStore) -> None:
    await store.write([Write(Collection.ASSETS, f"did:op:{i}", _doc(f"asset {i}", n=i)) for i in range(3)])
    found = await store.search(Collection.ASSETS, {"query": {"match": {"metadata.name": "asset"}}, "size": 2})
    assert set(found) == {"took", "timed_out", "_shards", "hits"}
    assert found["timed_out"] is False and found["_shards"]["failed"] == 0
    assert found["hits"]["total"] == {"value": 3, "relation": "eq"}
    hit = found["hits"]["hits"][0]
    assert set(hit) == {"_index", "_id", "_score", "_source"}
    assert hit["_index"] == "v510" and hit["_score"] == found["hits"]["max_score"] > 0
    by_field = await store.search(Collection.ASSETS, {"sort": {"n": "desc"}, "aggs": {"s": {"sum": {"field": "n"}}}})
    assert [h["_id"] for h in by_field["hits"]["hits"]] == ["did:op:2", "did:op:1", "did:op:0"]
    assert by_field["hits"]["max_score"] is None and by_field["hits"]["hits"][0]["_score"] is None
    assert by_field["hits"]["hits"][0]["sort"] == [2]
    assert by_field["aggregations"] == {"s": {"value": 3.0}}
    assert await _ids(store, {"term": {"_index": "v510"}}) == {"did:op:0", "did:op:1", "did:op:2"}
    assert await _ids(store, {"term": {"_index": "aquarius"}}) == set()


async def test_field_types_follow_the_mapping_file_and_the_first_value_seen(store: SqliteStore) -> None:
    await store.write(
        [
            Write(Collection.ASSETS, "a", {"chainId": "137", "nft": {"created": "2023-05-01T00:00:00Z"}, "v": 5}),
            Write(Collection.ASSETS, "b", {"chainId": 1.0, "nft": {"created": "garbage"}, "v": "7"}),
        ]
    )
    assert await _ids(store, {"term": {"chainId": 137}}) == {"a"}  # long per the mapping: "137" coerced
    assert await _ids(store, {"range": {"nft.created": {"gte": "2023-01-01"}}}) == {"a"}
    assert await _ids(store, {"exists": {"field": "nft.created"}}) == {"a"}  # malformed dates are not indexed
    assert await _ids(store, {"term": {"nft.created.keyword": "garbage"}}) == {"b"}
    assert await _ids(store, {"range": {"v": {"gt": 6}}}) == {"b"}  # `v` became long on first sight


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        ({"query": {"fuzzy": {"a": "b"}}}, UnsupportedQuery, "unsupported query type 'fuzzy'"),
        ({"query": {"match_all": {}}, "highlight": {}}, UnsupportedQuery, "'highlight'"),
        ({"aggs": {"h": {"histogram": {"field": "n", "interval": 1}}}}, UnsupportedQuery, "'histogram'"),
        ({"query": {"query_string": {"query": "a~1"}}}, UnsupportedQuery, "fuzzy"),
        ({"query": {"bogus": {}}}, BadQuery, "unknown query"),
        ({"query": {"match_all": {}}, "from": -1}, BadQuery, "negative"),
        ({"query": {"bool": {"must": 3}}}, BadQuery, "must"),
        ({"sort": {"undefined": "desc"}}, BadQuery, "No mapping found for \\[undefined\\]"),
    ],
)
async def test_refusals_name_the_construct(store: SqliteStore, body: dict[str, Any], error: type, message: str) -> None:
    await store.write([Write(Collection.ASSETS, "a", _doc("x", n=1))])
    with pytest.raises(error, match=message):
        await store.search(Collection.ASSETS, body)
