"""The checkov gate's suppressions (docs/operations/security.md): each one sits inside the resource it excuses,
names one check, and says why in words. ``make checkov`` itself proves there are 0 failed checks."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SKIP = re.compile(r"^\s+# checkov:skip=(CKV2?_[A-Z]+_\d+): (.+)$")
RESOURCE = re.compile(r"^  ([A-Za-z0-9]+):\s*(#.*)?$")


def _skips_by_resource() -> dict[str, list[tuple[str, str]]]:
    skips: dict[str, list[tuple[str, str]]] = {}
    current = ""
    in_resources = False
    for line in (ROOT / "template.yaml").read_text(encoding="utf-8").splitlines():
        if not line.startswith(" ") and line.strip():
            in_resources = line.startswith("Resources:")
            current = ""
        elif in_resources and (match := RESOURCE.match(line)):
            current = match.group(1)
        if "checkov:skip" in line:
            found = SKIP.match(line)
            assert found, f"malformed suppression (want '# checkov:skip=CKV_..: reason'): {line.strip()}"
            assert current, f"a suppression outside any resource: {line.strip()}"
            skips.setdefault(current, []).append((found.group(1), found.group(2)))
    return skips


def test_every_suppression_is_in_a_resource_and_gives_a_reason() -> None:
    skips = _skips_by_resource()
    assert skips, "template.yaml has no checkov suppressions: drop this test or the gate changed"
    for resource, entries in skips.items():
        checks = [check for check, _ in entries]
        assert len(checks) == len(set(checks)), f"{resource} suppresses a check twice"
        for check, reason in entries:
            assert len(reason.split()) >= 6, f"{resource}: {check} needs a real reason, not {reason!r}"
