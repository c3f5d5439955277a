"""The unit tier is pure: no moto, no stack, no AWS. A unit test that asks for the moto-backed fixtures (all of
them start from ``stack``) belongs in tests/component, and collection fails to say so."""

from __future__ import annotations

from pathlib import Path

import pytest

UNIT = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    impure = [
        item.nodeid
        for item in items
        if UNIT in Path(str(item.fspath)).parents and "stack" in getattr(item, "fixturenames", ())
    ]
    if impure:
        raise pytest.UsageError("unit tests must not use moto (move them to tests/component): " + ", ".join(impure))
