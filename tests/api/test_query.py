"""The search routes: the market's, the Pontus-X portal's and Nautilus' real bodies, the guard's refusals, size
and time limits, and the Ocean Node form."""

from __future__ import annotations

from typing import Any

import pytest

from api.query_guard import REFUSED_KEYS
from tests.api.catalog import ALGORITHM, BANNED, BUYER_OWNER, CHAIN, OWNER, POLYGON, TRAFFIC, UNLISTED, WEATHER
from tests.api.conftest import Api

QUERY = "/api/aquarius/assets/query"
FIELDS = [
    "id",
    "nft.owner",
    "datatokens.address",
    "datatokens.name",
    "datatokens.symbol",
    "metadata.name^10",
    "metadata.author",
    "metadata.description",
    "metadata.tags",
]
MARKET_FILTERS: list[Any] = [
    {"terms": {"chainId": [CHAIN]}},
    {"term": {"purgatory.state": False}},
    {"bool": {"must_not": [{"term": {"nft.state": 5}}]}},
]


async def search(api: Api, body: Any, status: int = 200) -> Any:
    async with api.post(QUERY, json=body) as response:
        assert response.status == status, await response.text()
        return await response.json()


def ids(result: dict[str, Any]) -> list[str]:
    return [hit["_id"] for hit in result["hits"]["hits"]]


async def test_market_search_page(api: Api) -> None:
    text_clauses = [
        {
            "query_string": {
                "query": "weather OR data",
                "fields": FIELDS,
                "minimum_should_match": "2<75%",
                "phrase_slop": 2,
                "boost": 5,
            }
        },
        {"query_string": {"query": "weatherdata*", "fields": FIELDS, "boost": 5, "lenient": True}},
        {"match_phrase": {"content": {"query": "weather data", "boost": 10}}},
        {"query_string": {"query": "*weather data*", "fields": FIELDS, "default_operator": "AND"}},
    ]
    body = {
        "from": 0,
        "size": 21,
        "query": {
            "bool": {
                "must": [{"bool": {"should": text_clauses}}],
                "filter": [
                    {"term": {"_index": "aquarius"}},
                    {"term": {"services.type": "access"}},
                    {"term": {"metadata.type": "dataset"}},
                    *MARKET_FILTERS,
                ],
            }
        },
        "sort": {"_score": "desc"},
    }
    result = await search(api, body)
    assert ids(result)[0] == WEATHER.did
    assert not {BANNED.did, POLYGON.did, TRAFFIC.did, ALGORITHM.did} & set(ids(result))
    assert set(result["hits"]["total"]) == {"value", "relation"}
    assert result["hits"]["total"]["value"] == len(ids(result))
    assert {hit["_index"] for hit in result["hits"]["hits"]} == {"aquarius"}
    assert result["hits"]["hits"][0]["_source"] == WEATHER.doc


async def test_market_tag_search_sorted_by_creation(api: Api) -> None:
    filters = [{"term": {"_index": "aquarius"}}, {"term": {"metadata.tags.keyword": "climate"}}, *MARKET_FILTERS]
    body = {"from": 0, "size": 21, "query": {"bool": {"filter": filters}}, "sort": {"nft.created": "desc"}}
    assert ids(await search(api, body)) == [UNLISTED.did, WEATHER.did]


async def test_market_top_publishers_with_negative_from(api: Api) -> None:
    body = {
        "from": -9,
        "size": 9,
        "query": {"bool": {"filter": [{"term": {"_index": "aquarius"}}, *MARKET_FILTERS]}},
        "aggs": {
            "topPublishers": {
                "terms": {"field": "nft.owner.keyword", "order": {"totalSales": "desc"}},
                "aggs": {"totalSales": {"sum": {"field": "stats.orders"}}},
            }
        },
        "sort": {"nft.created": "desc"},
    }
    buckets = (await search(api, body))["aggregations"]["topPublishers"]["buckets"]
    assert [(b["key"], int(b["totalSales"]["value"])) for b in buckets] == [(OWNER, 14), (BUYER_OWNER, 3)]


async def test_market_tag_list_aggregation_only(api: Api) -> None:
    body = {
        "from": 0,
        "size": 0,
        "query": {"bool": {"filter": [{"term": {"_index": "aquarius"}}, *MARKET_FILTERS]}},
        "aggs": {"tags": {"terms": {"field": "metadata.tags.keyword", "size": 1000}}},
    }
    result = await search(api, body)
    assert result["hits"]["hits"] == []
    tags = {b["key"]: b["doc_count"] for b in result["aggregations"]["tags"]["buckets"]}
    assert tags == {"climate": 2, "weather": 2, "traffic": 1, "mobility": 1, "ml": 1}


async def test_null_and_false_clause_elements_are_ignored(api: Api) -> None:
    body = {
        "from": 0,
        "size": 4,
        "query": {
            "bool": {
                "must_not": {"term": {"nftAddress.keyword": WEATHER.nft}},
                "filter": [
                    {"term": {"_index": "aquarius"}},
                    {"terms": {"metadata.tags.keyword": ["climate", "weather"]}},
                    None,
                    *MARKET_FILTERS,
                    None,
                ],
                "should": [False, {"term": {"chainId": CHAIN}}, False],
            }
        },
        "sort": {"stats.orders": "desc"},
    }
    assert ids(await search(api, body)) == [UNLISTED.did]


async def test_profile_filters_on_lower_cased_owner_with_a_sum(api: Api) -> None:
    filters = [{"terms": {"nft.state": [0, 4, 5]}}, {"term": {"nft.owner": BUYER_OWNER.lower()}}]
    body = {
        "from": 0,
        "size": 9,
        "query": {"bool": {"filter": filters}},
        "aggs": {"totalOrders": {"sum": {"field": "stats.orders"}}},
        "sort": {"nft.created": "desc"},
    }
    result = await search(api, body)
    assert ids(result) == [TRAFFIC.did]
    assert result["aggregations"]["totalOrders"]["value"] == 3


