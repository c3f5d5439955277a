"""Imports point down the layers (ARCHITECTURE.md): nothing below ``services`` imports a use case, and the
store knows only the domain below it. Read from the source, so a new module is checked as soon as it exists."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "layers" / "core" / "knowrithm_core"
ABOVE_SERVICES = ("knowrithm_core.services", "knowrithm_core.workers", "knowrithm_core.container")
# what the store may import from the core: the domain below it, nothing that uses it
STORE_MAY_IMPORT = (
    "knowrithm_core.store",
    "knowrithm_core.domain",
    "knowrithm_core.models",
    "knowrithm_core.errors",
    "knowrithm_core.ids",
    "knowrithm_core.events",
    "knowrithm_core.pagination",
    "knowrithm_core.config",
    "knowrithm_core.observability",
)


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("knowrithm_core")}


def package_of(path: Path) -> str:
    return path.relative_to(CORE).parts[0]


def modules() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def test_nothing_below_services_imports_a_use_case() -> None:
    # GIVEN every module of the core outside services/, workers/ and the container
    lower = [p for p in modules() if package_of(p) not in ("services", "workers", "container.py")]
    assert len(lower) > 30  # the walk found the core
    # WHEN their imports are read
    upward = {
        f"{p.relative_to(CORE)} -> {name}" for p in lower for name in imports_of(p) if name.startswith(ABOVE_SERVICES)
    }
    # THEN none reaches up
    assert not upward, sorted(upward)


def test_the_store_imports_only_the_domain_below_it() -> None:
    store = [p for p in modules() if package_of(p) == "store"]
    assert store
    outside = {
        f"{p.relative_to(CORE)} -> {name}"
        for p in store
        for name in imports_of(p)
        if not name.startswith(STORE_MAY_IMPORT)
    }
    assert not outside, sorted(outside)


def test_one_logger_everywhere() -> None:
    # every module logs through knowrithm_core.observability (Powertools Logger with the correlation id)
    stray = [str(p.relative_to(CORE)) for p in modules() if "logging.getLogger(__name__)" in p.read_text("utf-8")]
    assert not stray, stray
