"""The benchmarks in a tiny mode, each as its own process: they complete and print their figures. Nothing here
says anything about speed (the figures are in bench/RESULTS.md). The comparison with the original Aquarius needs a
checkout of it to run at all, so only its reading and refusal of a checkout are checked here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from aquarius.devenv.ports import project_root
from bench.original_checkout import REQUIRED_FILES, CheckoutError, OriginalCheckout


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


def test_original_checkout_is_read_from_its_setup_and_dockerfile(tmp_path: Path) -> None:
    for name in REQUIRED_FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    (tmp_path / "Dockerfile").write_text("FROM python:3.8-slim-buster\nRUN true\n")
    setup = 'install_requirements = ["web3==6.11.1", "pyshacl==0.22.2"]\nsetup(name="ocean-aquarius", version="{}")\n'
    (tmp_path / "setup.py").write_text(setup.format("4.5.5"))
    with pytest.raises(CheckoutError, match=r"Aquarius 4\.5\.5; this benchmark needs a v5\.x release"):
        OriginalCheckout.open(tmp_path)
    (tmp_path / "setup.py").write_text(setup.format("5.1.8"))
    checkout = OriginalCheckout.open(tmp_path)
    assert (checkout.version, checkout.python_version) == ("5.1.8", "3.8")
    assert checkout.requirements == ("web3==6.11.1", "pyshacl==0.22.2")


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
