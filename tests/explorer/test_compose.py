"""docker-compose.yml, checked without Docker: its services, that the daemon's environment is settings the
program knows and that parse to the intended configuration, that the published ports are the configured ones,
and that the deploy service's script deploys the Ocean contracts on a real chain."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import yaml
from pydantic import AliasChoices

from aquarius.config import Settings, load_settings
from aquarius.contracts import addresses_for_chain
from tests.chain.fixtures import Chain

COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text())["services"]


def setting_names() -> set[str]:
    names: set[str] = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        names.update([alias] if isinstance(alias, str) else alias.choices if isinstance(alias, AliasChoices) else [])
    return names


def published(service: dict[str, Any]) -> dict[int, int]:
    """Container port -> host port."""
    ports = {}
    for entry in service.get("ports", []):
        *_, host, container = str(entry).split(":")
        ports[int(container)] = int(host)
    return ports


def test_services_and_their_dependencies(services: dict[str, Any]) -> None:
    assert {name for name, service in services.items() if "profiles" not in service} == {
        "elasticsearch",
        "chain",
        "deploy",
        "aquarius",
    }
    for service in services.values():
        assert set(service.get("depends_on", {})) <= set(services)
    assert services["aquarius"]["command"] == ["run"]
    assert services["aquarius"]["depends_on"]["deploy"] == {"condition": "service_completed_successfully"}
    assert services["elasticsearch"]["environment"]["xpack.security.enabled"] == "false"
    assert "@foundry-rs/anvil@" in " ".join(services["chain"]["command"])


def test_daemon_environment_is_known_settings_with_the_intended_values(services: dict[str, Any]) -> None:
    env = {name: str(value) for name, value in services["aquarius"]["environment"].items()}
    assert set(env) - setting_names() == set()
    settings = load_settings(env)
    assert settings.store == "elasticsearch"
    assert settings.es_url == "http://elasticsearch:9200"
    assert [(c.chain_id, c.rpc_urls) for c in settings.chains] == [(8996, ["http://chain:8545"])]
    deploy_env = services["deploy"]["environment"]
    assert str(settings.address_file) == deploy_env["ADDRESS_FILE"]
    assert deploy_env["CHAIN_RPC"] == settings.chains[0].rpc_urls[0]


def test_published_ports_are_the_configured_ones(services: dict[str, Any]) -> None:
    env = services["aquarius"]["environment"]
    assert published(services["aquarius"]) == {urlparse(env["AQUARIUS_BIND_URL"]).port: 5000}
    assert published(services["elasticsearch"]) == {int(env["DB_PORT"]): 9200}
    assert published(services["chain"]) == {urlparse(env["EVENTS_RPC"]).port: 8545}


def test_deploy_script_writes_the_address_file_once(services: dict[str, Any], chain: Chain, tmp_path: Path) -> None:
    script = services["deploy"]["command"][0]
    address_file = tmp_path / "address.json"
    env = {**os.environ, "CHAIN_RPC": chain.node.url, "ADDRESS_FILE": str(address_file)}
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)
    entry = addresses_for_chain(chain.w3.eth.chain_id, address_file)
    assert entry is not None
    assert chain.w3.eth.get_code(entry["ERC721Factory"]) != b""
    written = address_file.read_text()
    # A restarted stack keeps the deployment it indexes.
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=120)
    assert address_file.read_text() == written
