"""The query bodies of the conformance suite: every shape the clients send (the Ocean Market's builders with many
inputs, the Pontus-X portal, ocean.py, Nautilus), the rest of the supported subset, aggregations, and hostile or
unsupported bodies. Each case names the feature it exercises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.conformance.corpus import OWNERS, make_corpus

SEARCH_FIELDS = [
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
_RESERVED = set('!*+-=<>&|()[]{}^~?:\\/"')


@dataclass(frozen=True)
class Case:
    feature: str
    body: dict[str, Any]
    unsupported: bool = False  # the embedded store must refuse it with UnsupportedQuery

    @property
    def scored(self) -> bool:
        sort = self.body.get("sort")
        return sort is None or sort == {"_score": "desc"} or sort == "_score"


def escape(text: str) -> str:
    return "".join("\\" + c if c in _RESERVED else c for c in text)


def base_query(
    filters: list[Any] | None = None,
    chains: list[int] | None = None,
    size: int | None = None,
    start: int = 0,
    sort: dict[str, str] | None = None,
    aggs: dict[str, Any] | None = None,
    nested: dict[str, Any] | None = None,
    ignore_purgatory: bool = False,
    ignore_state: bool = False,
    access_dataset_only: bool = False,
) -> dict[str, Any]:
    """The market's `generateBaseQuery`."""
    flt: list[Any] = [{"term": {"_index": "aquarius"}}]
    if access_dataset_only:
        flt += [{"term": {"services.type": "access"}}, {"term": {"metadata.type": "dataset"}}]
    flt += filters or []
    flt.append({"terms": {"chainId": chains if chains is not None else [1, 137]}})
    if not ignore_purgatory:
        flt.append({"term": {"purgatory.state": False}})
    if not ignore_state:
        flt.append({"bool": {"must_not": [{"term": {"nft.state": 5}}]}})
    body: dict[str, Any] = {
        "from": start,
        "size": size if size is not None and size >= 0 else 1000,
        "query": {"bool": {**(nested or {}), "filter": flt}},
    }
    if aggs:
        body["aggs"] = aggs
    if sort:
        body["sort"] = sort
    return body


def search_page(
    text: str,
    page: int = 1,
    offset: int = 21,
    sort: str | None = "_score",
    order: str = "desc",
    service_type: str | None = None,
    access_type: str | None = None,
    chains: list[int] | None = None,
    tags: list[str] | str | None = None,
) -> dict[str, Any]:
    """The market's search page (`getSearchQuery`)."""
    text = escape(text)
    filters: list[Any] = []
    nested = None
    if tags:
        key = "terms" if isinstance(tags, list) else "term"
        filters.append({key: {"metadata.tags.keyword": tags}})
    else:
        term = text.strip()
        words = term.split(" ")
        prefixed = ("*" + term + "*") if term else "**"
        nested = {
            "must": [
                {
                    "bool": {
                        "should": [
                            {
                                "query_string": {
                                    "query": " OR ".join(words).strip(),
                                    "fields": SEARCH_FIELDS,
                                    "minimum_should_match": "2<75%",
                                    "phrase_slop": 2,
                                    "boost": 5,
                                }
                            },
                            {
                                "query_string": {
                                    "query": "".join(words).strip() + "*",
                                    "fields": SEARCH_FIELDS,
                                    "boost": 5,
                                    "lenient": True,
                                }
                            },
                            {"match_phrase": {"content": {"query": term, "boost": 10}}},
                            {"query_string": {"query": prefixed, "fields": SEARCH_FIELDS, "default_operator": "AND"}},
                        ]
                    }
                }
            ]
        }
    if access_type:
        filters.append({"term": {"services.type": access_type}})
    if service_type:
        filters.append({"term": {"metadata.type": service_type}})
    return base_query(
        filters,
        chains=chains,
        size=offset,
        start=(page - 1) * offset,
        sort={str(sort): order} if sort is not None else {"undefined": "desc"},
        nested=nested,
    )


