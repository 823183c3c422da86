"""The compose file's `cluster` profile, checked without Docker: a two-node Elasticsearch cluster that keeps its
master when the data node goes away, one indexer per chain, and API replicas, all configured with settings the
program knows and parses to the intended topology."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from aquarius.config import load_settings

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


@pytest.fixture(scope="module")
def cluster() -> dict[str, Any]:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    return {
        "all": services,
        "profile": {name: s for name, s in services.items() if "cluster" in s.get("profiles", [])},
    }


def _settings(service: dict[str, Any]) -> Any:
    return load_settings({name: str(value) for name, value in service["environment"].items()})


def test_profile_services_and_dependencies(cluster: dict[str, Any]) -> None:
    profile, everything = cluster["profile"], cluster["all"]
    assert set(profile) == {"es01", "es02", "chain-b", "deploy-b", "indexer-8996", "indexer-8997", "api"}
    for service in profile.values():
        for dependency in service.get("depends_on", {}):
            # within the profile, or a service every profile has
            assert dependency in profile or "profiles" not in everything[dependency]


def test_two_elasticsearch_nodes_one_master(cluster: dict[str, Any]) -> None:
    nodes = {name: cluster["profile"][name]["environment"] for name in ("es01", "es02")}
    assert {env["node.name"] for env in nodes.values()} == set(nodes)
    assert {env["cluster.name"] for env in nodes.values()} == {"aquarius"}
    masters = [name for name, env in nodes.items() if "master" in env["node.roles"].split(",")]
    assert masters == ["es01"]
    for env in nodes.values():
        assert set(env["discovery.seed_hosts"].split(",")) == set(nodes)
        assert env["cluster.initial_master_nodes"] == "es01"
        assert "data" in env["node.roles"].split(",")


def test_one_indexer_per_chain_on_every_node_with_a_replica(cluster: dict[str, Any]) -> None:
    profile, everything = cluster["profile"], cluster["all"]
    chains = {}
    for name in ("indexer-8996", "indexer-8997"):
        assert profile[name]["command"] == ["index"]
        settings = _settings(profile[name])
        assert settings.store == "elasticsearch" and settings.db_replicas == 1
        assert settings.es_urls == ["http://es01:9200", "http://es02:9200"]
        [chain] = settings.chains
        chains[chain.chain_id] = chain.rpc_urls[0]
        assert name == f"indexer-{chain.chain_id}"
        deploy = everything["deploy" if chain.chain_id == 8996 else "deploy-b"]["environment"]
        assert (deploy["CHAIN_RPC"], deploy["ADDRESS_FILE"]) == (chain.rpc_urls[0], str(settings.address_file))
    assert chains == {8996: "http://chain:8545", 8997: "http://chain-b:8545"}


def test_api_replicas_serve_the_same_store_and_know_both_chains(cluster: dict[str, Any]) -> None:
    api = cluster["profile"]["api"]
    assert api["command"] == ["serve"] and api["deploy"]["replicas"] == 2
    assert api["ports"] == ["127.0.0.1:5001-5002:5000"]
    settings = _settings(api)
    indexer = _settings(cluster["profile"]["indexer-8996"])
    assert (settings.es_urls, settings.db_index) == (indexer.es_urls, indexer.db_index)
    assert {c.chain_id for c in settings.chains} == {8996, 8997}
    assert settings.bind_url.endswith(":5000")
