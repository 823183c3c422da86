"""DDO validation: per-version schema, Aquarius' extra checks, per-field readable errors, the API body shapes."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aquarius.did import make_did
from aquarius.metadata.errors import ErrorCode, MetadataError
from aquarius.metadata.validation import SUPPORTED_VERSIONS, ensure_valid, is_iso_datetime, validate_ddo
from tests.metadata.samples import CHAIN_ID, NFT, sample_ddo, v4_ddo, v5_ddo


@pytest.mark.parametrize("version", [*SUPPORTED_VERSIONS, "4.0.0"])
def test_samples_of_every_version_are_valid(version: str) -> None:
    result = validate_ddo(sample_ddo(version), chain_id=CHAIN_ID, nft_address=NFT)
    assert result.errors == {}
    assert result.valid


def test_missing_version_gives_aquarius_list_body() -> None:
    ddo = v4_ddo()
    del ddo["version"]
    result = validate_ddo(ddo)
    assert result.missing_version and not result.valid
    assert result.aquarius_body() == [{"message": "no version provided for DDO."}]


def test_unknown_version_is_a_clear_error() -> None:
    result = validate_ddo({**v4_ddo(), "version": "4.2.0"})
    assert result.errors == {
        "version": "unsupported DDO version '4.2.0' (supported: 4.0.0, 4.1.0, 4.3.0, 4.5.0, 4.7.0, 5.0.0)"
    }
    assert result.aquarius_body() == {"errors": result.errors}


def _mutated(ddo: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    ddo = copy.deepcopy(ddo)
    *parents, last = path.split(".")
    target: Any = ddo
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return ddo


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("metadata.name", KeyError, {"metadata.name": "is required"}),
        ("metadata.name", None, {"metadata.name": "is required (null is no value)"}),
        ("metadata.name", "abc", {"metadata.name": "must be at least 4 characters long, got 3"}),
        ("metadata.name", ["abcd", "efgh"], {"metadata.name": "has 2 values, at most 1 allowed"}),
        ("metadata.tags", [f"t{i}" for i in range(65)], {"metadata.tags": "has 65 values, at most 64 allowed"}),
        ("services.0.timeout", 3600.0, {"services.0.timeout": "must be an integer, got 3600.0"}),
        ("services.0.name", "line\nbreak", {"services.0.name": "does not match the pattern '^(.*)$'"}),
        (
            "services.0.compute.allowRawAlgorithm",
            "no",
            {"services.0.compute.allowRawAlgorithm": 'must be true or false, got "no"'},
        ),
        (
            "metadata.algorithm.container.checksum",
            "sha",
            {"metadata.algorithm.container.checksum": "must be at least 7 characters long, got 3"},
        ),
        (
            "metadata.description",
            "x" * 7001,
            {"metadata.description": "must be at most 7000 characters long, got 7001"},
        ),
        ("metadata.created", "15/11/2021", {"metadata.created": "created is not in iso format."}),
        ("metadata.@type", "Service", {"metadata.@type": "JSON-LD keywords are not allowed inside a DDO"}),
        ("@context", KeyError, {"@context": "Context is missing or invalid."}),
        ("metadata", "none", {"metadata": "Metadata is missing or invalid."}),
    ],
)
def test_each_broken_rule_is_reported_on_its_field(path: str, value: Any, expected: dict[str, str]) -> None:
    result = validate_ddo(_mutated(v4_ddo(), path, value))
    assert result.errors == expected


def test_did_must_derive_from_the_event_chain_and_nft() -> None:
    ddo = v4_ddo()
    assert validate_ddo(ddo, chain_id=CHAIN_ID + 1).errors == {"id": "did is not valid for chain Id and nft address"}
    other_nft = "0x" + "77" * 20
    assert validate_ddo(ddo, nft_address=other_nft).errors == {"id": "did is not valid for chain Id and nft address"}
    assert validate_ddo(ddo, nft_address="0x1234").errors == {"nftAddress": "nftAddress is missing or invalid."}
    assert validate_ddo(_mutated(ddo, "chainId", 0)).errors == {"chainId": "chainId is missing or invalid."}
    v5 = v5_ddo()
    assert v5["id"] == make_did(NFT, CHAIN_ID, prefix="did:ope:")
    v5["id"] = make_did(NFT, CHAIN_ID)
    errors = validate_ddo(v5).errors
    assert errors["id"] == "did is not valid for chain Id and nft address"


def test_v5_checks_look_inside_the_credential_subject() -> None:
    ddo = _mutated(v5_ddo(), "credentialSubject.metadata.updated", "soon")
    assert validate_ddo(ddo).errors == {"credentialSubject.metadata.updated": "updated is not in iso format."}
    ddo = _mutated(v5_ddo(), "credentialSubject.services", [])
    assert validate_ddo(ddo).errors == {"credentialSubject.services": "needs at least one value"}


def test_ensure_valid_raises_with_every_field() -> None:
    ddo = _mutated(_mutated(v4_ddo(), "metadata.name", KeyError), "chainId", "8996")
    with pytest.raises(MetadataError) as caught:
        ensure_valid(ddo)
    assert caught.value.code is ErrorCode.INVALID_DDO
    assert "metadata.name: is required" in caught.value.message
    assert "chainId: chainId is missing or invalid." in caught.value.message


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2021-11-15T12:27:48Z", True),
        ("2021-11-15T12:27:48.123456+02:00", True),
        ("2021-11-15 12:27", True),
        ("2021-11-15", True),
        ("2021-11-15T12:27:48.12Z", False),
        ("20211115T122748", False),
        ("2021-02-30T00:00:00Z", False),
        ("2021-11-15T25:00:00Z", False),
    ],
)
def test_iso_dates_are_those_aquarius_accepted(text: str, iso: bool) -> None:
    assert is_iso_datetime(text) is iso


def test_cli_validate_prints_errors_per_field(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(v4_ddo()))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_mutated(v4_ddo(), "metadata.name", "ab")))

    def run(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "aquarius.cli", "validate", str(path)], capture_output=True, text=True, timeout=60
        )

    ok = run(good)
    assert (ok.returncode, ok.stdout) == (0, "valid\n")
    failed = run(bad)
    assert failed.returncode == 1
    assert failed.stdout == "metadata.name: must be at least 4 characters long, got 2\n"
    missing = run(tmp_path / "missing.json")
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr
