"""Lead generation: upsert every ``lead.registered`` webhook into a CSV "CRM", keyed by email.

This receiver registers itself through the SDK as a webhook endpoint for ``lead.registered`` on start,
verifies each delivery (``knowrithm_py.webhooks.verify``; a bad signature is answered 400 and changes nothing),
and upserts the lead into the CSV: a new email is a new row, a known one is updated and its
``times_registered`` counted up. Each ``webhook-id`` counts once: the ids already applied are kept next to the
CSV (``<csv>.webhook-ids``), so a retried delivery is answered 200 and ignored. The endpoint is deleted on exit.

Run it against the local stack (``make dev`` in another terminal)::

    .venv/bin/python examples/lead_generation.py

then register as a visitor in the demo page's widget (or ``POST /api/v1/lead/register``) and open
``.local/crm_leads.csv``.

Environment: ``CRM_CSV`` (default ``<LOCAL_STATE_DIR or .local>/crm_leads.csv``), ``PORT`` (default: a free
one), ``HOST`` (default 127.0.0.1), ``LOCAL_STATE_DIR`` (where ``demo.json`` is), and ``KNOWRITHM_BASE_URL`` /
``KNOWRITHM_API_KEY`` / ``KNOWRITHM_API_SECRET`` to override ``demo.json``. Ctrl-C or SIGTERM deletes the
endpoint and exits 0.
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path
from typing import Any

from _patterns import ROOT, run_receiver

COLUMNS = ["id", "email", "first_name", "last_name", "phone", "source", "registered_at", "times_registered"]


class Crm:
    """The CSV file, rewritten atomically on each change; ``<csv>.webhook-ids`` lists the deliveries applied."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen_path = path.with_name(path.name + ".webhook-ids")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.seen = set(self.seen_path.read_text(encoding="utf-8").split()) if self.seen_path.exists() else set()

    def rows(self) -> dict[str, dict[str, str]]:
        if not self.path.exists():
            return {}
        with self.path.open(newline="", encoding="utf-8") as handle:
            return {row["email"].lower(): row for row in csv.DictReader(handle)}

    def _write(self, rows: dict[str, dict[str, str]]) -> None:
        temporary = self.path.with_name(self.path.name + ".tmp")
        with temporary.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows.values())
        temporary.replace(self.path)

    def upsert(self, webhook_id: str, envelope: dict[str, Any]) -> bool:
        if webhook_id in self.seen:
            print(f"duplicate delivery {webhook_id}: ignored", flush=True)
            return False
        lead: dict[str, Any] = envelope.get("data") or {}
        email = str(lead.get("email") or "").strip().lower()
        if not email:
            raise ValueError("lead.registered without an email")
        rows = self.rows()
        previous = rows.get(email)
        times = int(previous["times_registered"]) + 1 if previous else 1
        row = {column: "" if lead.get(column) is None else str(lead[column]) for column in COLUMNS}
        row["email"] = email
        row["registered_at"] = str(envelope.get("timestamp") or lead.get("updated_at") or "")
        row["times_registered"] = str(times)
        if previous:  # keep what the new registration left out
            row = {column: row[column] or previous.get(column, "") for column in COLUMNS}
        rows[email] = row
        self._write(rows)
        with self.seen_path.open("a", encoding="utf-8") as handle:
            handle.write(webhook_id + "\n")
        self.seen.add(webhook_id)
        print(f"lead {email} upserted (times_registered {times})", flush=True)
        return True


def main() -> int:
    state = Path(os.environ.get("LOCAL_STATE_DIR") or ROOT / ".local")
    crm = Crm(Path(os.environ.get("CRM_CSV") or state / "crm_leads.csv"))
    return run_receiver(["lead.registered"], crm.upsert, "lead generation example")


if __name__ == "__main__":
    sys.exit(main())
