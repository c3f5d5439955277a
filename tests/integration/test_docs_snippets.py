"""Every ```python and ```bash block of README.md and docs/ runs as written against the local stack.

Each block is its own test (id ``file:line``), run in a fresh temporary folder with ``KNOWRITHM_BASE_URL``,
``KNOWRITHM_API_KEY``, ``KNOWRITHM_API_SECRET`` and ``KNOWRITHM_AGENT_ID`` set to the session stack's demo tenant:
bash with ``set -euo pipefail``, Python with this interpreter (the project's SDK installed). ```shell, ```text,
```json and ```yaml blocks are for reading only and are not run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.conftest import LocalStack

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
RUN = {"python", "bash"}
FENCE = re.compile(r"^(`{3,})\s*([\w+-]*)")
TIMEOUT_S = 60
SLOW_TIMEOUT_S = 240  # a block that installs a package from the registry (the official client)


@dataclass(frozen=True)
class Snippet:
    path: str  # relative to the repository root
    line: int  # of the opening fence
    lang: str
    code: str

    @property
    def id(self) -> str:
        return f"{self.path}:{self.line}"


def extract(path: Path) -> list[Snippet]:
    """The fenced blocks of one Markdown file, with the language of their info string."""
    snippets: list[Snippet] = []
    opened: tuple[str, str, int] | None = None
    body: list[str] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = FENCE.match(line.strip())
        if opened is None and match:
            opened, body = (match.group(1), match.group(2).lower(), number), []
        elif opened is not None and line.strip() == opened[0]:
            snippets.append(Snippet(str(path.relative_to(ROOT)), opened[2], opened[1], "\n".join(body) + "\n"))
            opened = None
        elif opened is not None:
            body.append(line)
    return snippets


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def runnable() -> list[Snippet]:
    return [snippet for path in documents() for snippet in extract(path) if snippet.lang in RUN]


SNIPPETS = runnable()


def test_the_docs_have_runnable_snippets() -> None:
    # GIVEN README.md and docs/ WHEN their blocks are collected THEN there are bash and python ones to run
    assert {snippet.lang for snippet in SNIPPETS} == RUN


@pytest.mark.parametrize("snippet", SNIPPETS, ids=[snippet.id for snippet in SNIPPETS])
def test_snippet_runs_as_written(snippet: Snippet, local_stack: LocalStack, tmp_path: Path) -> None:
    # GIVEN the local stack's demo tenant in KNOWRITHM_* variables and an empty working folder
    env = {key: value for key, value in os.environ.items() if not key.startswith(("KNOWRITHM_", "AWS_ENDPOINT"))}
    env |= {
        "KNOWRITHM_BASE_URL": local_stack.base_url,
        "KNOWRITHM_API_KEY": local_stack.api_key,
        "KNOWRITHM_API_SECRET": local_stack.api_secret,
        "KNOWRITHM_AGENT_ID": local_stack.agent_id,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("PYTHONPATH", None)  # bash blocks may run another interpreter (the official client's venv)
    if snippet.lang == "bash":
        script = tmp_path / "snippet.sh"
        script.write_text("set -euo pipefail\n" + snippet.code, encoding="utf-8")
        command = ["bash", str(script)]
    else:
        script = tmp_path / "snippet.py"
        script.write_text(snippet.code, encoding="utf-8")
        env["PYTHONPATH"] = str(ROOT / "sdk")  # this tree's SDK, whichever tree the virtualenv was installed from
        command = [sys.executable, str(script)]
    timeout = SLOW_TIMEOUT_S if "pip install" in snippet.code else TIMEOUT_S
    # WHEN it runs as written
    try:
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{snippet.id}: the {snippet.lang} block did not finish within {timeout} s")
    # THEN it exits 0
    assert done.returncode == 0, (
        f"{snippet.id}: the {snippet.lang} block exited {done.returncode}\n"
        f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-3000:]}"
    )
