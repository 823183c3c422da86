"""A built package carries the files the code reads at run time: the schemas (found through the package in a
checkout and in an install alike) and the explorer's static files."""

from __future__ import annotations

import tomllib
from pathlib import Path

from api.explorer.routes import STATIC_DIR
from aquarius.schemas_path import ASSET_MAPPING_FILE, DDO_SCHEMA_DIR, SCHEMAS_DIR

ROOT = Path(__file__).resolve().parents[2]


def packaged_files() -> set[Path]:
    """The files setuptools puts in the wheel as package data, by the patterns of pyproject.toml."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    files: set[Path] = set()
    for package, patterns in config["tool"]["setuptools"]["package-data"].items():
        package_dir = ROOT.joinpath(*package.split("."))
        for pattern in patterns:
            files.update(path.resolve() for path in package_dir.glob(pattern) if path.is_file())
    return files


def test_schema_files_are_found_through_the_package() -> None:
    assert SCHEMAS_DIR.parent == ROOT / "aquarius"
    assert SCHEMAS_DIR.resolve() == ROOT / "schemas"
    assert ASSET_MAPPING_FILE.is_file()
    assert sorted(p.name for p in DDO_SCHEMA_DIR.glob("*.json")) == [
        "4.1.0.json",
        "4.3.0.json",
        "4.5.0.json",
        "4.7.0.json",
        "5.0.0.json",
    ]


def test_every_file_read_at_run_time_is_package_data() -> None:
    needed = {p.resolve() for p in (ROOT / "schemas").rglob("*") if p.is_file()}
    needed |= {p.resolve() for p in STATIC_DIR.iterdir()}
    needed |= {p.resolve() for p in (ROOT / "aquarius" / "devenv" / "contracts").glob("*.sol")}
    assert needed - packaged_files() == set()
