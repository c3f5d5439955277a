"""Internal enablement: give the demo agent a few policy documents with the SDK, then ask it questions.

It writes three small policy documents (Markdown and plain text) to a temporary folder, uploads them from
their file paths for the demo agent (``client.documents.upload_documents``), waits until they are processed
(``wait_until_processed``), asks one question per document in a fresh conversation, and prints each answer
with its sources: the ``[Source n]`` markers of the answer, mapped to the names of the documents they cite.
At the end it deletes the documents it uploaded (set ``KEEP_DOCUMENTS=1`` to keep them), so it can run
again and again.

Run it against the local stack (``make dev`` in another terminal)::

    .venv/bin/python examples/internal_enablement.py

Environment: ``LOCAL_STATE_DIR`` (where ``demo.json`` is), ``KNOWRITHM_BASE_URL`` / ``KNOWRITHM_API_KEY`` /
``KNOWRITHM_API_SECRET`` / ``KNOWRITHM_AGENT_ID`` to override ``demo.json``, ``KEEP_DOCUMENTS``.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from _patterns import ExampleError, load_demo

from knowrithm_py.errors import KnowrithmAPIError
from knowrithm_py.knowrithm.client import KnowrithmClient

DOCUMENTS = {
    "remote-work-policy.md": """# Remote work policy

Employees may work remotely up to three days per week, agreed with their manager.
Core collaboration hours are 10:00 to 15:00 in the office time zone.
A home office stipend of 400 euros is paid once, after the probation period.
""",
    "travel-expenses.md": """# Travel and expenses

Book flights through the travel portal at least fourteen days before departure.
Economy class is the rule for flights under six hours.
Submit expense receipts within thirty days of the trip, in the expenses app.
The daily meal allowance abroad is 60 euros.
""",
    "security-guidelines.txt": """Security guidelines

Lock your laptop screen whenever you leave your desk.
Report a lost or stolen laptop to the security team within one hour, by calling the security hotline.
Passwords must be at least sixteen characters long and managed with the company password manager.
Never share your password, not even with the IT helpdesk.
""",
}

QUESTIONS = [
    "How many days per week may employees work remotely?",
    "Within how many days must I submit expense receipts after the trip?",
    "What should I do about a lost or stolen laptop?",
]

SOURCE_MARKER = re.compile(r"\[Source (\d+)\]")


def write_documents(folder: Path) -> list[Path]:
    paths = []
    for name, text in DOCUMENTS.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def ask(client: KnowrithmClient, agent_id: str, question: str) -> tuple[str, list[tuple[int, str]]]:
    """The answer and its cited sources as ``(n, document name)``, in the order the answer cites them."""
    conversation = client.conversations.create_conversation(agent_id, title="internal enablement example")
    reply: dict[str, Any] = dict(client.messages.send_message(conversation["id"], question))
    answer = str(reply.get("response") or "")
    message: dict[str, Any] = reply.get("assistant_message") or {}
    names = {int(s["source_number"]): str(s["document_name"]) for s in message.get("sources") or []}
    cited: list[tuple[int, str]] = []
    for number in dict.fromkeys(int(n) for n in SOURCE_MARKER.findall(answer)):
        cited.append((number, names.get(number, "?")))
    return answer, cited


def main() -> int:
    try:
        demo = load_demo()
    except ExampleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    keep = os.environ.get("KEEP_DOCUMENTS", "") not in ("", "0")
    with demo.client() as client, tempfile.TemporaryDirectory(prefix="enablement-") as folder:
        paths = write_documents(Path(folder))
        try:
            uploaded = client.documents.upload_documents(demo.agent_id, file_paths=paths)
        except KnowrithmAPIError as exc:
            print(f"error: upload failed: {exc.message}", file=sys.stderr)
            return 1
        ids = [str(document["id"]) for document in uploaded["documents"]]
        print(f"uploaded {', '.join(p.name for p in paths)} for agent {demo.agent_id}", flush=True)
        try:
            documents = client.documents.wait_until_processed(ids, timeout=120, interval=0.5)
            failed = [d.get("original_filename") for d in documents if d.get("status") != "completed"]
            if failed:
                print(f"error: not processed: {', '.join(map(str, failed))}", file=sys.stderr)
                return 1
            print(f"processed {len(documents)} documents", flush=True)
            for question in QUESTIONS:
                answer, cited = ask(client, demo.agent_id, question)
                print(f"\nQ: {question}\nA: {answer}", flush=True)
                for number, name in cited:
                    print(f"   [Source {number}] {name}", flush=True)
                if not cited:
                    print("   (no sources cited)", flush=True)
        finally:
            if not keep:
                client.documents.bulk_delete_documents(ids)
                print(f"\ndeleted the {len(ids)} uploaded documents (KEEP_DOCUMENTS=1 keeps them)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
