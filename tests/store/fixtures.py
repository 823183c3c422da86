"""Elasticsearch fixtures: real single-node clusters from the official test distribution, started once per
session (both variants at once, in parallel) and emptied before each test that asks for one."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from aquarius.devenv.elasticsearch import ElasticsearchNode, start_elasticsearch
from tests.infra_timings import TIMINGS

_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="es-start")
_nodes: dict[str, Future[ElasticsearchNode]] = {}


def _start_both() -> None:
    if not _nodes:
        _nodes["plain"] = _pool.submit(start_elasticsearch)
        _nodes["secure"] = _pool.submit(start_elasticsearch, security=True)


def _node(kind: str) -> ElasticsearchNode:
    _start_both()
    node = _nodes[kind].result()
    TIMINGS[f"elasticsearch ({kind}) start"] = node.startup_seconds
    return node


@pytest.fixture(scope="session")
def es_node() -> Iterator[ElasticsearchNode]:
    node = _node("plain")
    yield node
    node.stop()


@pytest.fixture(scope="session")
def es_secure_node() -> Iterator[ElasticsearchNode]:
    node = _node("secure")
    yield node
    node.stop()


@pytest.fixture
def es(es_node: ElasticsearchNode) -> ElasticsearchNode:
    """A ready, empty cluster with security off."""
    es_node.wipe()
    return es_node


@pytest.fixture
def es_secure(es_secure_node: ElasticsearchNode) -> ElasticsearchNode:
    """A ready, empty cluster with security on (basic auth; `node.auth` holds the credentials)."""
    es_secure_node.wipe()
    return es_secure_node


def pytest_sessionfinish() -> None:
    for future in _nodes.values():
        try:
            future.result().stop()
        except Exception:  # a node that failed to start has nothing to stop
            continue
    _pool.shutdown(wait=False, cancel_futures=True)
