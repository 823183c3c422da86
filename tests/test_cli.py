from __future__ import annotations

import os
import subprocess
import sys

import pytest


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


def test_status_lists_configured_chains() -> None:
    result = _aquarius("status", env={"EVENTS_RPC": "http://127.0.0.1:8545", "CHAIN_ID": "8996"})
    assert result.returncode == 0, result.stderr
    assert "chain 8996: rpc http://127.0.0.1:8545" in result.stdout


def test_demo_publishes_on_a_local_chain() -> None:
    result = _aquarius("demo", "--assets", "2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("published did:op:") == 2