def pontus_search(text: str, types: list[str], chains: list[int]) -> dict[str, Any]:
    body = search_page(text, chains=chains)
    must = body["query"]["bool"]["must"]
    saas = {"exists": {"field": "metadata.additionalInformation.saas.redirectUrl"}}
    must.append({"bool": {"should": [{"terms": {"metadata.type": types}}, saas], "minimum_should_match": 1}})
    body["query"]["bool"]["filter"] = [
        {"terms": {"metadata.type": ["algorithm", "dataset"]}},
        {"terms": {"chainId": chains}},
        {"terms": {"_index": ["v510", "aquarius"]}},
        {"term": {"purgatory.state": False}},
        {"bool": {"must_not": [{"term": {"nft.state": 5}}, None, {"term": {"price.type": "pool"}}]}},
    ]
    return body


def _corpus_values() -> tuple[list[str], list[str], list[str]]:
    docs = make_corpus()
    dids = [d["id"] for d in docs]
    nfts = [d["nftAddress"] for d in docs]
    datatokens = [d["services"][0]["datatokenAddress"] for d in docs]
    return dids, nfts, datatokens


def cases() -> list[Case]:
    dids, nfts, datatokens = _corpus_values()
    out: list[Case] = []

    def add(feature: str, body: dict[str, Any], unsupported: bool = False) -> None:
        out.append(Case(feature, body, unsupported))

    # --- the Ocean Market -------------------------------------------------------------------------------------
    for text in [
        "weather data",
        "weather",
        "Branin dataset 1",
        "ocean-data: v2/x",
        "traffic*",
        "München",
        "東京",
        "0x",
        dids[3][:20],
        "mnist images labelled",
        "",
        "climate Energy",
        "DT12",
        "naïve café",
        "x/y",
        "Paris",
        "nonexistentword",
        "Ocean Labs",
        "a OR b",
        "(weather)",
    ]:
        add("market search", search_page(text))
    for kwargs in [
        {"page": 2, "offset": 9},
        {"sort": "nft.created", "order": "desc"},
        {"sort": "nft.created", "order": "asc", "service_type": "dataset"},
        {"sort": "stats.price.value", "order": "asc"},
        {"sort": "stats.allocated", "order": "desc", "access_type": "access"},
        {"service_type": "algorithm", "access_type": "compute", "chains": [1, 137, 56, 32456, 8996]},
        {"chains": [56]},
        {"chains": []},
        {"sort": None},
    ]:
        add("market search", search_page("data", **kwargs))  # type: ignore[arg-type]
    add("market search", search_page("", sort="nft.created", chains=[1, 137, 56, 32456, 8996], offset=50))
    for tags in ["climate", ["climate", "weather"], "Energy", "energy", ["gaia-x"]]:
        add("market tags", search_page("", tags=tags, sort="nft.created", chains=[1, 137, 56]))
    for sort in ["nft.created", "stats.orders", "stats.allocated"]:
        add("market home", base_query(size=6, sort={sort: "desc"}, chains=[1, 137, 56, 32456, 8996]))
        add("market home", base_query(size=6, sort={sort: "desc"}, access_dataset_only=True))
    add("market bookmarks", base_query([{"terms": {"_id": dids[:40:3]}}], ignore_purgatory=True))
    add("market bookmarks", base_query([{"terms": {"_id": dids[100:110]}}], size=6, chains=[56, 8996]))
    add("market bookmarks", base_query([{"terms": {"_id": []}}]))
    add("market allocations", base_query([{"terms": {"nftAddress": [n.lower() for n in nfts[:30]]}}]))
    add("market allocations", base_query([{"terms": {"nftAddress": nfts[:30]}}]))  # checksummed: nothing
    add("market allocations", base_query([{"terms": {"nftAddress.keyword": nfts[:30]}}]))
    for owner in OWNERS[:4]:
        add(
            "market profile",
            base_query(
                [{"terms": {"nft.state": [0, 4, 5]}}, {"term": {"nft.owner": owner}}],
                size=9,
                sort={"nft.created": "desc"},
                aggs={"totalOrders": {"sum": {"field": "stats.orders"}}},
                ignore_purgatory=True,
                chains=[1, 137, 56, 32456, 8996],
            ),
        )
    add(
        "market profile",
        base_query([{"term": {"nft.owner": OWNERS[1].upper()}}], size=9, sort={"nft.created": "desc"}),
    )
    top_publishers = {
        "topPublishers": {
            "terms": {"field": "nft.owner.keyword", "order": {"totalSales": "desc"}},
            "aggs": {"totalSales": {"sum": {"field": "stats.orders"}}},
        }
    }
    add("market aggregations", {**base_query(size=9, aggs=top_publishers, sort={"nft.created": "desc"}), "from": 0})
    add("market aggregations", {**base_query(size=9, aggs=top_publishers, chains=[1, 137, 56, 32456, 8996])})
    add("market aggregations", {**base_query(aggs=top_publishers), "from": -9, "size": 9})
    top_tags = {
        "topTags": {
            "terms": {"field": "metadata.tags.keyword", "size": 20, "order": {"totalSales": "desc"}},
            "aggs": {"totalSales": {"sum": {"field": "stats.orders"}}},
        }
    }
    add("market aggregations", base_query(size=0, aggs=top_tags, chains=[1, 137, 56, 32456, 8996]))
    add(
        "market aggregations",
        base_query(size=0, aggs={"tags": {"terms": {"field": "metadata.tags.keyword", "size": 1000}}}),
    )
    for dts in [datatokens[:25], [d.lower() for d in datatokens[:25]]]:
        add(
            "market downloads",
            base_query([{"terms": {"services.datatokenAddress": dts}}, {"term": {"services.type": "access"}}]),
        )
    for n, tagset in [(4, ["climate", "weather"]), (4, ["finance"]), (2, ["ai", "health", "Energy"])]:
        add(
            "market related",
            {
                "from": 0,
                "size": n,
                "query": {
                    "bool": {
                        "must_not": {"term": {"nftAddress.keyword": nfts[5]}},
                        "filter": [
                            {"term": {"_index": "aquarius"}},
                            {"terms": {"metadata.tags.keyword": tagset}},
                            None,
                            {"terms": {"chainId": [1, 137, 56, 32456, 8996]}},
                            {"term": {"purgatory.state": False}},
                            {"bool": {"must_not": [{"term": {"nft.state": 5}}]}},
                        ],
                    }
                },
                "sort": {"stats.orders": "desc"},
            },
        )
    for owner in OWNERS[2:5]:
        add(
            "market related",
            base_query(
                [None, {"term": {"nft.owner.keyword": owner}}],
                size=4,
                sort={"stats.orders": "desc"},
                chains=[1, 137, 56, 32456, 8996],
            ),
        )
    algo = "did:op:" + __import__("hashlib").sha256(b"algo1").hexdigest()
    add(
        "market compute",
        base_query(
            size=1000,
            sort={"nft.created": "desc"},
            nested={"must": {"match": {"services.compute.publisherTrustedAlgorithms.did": {"query": algo}}}},
            chains=[1, 137, 56, 32456, 8996],
        ),
    )
    add(
        "market compute",
        base_query(
            [
                {"term": {"metadata.type": "algorithm"}},
                {"terms": {"_id": dids[3:80:4]}},
                {"terms": {"nft.owner": [o.upper() for o in OWNERS[:3]]}},
            ]
        ),
    )
    add(
        "market compute",
        base_query(
            [
                {"term": {"metadata.type": "algorithm"}},
                {"terms": {"_id": dids[3:80:4]}},
                {"terms": {"nft.owner": OWNERS[:5]}},
            ]
        ),
    )
    add(
        "market compute",
        base_query(
            [
                {"terms": {"services.datatokenAddress": [d.lower() for d in datatokens[:60]]}},
                {"term": {"services.type": "compute"}},
                {"term": {"metadata.type": "dataset"}},
            ],
            chains=[1, 137, 56, 32456, 8996],
        ),
    )

    # --- Pontus-X, Nautilus, ocean.py, status-service ---------------------------------------------------------
    for text, types, chains in [
        ("traffic", ["algorithm"], [32456, 1]),
        ("", ["algorithm", "dataset"], [1, 137, 56]),
        ("weather data", ["dataset"], [137, 8996]),
    ]:
        add("pontus-x", pontus_search(text, types, chains))
    add("pontus-x", {"from": 0, "size": 3000, "query": {"bool": {"filter": [{"terms": {"_index": ["v510", "v510"]}}]}}})
    add(
        "pontus-x",
        {
            "from": 0,
            "size": 21,
            "query": {
                "bool": {
                    "must": [{"match_phrase": {"services.compute.publisherTrustedAlgorithms.did": algo}}],
                    "filter": [{"terms": {"nft.owner": [o.lower() for o in OWNERS]}}],
                }
            },
        },
    )
    add(
        "pontus-x",
        {
            "size": 10,
            "query": {
                "bool": {
                    "must": [
                        {
                            "bool": {
                                "should": [{"match": {"nft.owner": OWNERS[0]}}, {"match": {"nft.owner": OWNERS[3]}}],
                                "minimum_should_match": 1,
                            }
                        }
                    ]
                }
            },
            "sort": {"nft.created": "desc"},
        },
    )
    add("nautilus", {"query": {"bool": {"filter": [{"ids": {"values": [d.lower() for d in dids[:30]]}}]}}})
    add("nautilus", {"query": {"bool": {"filter": [{"ids": {"values": [*dids[200:205], "did:op:missing"]}}]}}})
    for text in [
        "Branin dataset 1",
        "weather",
        escape(dids[10]).replace("\\", "\\", 1),
        dids[10].replace(":", "\\:"),
        "München",
        "ocean AND data",
        "traffic -berlin",
        "+weather +data",
        '"weather data"',
        "energy*",
        "*",
        "wind OR solar OR rainfall",
        "NOT weather",
        "metadata.type:algorithm",
        "chainId:137",
        "5",
    ]:
        add("ocean.py", {"query": {"query_string": {"query": text}}})
    add("ocean.py", {"query": {"query_string": {"query": "Branin dataset 1", "fields": ["metadata.name"]}}})
    add(
        "status-service",
        {
            "size": 9,
            "query": {
                "bool": {
                    "filter": [
                        {"terms": {"chainId": [137]}},
                        {"term": {"_index": "aquarius"}},
                        {"term": {"purgatory.state": False}},
                    ]
                }
            },
            "sort": {"stats.orders": "desc"},
        },
    )
    add("docs", {"query": {"match_all": {}}})
    add("docs", {"query": {"match_all": {"boost": 2}}, "size": 5})

    # --- the rest of the supported subset ---------------------------------------------------------------------
    add("bool", {"query": {"bool": {}}})
    add("bool", {"query": {"bool": {"must_not": {"term": {"chainId": 1}}}}, "size": 400})
    add(
        "bool",
        {
            "query": {
                "bool": {
                    "should": [{"term": {"metadata.tags.keyword": "ai"}}, {"term": {"chainId": 1}}],
                    "minimum_should_match": 2,
                }
            }
        },
    )
    add(
        "bool",
        {
            "query": {
                "bool": {
                    "should": [
                        {"term": {"metadata.tags.keyword": "ai"}},
                        {"term": {"chainId": 1}},
                        {"term": {"nft.state": 0}},
                    ],
                    "minimum_should_match": "-1",
                }
            },
            "size": 100,
        },
    )
    add(
        "bool",
        {
            "query": {
                "bool": {
                    "should": [
                        {"term": {"metadata.tags.keyword": "ai"}},
                        {"term": {"chainId": 1}},
                        {"term": {"nft.state": 0}},
                    ],
                    "minimum_should_match": "67%",
                }
            },
            "size": 100,
        },
    )
    add(
        "bool",
        {
            "query": {
                "bool": {
                    "must": {"match": {"metadata.description": "weather"}},
                    "should": {"match": {"metadata.description": "ocean"}},
                }
            }
        },
    )
    add(
        "bool",
        {
            "query": {"bool": {"filter": {"bool": {"should": [{"term": {"chainId": 1}}, {"term": {"chainId": 56}}]}}}},
            "size": 200,
        },
    )
    add("bool", {"query": {"bool": {"must": [], "filter": [False, {"term": {"chainId": 1}}]}}, "size": 100})
    add("bool", {"query": {"bool": {"must_not": [{"exists": {"field": "stats"}}]}}, "size": 100})
    add("term", {"query": {"term": {"metadata.type": "dataset"}}, "size": 300})
    add("term", {"query": {"term": {"metadata.type": "Dataset"}}})
    add("term", {"query": {"term": {"metadata.tags": "open"}}, "size": 200})
    add("term", {"query": {"term": {"metadata.tags.keyword": "open-data"}}, "size": 200})
    add("term", {"query": {"term": {"metadata.name.keyword": "Branin dataset 1"}}})
    add("term", {"query": {"term": {"nft.state": {"value": 3, "boost": 2.0}}}, "size": 100})
    add("term", {"query": {"term": {"purgatory.state": True}}, "size": 100})
    add("term", {"query": {"term": {"purgatory.state": "true"}}, "size": 100})
    add("term", {"query": {"term": {"stats.price.value": 2.5}}, "size": 100})
    add("term", {"query": {"term": {"stats.orders": "13"}}, "size": 100})
    add("term", {"query": {"term": {"stats.orders": 1.5}}, "size": 100})
    add("term", {"query": {"term": {"services.timeout": 3600}}, "size": 200})
    add("term", {"query": {"term": {"content": "anything"}}})
    add("term", {"query": {"term": {"_id": dids[42]}}})
    add("term", {"query": {"term": {"_index": "other"}}})
    add("term", {"query": {"term": {"nft.created": "2023-12-08T11:00:00Z"}}})
    add("terms", {"query": {"terms": {"chainId": [1, 56]}}, "size": 200})
    add("terms", {"query": {"terms": {"metadata.tags.keyword": ["Energy", "energy"]}}, "size": 200})
    add("terms", {"query": {"terms": {"metadata.author": ["labs", "müller"]}}, "size": 200})
    add("terms", {"query": {"terms": {"nft.state": ["1", 2]}}, "size": 200})
    add("match", {"query": {"match": {"metadata.name": "weather"}}})
    add("match", {"query": {"match": {"metadata.description": {"query": "weather rainfall", "operator": "and"}}}})
    add(
        "match",
        {"query": {"match": {"metadata.description": {"query": "weather rainfall solar", "minimum_should_match": 2}}}},
    )
    add("match", {"query": {"match": {"metadata.description": {"query": "WIND Solar"}}}, "size": 50})
    add("match", {"query": {"match": {"metadata.name": "München"}}})
    add("match", {"query": {"match": {"metadata.name": "東京"}}})
    add("match", {"query": {"match": {"metadata.name.keyword": "Branin dataset 1"}}})
    add("match", {"query": {"match": {"chainId": "137"}}, "size": 100})
    add("match", {"query": {"match": {"metadata.name": {"query": "...", "zero_terms_query": "all"}}}, "size": 5})
    add("match", {"query": {"match": {"missing.field": "x"}}})
    add("match_phrase", {"query": {"match_phrase": {"metadata.description": "weather data"}}})
    add(
        "match_phrase",
        {
            "query": {"match_phrase": {"metadata.description": "ocean-data: x/y"}},
            "size": 400,
            "sort": [{"event.block": "asc"}],
        },
    )
    add("match_phrase", {"query": {"match_phrase": {"metadata.name": "branin dataset"}}})
    add("match_phrase", {"query": {"match_phrase": {"content": ""}}})
    add("match_phrase", {"query": {"match_phrase": {"metadata.description": {"query": "traffic flow", "boost": 3}}}})
    add(
        "match_phrase",
        {"query": {"match_phrase": {"metadata.description": {"query": "weather data", "slop": 2}}}},
        unsupported=True,
    )
    add(
        "query_string",
        {"query": {"query_string": {"query": "weather AND (rainfall OR solar)", "fields": ["metadata.description"]}}},
    )
    add(
        "query_string",
        {"query": {"query_string": {"query": "metadata.tags:climate", "default_operator": "AND"}}, "size": 200},
    )
    add("query_string", {"query": {"query_string": {"query": "metadata.name:(weather OR traffic)^2 chainId:56"}}})
    add(
        "query_string",
        {
            "query": {"query_string": {"query": "*eather", "fields": ["metadata.name", "metadata.description"]}},
            "size": 300,
        },
    )
    add(
        "query_string",
        {"query": {"query_string": {"query": "wea?her", "fields": ["metadata.description"]}}, "size": 300},
    )
    add("query_string", {"query": {"query_string": {"query": "*", "fields": ["metadata.tags"]}}, "size": 400})
    add("query_string", {"query": {"query_string": {"query": '"city traffic"', "fields": ["metadata.*"]}}})
    add("query_string", {"query": {"query_string": {"query": "weather~2"}}}, unsupported=True)
    add("query_string", {"query": {"query_string": {"query": "stats.orders:[1 TO 5]"}}}, unsupported=True)
    add("query_string", {"query": {"query_string": {"query": "/wea.*/"}}}, unsupported=True)
    add("exists", {"query": {"exists": {"field": "metadata.additionalInformation.saas.redirectUrl"}}, "size": 100})
    add("exists", {"query": {"exists": {"field": "metadata.additionalInformation"}}, "size": 100})
    add("exists", {"query": {"exists": {"field": "metadata.algorithm.consumerParameters.name"}}, "size": 100})
    add(
        "term",
        {"query": {"term": {"metadata.additionalInformation.saas.redirectUrl.keyword": "https://saas.example/2"}}},
    )
    add("query_string", {"query": {"query_string": {"query": "iterations OR saas.example"}}, "size": 100})
    add("exists", {"query": {"exists": {"field": "stats.allocated"}}, "size": 200})
    add("exists", {"query": {"exists": {"field": "metadata.algorithm"}}, "size": 200})
    add("exists", {"query": {"exists": {"field": "price.type"}}})
    add("exists", {"query": {"exists": {"field": "purgatory.reason"}}, "size": 400})
    add("ids", {"query": {"ids": {"values": dids[::25]}}, "size": 50})
    add("range", {"query": {"range": {"stats.orders": {"gt": 0}}}, "size": 400})
    add("range", {"query": {"range": {"stats.price.value": {"gte": 1, "lt": 10}}}, "size": 400})
    add("range", {"query": {"range": {"event.block": {"gte": 1_005_000, "lte": 1_008_000}}}, "size": 400})
    add(
        "range", {"query": {"range": {"nft.created": {"gte": "2023-01-01", "lt": "2023-06-01T00:00:00Z"}}}, "size": 400}
    )
    add("range", {"query": {"range": {"stats.orders": {"gte": 1.5}}}, "size": 400})
    add("range", {"query": {"range": {"metadata.license.keyword": {"gte": "CC", "lt": "N"}}}, "size": 400})
    add("range", {"query": {"range": {"nft.created": {"gte": "now-1d"}}}}, unsupported=True)
    add("sort", {"query": {"match_all": {}}, "sort": [{"chainId": "asc"}, {"event.block": "desc"}], "size": 50})
    add("sort", {"query": {"match_all": {}}, "sort": ["metadata.name.keyword"], "size": 50, "from": 100})
    add(
        "sort",
        {
            "query": {"match_all": {}},
            "sort": [{"stats.price.value": {"order": "desc", "missing": "_first"}}, {"event.block": "asc"}],
            "size": 60,
        },
    )
    add(
        "sort",
        {
            "query": {"match_all": {}},
            "sort": [{"stats.allocated": {"order": "asc", "missing": "_last"}}, {"event.block": "asc"}],
            "size": 60,
            "from": 80,
        },
    )
    add(
        "sort",
        {"query": {"match_all": {}}, "sort": [{"metadata.tags.keyword": "desc"}, {"event.block": "asc"}], "size": 60},
    )
    add("sort", {"query": {"match_all": {}}, "sort": [{"metadata.created": "asc"}], "size": 30})
    # one field: the page is read in the field's term order (multi-valued, ties, missing values after the last)
    add("sort", {"query": {"match_all": {}}, "sort": [{"metadata.tags.keyword": "asc"}], "size": 40, "from": 150})
    add("sort", {"query": {"match_all": {}}, "sort": {"metadata.tags.keyword": "desc"}, "size": 320})
    add("sort", {"query": {"term": {"chainId": 137}}, "sort": {"stats.allocated": "desc"}, "size": 30, "from": 10})
    add(
        "sort", {"query": {"match_all": {}}, "sort": [{"purgatory.state": "desc"}, {"event.block": "desc"}], "size": 30}
    )
    add(
        "sort",
        {
            "query": {"match": {"metadata.description": "weather"}},
            "sort": [{"stats.orders": "desc"}, "_score"],
            "size": 30,
        },
    )
    add(
        "sort",
        {
            "query": {"match_all": {}},
            "sort": [{"nope": {"order": "asc", "unmapped_type": "long"}}, {"event.block": "asc"}],
            "size": 10,
        },
    )
    add(
        "sort",
        {"query": {"match_all": {}}, "sort": [{"stats.orders": {"order": "asc", "mode": "avg"}}]},
        unsupported=True,
    )
    add("paging", {"query": {"match_all": {}}, "from": 310, "size": 20, "sort": [{"event.block": "asc"}]})
    add("paging", {"query": {"match_all": {}}, "size": 0})
    add("paging", {"query": {"match_all": {}}, "from": 500, "sort": [{"event.block": "asc"}]})
    add("paging", {"query": {"match_all": {}}, "track_total_hits": 100, "size": 1})
    add("paging", {"query": {"match_all": {}}, "track_total_hits": True, "size": 1})
    add("source", {"query": {"ids": {"values": dids[:3]}}, "_source": ["metadata.name", "chainId"]})
    add("source", {"query": {"ids": {"values": dids[:3]}}, "_source": False})

    # --- aggregations ---------------------------------------------------------------------------------------
    for field in ["stats.orders", "stats.price.value", "stats.allocated", "chainId", "nft.created", "missing.field"]:
        add(
            "aggregations",
            {"size": 0, "aggs": {m: {m: {"field": field}} for m in ["sum", "avg", "min", "max", "value_count"]}},
        )
    add(
        "aggregations",
        {
            "size": 0,
            "aggs": {"c": {"cardinality": {"field": "nft.owner.keyword"}}, "d": {"cardinality": {"field": "chainId"}}},
        },
    )
    add(
        "aggregations",
        {
            "size": 0,
            "aggs": {
                "chains": {
                    "terms": {"field": "chainId"},
                    "aggs": {
                        "avgPrice": {"avg": {"field": "stats.price.value"}},
                        "maxOrders": {"max": {"field": "stats.orders"}},
                    },
                }
            },
        },
    )
    add(
        "aggregations",
        {
            "size": 0,
            "aggs": {
                "chains": {
                    "terms": {"field": "chainId", "order": {"avgPrice": "asc"}},
                    "aggs": {"avgPrice": {"avg": {"field": "stats.price.value"}}},
                }
            },
        },
    )
    add(
        "aggregations",
        {
            "size": 0,
            "aggs": {
                "types": {
                    "terms": {"field": "metadata.type.keyword", "order": {"_key": "asc"}},
                    "aggs": {"tags": {"terms": {"field": "metadata.tags.keyword", "size": 3}}},
                }
            },
        },
    )
    add(
        "aggregations",
        {"size": 0, "aggs": {"states": {"terms": {"field": "nft.state", "size": 3, "order": {"_count": "asc"}}}}},
    )
    add("aggregations", {"size": 0, "aggs": {"purg": {"terms": {"field": "purgatory.state"}}}})
    add("aggregations", {"size": 0, "aggs": {"prices": {"terms": {"field": "stats.price.value"}}}})
    add(
        "aggregations",
        {
            "size": 0,
            "aggs": {
                "paid": {
                    "filter": {"range": {"stats.price.value": {"gt": 0}}},
                    "aggs": {
                        "orders": {"sum": {"field": "stats.orders"}},
                        "owners": {"terms": {"field": "nft.owner.keyword", "size": 5}},
                    },
                }
            },
        },
    )
    add(
        "aggregations",
        {
            "query": {"term": {"chainId": 137}},
            "size": 2,
            "aggs": {"tags": {"terms": {"field": "metadata.tags.keyword", "size": 4}}},
        },
    )
    add("aggregations", {"size": 0, "aggs": {"x": {"terms": {"field": "missing.keyword"}}}})
    add(
        "aggregations",
        {"size": 0, "aggs": {"h": {"date_histogram": {"field": "nft.created", "calendar_interval": "month"}}}},
        unsupported=True,
    )
    add("aggregations", {"size": 0, "aggs": {"s": {"stats": {"field": "stats.orders"}}}}, unsupported=True)

    # --- malformed, hostile and unsupported -------------------------------------------------------------------
    add("errors", {"query": {"bool": {"must": {"term": {"chainId": 1}}, "oops": []}}})
    add("errors", {"query": {"term": {}}})
    add("errors", {"query": {"match_all": {}}, "from": -9})
    add("errors", {"query": {"match_all": {}}, "size": -1})
    add("errors", {"query": {"match_all": {}}, "from": 9995, "size": 10})
    add("errors", {"query": {"match_all": {}}, "sort": {"undefined": "desc"}})
    add("errors", {"query": {"match_all": {}}, "sort": {"metadata.name": "asc"}})
    add("errors", {"query": {"match_all": {}}, "sort": {"chainId": "sideways"}})
    add("errors", {"size": 0, "aggs": {"t": {"terms": {"field": "metadata.name"}}}})
    add("errors", {"size": 0, "aggs": {"t": {"sum": {"field": "metadata.name.keyword"}}}})
    add("errors", {"query": {"bool": {"should": [{"term": {"chainId": 1}}], "minimum_should_match": "lots"}}})
    add("errors", {"query": {"query_string": {"query": "(weather"}}})
    add("errors", {"query": {"query_string": {"query": "-"}}})
    add("errors", {"query": {"query_string": {"query": "weather", "fields": ["chainId"]}}})
    add("errors", {"query": {"term": {"chainId": "abc"}}})
    add("errors", {"query": {"no_such_query": {}}})
    add("errors", {"query": {"match_all": {}}, "nonsense": 1})
    for name, spec in [
        ("fuzzy", {"metadata.name": "wether"}),
        ("prefix", {"metadata.name": "wea"}),
        ("wildcard", {"metadata.name": "wea*"}),
        ("regexp", {"metadata.name": "wea.*"}),
        ("multi_match", {"query": "weather", "fields": ["metadata.name"]}),
        ("nested", {"path": "services", "query": {"match_all": {}}}),
        ("function_score", {"query": {"match_all": {}}}),
        ("simple_query_string", {"query": "weather"}),
        ("script", {"script": "true"}),
    ]:
        add("unsupported", {"query": {name: spec}}, unsupported=True)
    add("unsupported", {"query": {"match_all": {}}, "highlight": {"fields": {"metadata.name": {}}}}, unsupported=True)
    add("unsupported", {"query": {"match_all": {}}, "search_after": [1]}, unsupported=True)
    add("unsupported", {"query": {"match_all": {}}, "post_filter": {"term": {"chainId": 1}}}, unsupported=True)
    return out
