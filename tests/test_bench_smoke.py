"""The benchmarks in a tiny mode, each as its own process: they complete and print their figures. Nothing here
says anything about speed (the figures are in bench/RESULTS.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from aquarius.devenv.ports import project_root


def run_bench(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", *args], cwd=project_root(), capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_chain_fixture_builds_and_loads_again() -> None:
    out = run_bench("bench.chain_fixture", "--n", "20")
    assert "chain of 20 assets: 70 transactions" in out
    assert "eth_getLogs over the whole chain" in out


def test_catchup_indexes_every_asset_and_prints_its_ratios() -> None:
    out = run_bench("bench.catchup", "--n", "20", "--store", "sqlite")
    assert "catch-up into sqlite: 20 assets (20 searchable)" in out
    assert "assets/s" in out and "RPC calls in" in out and "peak RSS" in out
    assert out.count("-> ours") == 2


def test_original_comparison_refuses_a_missing_or_wrong_checkout(tmp_path: Path) -> None:
    for args in ([], ["--checkout", str(tmp_path)]):
        done = subprocess.run(
            [sys.executable, "-m", "bench.original_aquarius", *args],
            cwd=project_root(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2, done.stderr
        assert "--checkout" in done.stderr and "oceanprotocol/aquarius" in done.stderr
