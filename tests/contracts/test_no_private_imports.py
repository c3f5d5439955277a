"""No code of ours imports a library's private (``_``-prefixed) module: upgrades stay upgrades."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TREES = ("layers", "functions", "sdk", "local", "tests", "bench", "examples")
LIBRARIES = "fastapi|starlette|pydantic|pydantic_core|mangum|aws_lambda_powertools|boto3|botocore|moto|httpx|jwt"
PRIVATE = re.compile(
    rf"^\s*(?:from|import)\s+(?:{LIBRARIES})(?:\.\w+)*\._\w*|^\s*from\s+(?:{LIBRARIES})(?:\.\w+)*\s+import\s+.*\b_[a-z]\w*",
    re.M,
)


def test_no_source_file_imports_a_private_library_module() -> None:
    # GIVEN every Python file of the project
    files = [p for tree in TREES for p in (ROOT / tree).rglob("*.py") if ".venv" not in p.parts]
    assert len(files) > 100
    # WHEN its imports are read THEN none names a private module (or private name) of a library
    offenders = [f"{p.relative_to(ROOT)}: {m.group(0).strip()}" for p in files for m in PRIVATE.finditer(p.read_text())]
    assert offenders == []


def test_the_pattern_catches_what_it_is_for() -> None:
    # GIVEN the imports the deleted DeferredAPIRoute used THEN the pattern flags them (the test can fail)
    assert PRIVATE.search("from fastapi._compat import lenient_issubclass")
    assert PRIVATE.search("from fastapi._form_limits import _validate_form_limits")
    assert PRIVATE.search("import starlette._utils")
    assert not PRIVATE.search("from fastapi.routing import APIRoute")
    assert not PRIVATE.search("from knowrithm_py._core import Core")
