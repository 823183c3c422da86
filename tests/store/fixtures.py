"""Elasticsearch fixtures: real single-node clusters from the official test distribution, started once per
session (both variants at once, in parallel) and emptied before each test that asks for one; and a two-node
cluster, started only when a test asks for it."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from aquarius.devenv.elasticsearch import (
    ElasticsearchCluster,
    ElasticsearchNode,
    start_elasticsearch,
    start_elasticsearch_cluster,
)
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


# A short write queue, so that concurrent bulk requests meet the 429 rejections a busy production node gives.
CLUSTER_WRITE_QUEUE = 4


@pytest.fixture(scope="session")
def es_cluster_nodes() -> Iterator[ElasticsearchCluster]:
    cluster = start_elasticsearch_cluster(2, extra_settings={"thread_pool.write.queue_size": str(CLUSTER_WRITE_QUEUE)})
    TIMINGS["elasticsearch two-node cluster start"] = cluster.master.startup_seconds
    yield cluster
    cluster.stop()


@pytest.fixture
def es_cluster(es_cluster_nodes: ElasticsearchCluster) -> ElasticsearchCluster:
    """A green, empty two-node cluster: node 0 the master (and data), node 1 data only."""
    for node in es_cluster_nodes.nodes:
        if not node.running:
            es_cluster_nodes.resume(node)
    es_cluster_nodes.wipe()
    return es_cluster_nodes


def pytest_sessionfinish() -> None:
    for future in _nodes.values():
        try:
            future.result().stop()
        except Exception:  # a node that failed to start has nothing to stop
            continue
    _pool.shutdown(wait=False, cancel_futures=True)
