from __future__ import annotations

from pathlib import Path

from api.openapi import api_reference, openapi_document


def test_api_reference_is_up_to_date() -> None:
    checked_in = (Path(__file__).parents[2] / "docs" / "api.md").read_text()
    assert checked_in == api_reference(), "regenerate with: python -m api.openapi > docs/api.md"


def test_api_reference_has_a_section_per_operation() -> None:
    reference = api_reference()
    for path, item in openapi_document()["paths"].items():
        for method in item:
            assert f"\n## {method.upper()} `{path}`\n" in reference
