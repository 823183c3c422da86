from __future__ import annotations

import pytest

from tests.infra_timings import TIMINGS

pytest_plugins = ["tests.chain.fixtures", "tests.faults.fixtures", "tests.store.fixtures"]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if TIMINGS:
        terminalreporter.section("test infrastructure start-up")
        for name, seconds in TIMINGS.items():
            terminalreporter.write_line(f"{name}: {seconds:.2f}s")