async def test_bookmarks_by_id_and_nautilus_ids_query(api: Api) -> None:
    bookmarks = {"query": {"bool": {"filter": [{"terms": {"_id": [WEATHER.did, POLYGON.did]}}]}}}
    assert set(ids(await search(api, bookmarks))) == {WEATHER.did, POLYGON.did}
    nautilus = {"query": {"bool": {"filter": [{"ids": {"values": [TRAFFIC.did]}}]}}}
    assert ids(await search(api, nautilus)) == [TRAFFIC.did]


async def test_size_is_clamped_never_refused(serve: Any) -> None:
    async with serve(AQUARIUS_QUERY_MAX_SIZE="2") as api:
        result = await search(api, {"size": 3000, "query": {"match_all": {}}})
    assert len(result["hits"]["hits"]) == 2
    assert result["hits"]["total"]["value"] == 7


@pytest.mark.parametrize(
    "body",
    [
        {"query": {"query_string": {"query": "name:((", "fields": ["metadata.name"]}}},
        {"query": {"no_such_query": {}}},
        {"query": {"match_all": {}}, "sort": {"undefined": "desc"}},
        {"query": {"match_all": {}}, "unknown_top_level_key": 1},
    ],
    ids=["syntax", "unknown-query", "unmapped-sort", "unknown-key"],
)
async def test_malformed_queries_are_client_errors(api: Api, body: Any) -> None:
    result = await search(api, body, status=400)
    assert set(result) == {"error"} and result["error"]


@pytest.mark.parametrize("payload", [[], "match_all", 3])
async def test_a_body_that_is_not_an_object(api: Api, payload: Any) -> None:
    expected = {"error": "Invalid payload. The request could not be converted into a dict."}
    assert await search(api, payload, 400) == expected


@pytest.mark.parametrize("key", sorted(REFUSED_KEYS))
async def test_refused_key_inside_aggregations_is_named(api: Api, key: str) -> None:
    body = {
        "size": 0,
        "aggs": {"owners": {"terms": {"field": "nft.owner.keyword"}, "aggs": {"inner": {key: {"x": 1}}}}},
    }
    result = await search(api, body, status=400)
    assert result["error"].startswith(f"`{key}` is not allowed in a query")


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"index": "aquarius_states", "query": {"match_all": {}}}, "index"),
        ({"query": {"terms": {"id": {"index": "aquarius_states", "id": "x", "path": "did"}}}}, "index"),
        ({"query": {"script_score": {"query": {"match_all": {}}, "script": {"source": "1"}}}}, "script_score"),
        ({"runtime_mappings": {"f": {"type": "keyword", "script": "emit('x')"}}}, "runtime_mappings"),
        ({"query": {"match_all": {}}, "sort": [{"_script": {"type": "number", "script": "1"}}]}, "_script"),
        ({"aggs": {"a": {"terms": {"field": "chainId", "script": "1"}}}}, "script"),
        ({"query": {"wrapper": {"query": "eyJtYXRjaF9hbGwiOnt9fQ=="}}}, "wrapper"),
    ],
    ids=["index", "terms-lookup", "script-score", "runtime-fields", "script-sort", "agg-script", "wrapper"],
)
async def test_realistic_attempts_to_escape_are_refused(api: Api, body: Any, key: str) -> None:
    assert (await search(api, body, status=400))["error"].startswith(f"`{key}` is not allowed")


async def test_another_index_named_in_a_filter_matches_nothing(api: Api) -> None:
    states = await search(api, {"query": {"term": {"_index": "aquarius_states"}}})
    assert states["hits"]["total"]["value"] == 0
    both = await search(api, {"size": 100, "query": {"terms": {"_index": ["aquarius", "aquarius_states"]}}})
    assert both["hits"]["total"]["value"] == 7
    assert all("valid" not in hit["_source"] for hit in both["hits"]["hits"])


async def test_a_field_called_index_may_be_queried(api: Api) -> None:
    assert (await search(api, {"query": {"term": {"index": 1}}}))["hits"]["total"]["value"] == 0


async def test_time_budget_answers_504(serve: Any) -> None:
    async with serve(AQUARIUS_REQUEST_TIMEOUT="0.000001") as api:
        result = await search(api, {"query": {"match_all": {}}}, status=504)
    assert "time budget" in result["error"]


async def test_body_size_limit_answers_413(serve: Any) -> None:
    async with serve(AQUARIUS_MAX_BODY_BYTES="1024") as api:
        result = await search(api, {"query": {"terms": {"_id": ["did:op:" + "a" * 64] * 20}}}, status=413)
    assert "1024" in result["error"]


async def test_ocean_node_query_form(api: Api) -> None:
    body = {
        "index": "op_ddo_v4.1.0",
        "size": 2,
        "from": 2,
        "query": {"bool": {"filter": [{"terms": {"chainId": [CHAIN]}}]}},
        "sort": {"stats.orders": "desc"},
    }
    async with api.post("/api/aquarius/assets/metadata/query", json=body) as response:
        assert response.status == 200
        pages = await response.json()
    # orders on chain 8996: WEATHER 7, UNLISTED 6, BANNED 4, TRAFFIC 3, ALGORITHM 1: page 2 of 2
    assert [[doc["id"] for doc in page] for page in pages] == [[BANNED.did, TRAFFIC.did]]
    body["index"] = "order"
    async with api.post("/api/aquarius/assets/metadata/query", json=body) as response:
        assert response.status == 400
        assert "`index` may only name the DDO collection" in (await response.json())["error"]
