"""Write the reference's operations (method + path, one a line) from Knowrithm's API description.

Usage: ``python tests/contracts/knowrithm_operations.py ../shared/reference/knowrithm-apispec.json``
(writes ``tests/contracts/knowrithm_operations.txt`` next to this file).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

METHODS = ("get", "put", "post", "delete", "patch")
HERE = Path(__file__).resolve().parent
LIST = HERE / "knowrithm_operations.txt"


def normalise(path: str) -> str:
    """A path template with every parameter name blanked: ``/agent/{agent_id}`` -> ``/agent/{}``."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def operations(description: dict[str, Any]) -> list[str]:
    """``METHOD /path`` for every operation of an OpenAPI/Swagger description, sorted."""
    base = description.get("basePath", "").rstrip("/")
    found = {
        f"{method.upper()} {path if path.startswith(base) else base + path}"
        for path, item in description["paths"].items()
        for method in item
        if method in METHODS
    }
    return sorted(found, key=lambda line: (line.split(" ", 1)[1], line))


def main(argv: list[str]) -> None:
    description = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    LIST.write_text("\n".join(operations(description)) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv)
