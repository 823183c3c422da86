"""The same corpus and the same query bodies against a real Elasticsearch (the asset mapping, one shard) and the
embedded store: same status, totals, page ids, explicit-sort order, aggregations; for relevance ordering the same
top hit and most of the top ten. Bodies the embedded store refuses must be refused with UnsupportedQuery."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import ApiError, AsyncElasticsearch

from aquarius.devenv.elasticsearch import ElasticsearchNode
from aquarius.store.base import BadQuery, Collection, UnsupportedQuery, Write
from aquarius.store.sqlite import SqliteStore
from aquarius.store.sqlite.mapping import ASSET_MAPPING_FILE
from tests.conformance.bodies import Case, cases
from tests.conformance.compare import differences
from tests.conformance.corpus import make_corpus

INDEX = "aquarius"
CASES = cases()
AGREEMENT: dict[str, list[bool]] = defaultdict(list)


class Backends:
    def __init__(self, es: AsyncElasticsearch, store: SqliteStore) -> None:
        self.es = es
        self.store = store


@pytest.fixture(scope="module")
async def backends(es_node: ElasticsearchNode, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Backends]:
    corpus = make_corpus()
    es_node.wipe()  # other modules leave indices and aliases (one may be named like ours) on the shared node
    es = AsyncElasticsearch(es_node.url)
    await es.indices.create(
        index=INDEX,
        settings={"number_of_shards": 1, "number_of_replicas": 0},
        mappings=json.loads(ASSET_MAPPING_FILE.read_text()),
    )
    operations: list[Any] = []
    for doc in corpus:
        operations += [{"index": {"_index": INDEX, "_id": doc["id"]}}, doc]
    result = await es.bulk(operations=operations, refresh=True)
    assert not result["errors"]
    store = SqliteStore(Path(tmp_path_factory.mktemp("conformance")) / "store.sqlite")
    await store.open()
    await store.write([Write(Collection.ASSETS, doc["id"], doc) for doc in corpus])
    yield Backends(es, store)
    await store.close()
    await es.close()
    es_node.wipe()


def test_the_suite_is_large_enough() -> None:
    assert len(make_corpus()) >= 300
    assert len(CASES) >= 150
    assert sum(c.unsupported for c in CASES) >= 10


@pytest.mark.parametrize("case", CASES, ids=[f"{i:03d}-{c.feature.replace(' ', '-')}" for i, c in enumerate(CASES)])
async def test_embedded_store_answers_like_elasticsearch(backends: Backends, case: Case) -> None:
    try:
        expected: dict[str, Any] | None = (await backends.es.search(index=INDEX, body=case.body)).body
    except ApiError:
        expected = None
    try:
        answer: dict[str, Any] | None = await backends.store.search(Collection.ASSETS, case.body)
    except UnsupportedQuery:
        AGREEMENT[case.feature].append(case.unsupported)
        assert case.unsupported, "refused a body the embedded store should answer"
        return
    except BadQuery:
        answer = None
    assert not case.unsupported, "answered a body the embedded store should refuse as unsupported"
    found = differences(case, expected, answer)
    AGREEMENT[case.feature].append(not found)
    assert not found
