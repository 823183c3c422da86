"""Prints the conformance suite's agreement per feature at the end of a run."""

from __future__ import annotations

import pytest

from tests.conformance.test_conformance import AGREEMENT


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not AGREEMENT:
        return
    terminalreporter.section("embedded store vs Elasticsearch: agreement per feature")
    for feature, outcomes in sorted(AGREEMENT.items()):
        agreed = sum(outcomes)
        terminalreporter.write_line(
            f"{feature:<22} {agreed:>3}/{len(outcomes):<3} {100 * agreed / len(outcomes):5.1f}%"
        )
    total = [o for outcomes in AGREEMENT.values() for o in outcomes]
    terminalreporter.write_line(f"{'all':<22} {sum(total):>3}/{len(total):<3} {100 * sum(total) / len(total):5.1f}%")
