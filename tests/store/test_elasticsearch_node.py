"""The real Elasticsearch test node answers the official async client, with security off and on."""

from __future__ import annotations

import pytest
from elasticsearch import AsyncElasticsearch, AuthenticationException

from aquarius.devenv.elasticsearch import ElasticsearchNode


async def _write_and_search(client: AsyncElasticsearch) -> None:
    await client.index(index="probe", id="did:op:1", document={"metadata": {"name": "Weather Berlin"}})
    await client.index(index="probe", id="did:op:2", document={"metadata": {"name": "MNIST images"}})
    await client.indices.refresh(index="probe")
    found = await client.search(index="probe", query={"match": {"metadata.name": "weather"}})
    assert found["hits"]["total"] == {"value": 1, "relation": "eq"}
    assert [h["_id"] for h in found["hits"]["hits"]] == ["did:op:1"]
    exact = await client.search(index="probe", query={"term": {"metadata.name.keyword": "MNIST images"}})
    assert [h["_id"] for h in exact["hits"]["hits"]] == ["did:op:2"]


async def test_write_and_search_security_off(es: ElasticsearchNode) -> None:
    async with AsyncElasticsearch(es.url) as client:
        await _write_and_search(client)


async def test_write_and_search_security_on(es_secure: ElasticsearchNode) -> None:
    assert es_secure.auth is not None
    async with AsyncElasticsearch(es_secure.url, basic_auth=es_secure.auth) as client:
        await _write_and_search(client)
    async with AsyncElasticsearch(es_secure.url, basic_auth=(es_secure.auth[0], "wrong")) as client:
        with pytest.raises(AuthenticationException):
            await client.search(index="probe")
    async with AsyncElasticsearch(es_secure.url) as client:
        with pytest.raises(AuthenticationException):
            await client.search(index="probe")


def test_each_test_gets_an_empty_cluster(es: ElasticsearchNode) -> None:
    status, body = es.request("GET", "/_cat/indices?format=json")
    assert status == 200
    assert [i["index"] for i in body if not i["index"].startswith(".")] == []  # type: ignore[union-attr]
