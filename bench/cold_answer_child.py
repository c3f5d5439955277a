"""One fresh interpreter of the cold first-answer benchmark (run by :mod:`bench.cold_answer`, never imported by it).

``python -m bench.cold_answer_child FOLDER`` starts moto ``mock_aws`` in process, creates the template's
resources and stores what the parent prepared in FOLDER (the table's items, the agent's index object),
all before the clock and with nothing of ``knowrithm_core`` imported. Then, timed: the function's init
(ApiConversationsFunction's handler module imported), and one chat turn through the ``Services.chat`` its
``POST /conversation/{id}/chat`` calls: the conversation and manifest reads, the index read from S3 and
loaded, the search, the answer and its writes. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any


def _seed(folder: Path) -> None:
    """moto in process, the template's resources, the prepared items and index object (before the clock)."""
    import boto3
    from moto import mock_aws

    from local.resources import create_all
    from local.template import Stack

    mock_aws().start()
    create_all(Stack(json.loads((folder / "template.json").read_text(encoding="utf-8"))))
    items = json.loads((folder / "items.json").read_text(encoding="utf-8"), parse_float=Decimal)
    with boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"]).batch_writer() as batch:
        for item in items:
            batch.put_item(Item=item)
    spec = json.loads((folder / "spec.json").read_text(encoding="utf-8"))
    body = (folder / "index.bin").read_bytes()
    boto3.client("s3").put_object(Bucket=os.environ["DOCUMENT_BUCKET"], Key=spec["blob_key"], Body=body)


class _Clock:
    """Time spent inside AWS calls (moto in process: botocore's before-call to after-call, every client)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self._started = 0.0

    def before(self, **_: Any) -> None:
        self.calls += 1
        self._started = time.perf_counter()

    def after(self, **_: Any) -> None:
        self.seconds += time.perf_counter() - self._started


def _retrieval_timer(knowledge: Any, spent: list[float]) -> None:
    """Instrumentation only (the real methods run): the time in ``bound`` (the manifest handed over, index read and
    loaded) and in every search of the turn, added to ``spent``."""
    bound = knowledge.bound

    def timed_bound(company_id: str, agent_id: str) -> Any:
        begun = time.perf_counter()
        search = bound(company_id, agent_id)
        spent.append(time.perf_counter() - begun)

        def timed_search(query: Any, limit: int) -> Any:
            begun = time.perf_counter()
            try:
                return search(query, limit)
            finally:
                spent.append(time.perf_counter() - begun)

        return timed_search

    knowledge.bound = timed_bound


def _answer(spec: dict[str, Any]) -> dict[str, Any]:
    """The timed part: the function's init (its handler module imported, as Lambda does before the first
    invocation), then the first chat turn through the services that handler uses, retrieval and AWS timed."""
    import importlib

    import boto3

    aws = _Clock()
    boto3.DEFAULT_SESSION.events.register("before-call", aws.before)  # type: ignore[union-attr]
    boto3.DEFAULT_SESSION.events.register("after-call", aws.after)  # type: ignore[union-attr]
    started = time.perf_counter()
    importlib.import_module(spec["handler_module"])
    initialised = time.perf_counter()
    from knowrithm_core.auth import Principal
    from knowrithm_core.container import get_services

    services = get_services()  # the handler's own (cached) composition root
    retrieval: list[float] = []
    _retrieval_timer(services.knowledge, retrieval)
    caller = Principal(
        kind="user", company_id=spec["company_id"], subject_id=spec["admin_id"],
        scopes=frozenset({"full_access"}), role="admin",
    )  # fmt: skip
    aws_before_turn = aws.seconds
    turn_started = time.perf_counter()
    reply = services.chat.send(caller, spec["conversation_id"], {"message": spec["question"]})
    done = time.perf_counter()
    turn_aws = aws.seconds - aws_before_turn
    return {
        "init_ms": (initialised - started) * 1000,
        "turn_ms": (done - turn_started) * 1000,
        "retrieval_ms": sum(retrieval) * 1000,
        "turn_aws_ms": turn_aws * 1000,
        "turn_ours_ms": (done - turn_started - turn_aws) * 1000,
        "total_ms": (done - started) * 1000,
        "aws_calls": aws.calls,
        "response": reply["response"],
        "sources": [s["document_name"] for s in reply["assistant_message"].get("sources") or []],
    }


def main() -> None:
    folder = Path(sys.argv[1])
    out = sys.stdout
    sys.stdout = sys.stderr  # whatever the app prints (metrics) must not mix with the JSON line
    _seed(folder)
    preloaded = [m for m in ("knowrithm_core", "bm25s", "numpy", "scipy") if m in sys.modules]
    result = _answer(json.loads((folder / "spec.json").read_text(encoding="utf-8")))
    result["preloaded"] = preloaded
    out.write(json.dumps(result) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
