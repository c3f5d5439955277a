"""``make audit`` (security/audit_pins.py): which pins it audits, and how it judges pip-audit's report."""

from __future__ import annotations

from pathlib import Path

from security.audit_pins import ROOT, pins, requirement_files, summarize


def test_every_requirements_file_is_audited_with_its_includes(tmp_path: Path) -> None:
    # GIVEN a dev file that includes a layer's file, with extras, comments and a range
    (tmp_path / "layers" / "core").mkdir(parents=True)
    (tmp_path / "layers" / "core" / "requirements.txt").write_text("pydantic==2.14.4  # models\n", encoding="utf-8")
    (tmp_path / "requirements-dev.txt").write_text(
        "-r layers/core/requirements.txt\nmoto[server]==5.2.5\nhttpx>=0.27\n# pytest==1.0\n", encoding="utf-8"
    )

    # WHEN the pins are collected
    found = pins(requirement_files(tmp_path))

    # THEN each name==version line counts once, extras dropped; ranges and comments do not
    assert found == {"moto": "5.2.5", "pydantic": "2.14.4"}


def test_the_projects_runtime_pins_are_all_in_the_audit() -> None:
    found = pins(requirement_files(ROOT))
    for name in ("fastapi", "pydantic", "boto3", "cryptography", "aws-lambda-powertools", "checkov", "pip-audit"):
        assert name in found, name


def test_a_known_vulnerability_fails_the_gate_and_names_the_fix() -> None:
    # GIVEN pip-audit's JSON report with one vulnerable pin, one clean one and one the registry did not answer for
    report = {
        "dependencies": [
            {"name": "jinja2", "version": "2.10", "vulns": [{"id": "PYSEC-2019-217", "fix_versions": ["2.10.1"]}]},
            {"name": "httpx", "version": "0.28.1", "vulns": []},
            {"name": "radon", "skip_reason": "Dependency not found on PyPI and could not be audited: radon (6.0.1)"},
        ]
    }

    # WHEN it is summarized
    vulnerable, unchecked, clean = summarize(report)

    # THEN the vulnerable pin is reported with its advisory and fixed version, the skipped one as unchecked
    assert vulnerable == ["jinja2==2.10: PYSEC-2019-217 (fixed in 2.10.1)"]
    assert unchecked == ["radon: Dependency not found on PyPI and could not be audited: radon (6.0.1)"]
    assert clean == 1
