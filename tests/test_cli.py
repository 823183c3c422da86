from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.chain.fixtures import Chain


def _aquarius(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "AQUARIUS_", "EVENTS_"))}
    return subprocess.run(
        [sys.executable, "-m", "aquarius.cli", *args],
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("command", ["run", "index", "serve", "demo", "validate", "reindex", "status"])
def test_every_subcommand_is_declared(command: str) -> None:
    result = _aquarius(command, "--help")
    assert result.returncode == 0, result.stderr
    assert f"usage: aquarius {command}" in result.stdout


def test_bad_configuration_exits_non_zero_with_the_variable_named() -> None:
    result = _aquarius("status", env={"EVENTS_RPC": "localhost:8545", "CHAIN_ID": "1"})
    assert result.returncode == 2
    assert "EVENTS_RPC" in result.stderr
    assert "Traceback" not in result.stderr


def test_status_reads_the_chain_and_the_store(chain: Chain, tmp_path: Path) -> None:
    env = {"EVENTS_RPC": chain.node.url, "CHAIN_ID": "8996", "AQUARIUS_SQLITE_PATH": str(tmp_path / "s.sqlite")}
    result = _aquarius("status", env=env)
    assert result.returncode == 0, result.stderr
    head = chain.w3.eth.block_number
    assert f"chain 8996: head {head}, last indexed none, lag ?, retry queue 0 pending / 0 dead" in result.stdout


def test_reindex_refuses_the_embedded_store(tmp_path: Path) -> None:
    result = _aquarius("reindex", env={"AQUARIUS_SQLITE_PATH": str(tmp_path / "s.sqlite")})
    assert result.returncode == 2
    assert "reindex applies to AQUARIUS_STORE=elasticsearch" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EVENTS_RPC": "http://127.0.0.1:1", "CHAIN_ID": "424242"}, "chain 424242: no Ocean contracts listed"),
        ({"AQUARIUS_CHAINS": "[{"}, "AQUARIUS_CHAINS: Value error, expected a JSON list of chain objects"),
        ({"EVENTS_RPC": "http://127.0.0.1:1", "CHAIN_ID": "1", "PRIVATE_KEY": "0x1234"}, "PRIVATE_KEY: Value error"),
        (
            {
                "EVENTS_RPC": "http://127.0.0.1:1",
                "CHAIN_ID": "1",
                "AQUARIUS_STORE": "elasticsearch",
                "DB_HOSTNAME": "http://127.0.0.1",
                "DB_PORT": "1",
            },
            "store unreachable at http://127.0.0.1:1",
        ),
        ({}, "no chains configured: set AQUARIUS_CHAINS, or EVENTS_RPC and CHAIN_ID"),
    ],
)
def test_index_refuses_bad_configuration(env: dict[str, str], message: str, tmp_path: Path) -> None:
    result = _aquarius("index", env={"AQUARIUS_SQLITE_PATH": str(tmp_path / "s.sqlite"), **env})
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert message in result.stderr
    assert "Traceback" not in result.stderr
