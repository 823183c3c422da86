"""The software version the API reports (`/`, `/chains/status/<id>`, `/spec`)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def software_version() -> str:
    try:
        return version("aquarius-indexer")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0"


VERSION = software_version()
