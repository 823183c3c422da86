"""The benchmarks in a tiny mode, each as its own process: they complete and print their figures. Nothing here
says anything about speed (the figures are in bench/RESULTS.md)."""

from __future__ import annotations

import subprocess
import sys

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


def test_time_to_searchable_measures_each_asset_against_its_references() -> None:
    out = run_bench("bench.time_to_searchable", "--assets", "3", "--modes", "poll:0.1")
    assert "time-to-searchable, polling every 0.1 s, confirmations 0, store sqlite: 3 assets" in out
    assert "receipt -> first 200 from GET /ddo: p50" in out
    assert "reference, the node" in out and "-> ours p50 / ideal" in out


def test_api_latency_prints_every_request_next_to_its_reference_and_the_scale_out() -> None:
    out = run_bench(
        "bench.api_latency",
        *("--assets", "200", "--store", "sqlite", "--duration", "0.2", "--connections", "4", "--api-processes", "1,2"),
    )
    assert "API on sqlite: 200 assets" in out
    for request in ("DDO by id", "home page query", "text search", "aggregation", "/names with 200 DIDs"):
        assert out.count(f"  {request} ") == (2 if request in ("DDO by id", "home page query") else 1), request
    assert "1 proc.  2 proc.  ratio" in out


def test_scale_out_catches_up_both_chains_in_one_and_in_two_processes() -> None:
    out = run_bench("bench.scale_out", "--n", "20")
    assert "one process, both chains:" in out and "two processes, one chain each:" in out
    assert out.count("40 searchable") == 2
    assert "-> two processes take" in out
