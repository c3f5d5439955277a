"""``make audit``: pip-audit over every pinned dependency, against the package registry's vulnerability data.

Collects the ``name==version`` pins of the requirements files (following ``-r``), runs pip-audit on them
(``--vulnerability-service pypi --no-deps --disable-pip``: nothing is installed or resolved, only the
registry is asked), and exits 1 if any pin has a known vulnerability (upgrade the pin to a fixed version).
A pin the registry did not answer for is listed as unchecked; with ``AUDIT_STRICT=1`` that fails too.
Ranges (the SDK's ``httpx>=0.27``) are not pins: the dev requirements pin what the tests run.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;#]+)")
DEFAULT_FILES = ("requirements-dev.txt", "requirements-security.txt")


def requirement_files(root: Path = ROOT) -> list[Path]:
    """The project's requirements files: the dev and security sets, every layer's and every function's."""
    found = [root / name for name in DEFAULT_FILES if (root / name).exists()]
    found += sorted(root.glob("layers/*/requirements.txt")) + sorted(root.glob("functions/*/requirements.txt"))
    return found


def pins(files: list[Path]) -> dict[str, str]:
    """``{name: version}`` of every ``name==version`` line (extras dropped), following ``-r`` includes."""
    found: dict[str, str] = {}
    seen: set[Path] = set()
    pending = list(files)
    while pending:
        path = pending.pop().resolve()
        if path in seen:
            continue
        seen.add(path)
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip().startswith(("-r ", "--requirement ")):
                pending.append(path.parent / line.split(maxsplit=1)[1].strip())
            elif match := PIN.match(line):
                found[match.group(1).lower()] = match.group(3)
    return dict(sorted(found.items()))


def run_pip_audit(pinned: dict[str, str], pip_audit: str) -> dict[str, Any]:
    """pip-audit's JSON report for ``pinned`` (the registry's vulnerability data, no install, no resolve)."""
    with tempfile.TemporaryDirectory() as scratch:
        listing = Path(scratch) / "pins.txt"
        listing.write_text("".join(f"{name}=={version}\n" for name, version in pinned.items()), encoding="utf-8")
        command = [pip_audit, "--vulnerability-service", "pypi", "--no-deps", "--disable-pip", "--format", "json"]
        command += ["--progress-spinner", "off", "--requirement", str(listing)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)  # noqa: S603
    try:
        report: dict[str, Any] = json.loads(done.stdout)
    except ValueError:
        raise SystemExit(f"pip-audit failed (exit {done.returncode}):\n{done.stderr}") from None
    return report


def summarize(report: dict[str, Any]) -> tuple[list[str], list[str], int]:
    """(vulnerable pins with their advisories and fixes, unchecked pins with the reason, pins checked clean)."""
    vulnerable, unchecked, clean = [], [], 0
    for dependency in report.get("dependencies", []):
        name, version = dependency.get("name"), dependency.get("version", "?")
        if dependency.get("skip_reason"):
            unchecked.append(f"{name}: {dependency['skip_reason']}")
        elif dependency.get("vulns"):
            for vuln in dependency["vulns"]:
                fixes = ", ".join(vuln.get("fix_versions", [])) or "no fixed release yet"
                vulnerable.append(f"{name}=={version}: {vuln.get('id')} (fixed in {fixes})")
        else:
            clean += 1
    return vulnerable, unchecked, clean


def main() -> int:
    pip_audit = os.environ.get("PIP_AUDIT") or str(ROOT / ".venv-security" / "bin" / "pip-audit")
    files = requirement_files()
    pinned = pins(files)
    vulnerable, unchecked, clean = summarize(run_pip_audit(pinned, pip_audit))
    print(f"audited {len(pinned)} pins of {len(files)} requirements files: {clean} without known vulnerabilities")
    for line in vulnerable:
        print(f"✗ {line}")
    if unchecked:
        print(f"! {len(unchecked)} pins could not be checked (the registry did not serve their release data):")
        for line in unchecked:
            print(f"    {line}")
    strict = os.environ.get("AUDIT_STRICT") == "1"
    if vulnerable:
        print("upgrade each pin above to a fixed version (and its twin pins: layers pin what both install)")
    return 1 if vulnerable or (strict and unchecked) else 0


if __name__ == "__main__":
    sys.exit(main())
