"""Start-up times of the test infrastructure, printed at the end of the test run."""

from __future__ import annotations

TIMINGS: dict[str, float] = {}
