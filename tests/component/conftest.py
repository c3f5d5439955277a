"""Component-tier fixtures shared by its folders (the stack's own are in tests/stack.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.emf import Metric, metrics_in


@pytest.fixture
def emf(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[[], list[Metric]]:
    """Metrics enabled (they are disabled test-wide); calling the fixture returns the metrics printed since the
    last call."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    capsys.readouterr()

    def read() -> list[Metric]:
        return metrics_in(capsys.readouterr().out)

    return read
