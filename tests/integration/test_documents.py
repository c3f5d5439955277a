"""The knowledge base on the real local stack: SDK upload -> DocumentIngestFunction (SQS poller) ->
``document.processed`` in the outbox -> answers that cite the right document; then the official client.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest

from knowrithm_py.knowrithm.client import KnowrithmClient
from knowrithm_py.models import ProviderSelection
from tests.integration.test_official_client import official_python  # noqa: F401 - the shared throwaway venv
from tests.pdf_maker import make_pdf

pytestmark = pytest.mark.integration

BY_NAME: ProviderSelection = {
    "llm_provider": "extractive",
    "llm_model": "extractive",
    "embedding_provider": "extractive",
    "embedding_model": "bm25",
}
HANDBOOK = [
    "Studio handbook. The studio fires the kiln every Thursday night, so pieces glazed by Wednesday are ready "
    "on Friday morning.",
    "Membership. A monthly studio membership costs 95 dollars and includes 20 kilograms of clay.",
]
FAQ = (
    "# Care instructions\n\nAll our mugs are dishwasher safe and microwave safe.\n\n"
    "# Repairs\n\nWe repair chipped rims for free within the first year."
)


class LocalStack(Protocol):
    base_url: str
    api_key: str
    api_secret: str
    company_id: str
    aws_endpoint_url: str


@pytest.fixture(scope="module")
def client(local_stack: LocalStack) -> Iterator[KnowrithmClient]:
    with KnowrithmClient(local_stack.api_key, local_stack.api_secret, base_url=local_stack.base_url) as sdk:
        yield sdk


def _agent(client: KnowrithmClient, description: str = "A pottery studio's helper.") -> str:
    """An agent of its own (the stack's shared agent is left alone)."""
    name = f"docs-agent-{uuid.uuid4().hex[:8]}"
    return client.agents.create_agent({"name": name, "description": description}, settings=BY_NAME)["agent"]["id"]


def _outbox(local_stack: LocalStack) -> list[dict[str, Any]]:
    """The company's outbox events, read from the stack's moto server (what the stream hands to the fan-out)."""
    import boto3
    from boto3.dynamodb.types import TypeDeserializer

    dynamodb = boto3.client("dynamodb", endpoint_url=local_stack.aws_endpoint_url, region_name="us-east-1")
    tables = [t for t in dynamodb.list_tables()["TableNames"] if t.endswith("AppTable")]
    items = dynamodb.query(
        TableName=tables[0],
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": f"COMPANY#{local_stack.company_id}#EVENTS"}},
    )["Items"]
    decode = TypeDeserializer().deserialize
    return [{k: decode(v) for k, v in item.items()} for item in items]


def test_sdk_upload_is_processed_and_answers_cite_the_right_document(
    client: KnowrithmClient, local_stack: LocalStack, tmp_path: Path
) -> None:
    # GIVEN a small PDF and a Markdown file on disk, and a fresh agent
    pdf, markdown = tmp_path / "handbook.pdf", tmp_path / "faq.md"
    pdf.write_bytes(make_pdf(HANDBOOK, title="Studio handbook"))
    markdown.write_text(FAQ, encoding="utf-8")
    agent_id = _agent(client)
    # WHEN they are uploaded through the SDK
    started = time.monotonic()
    uploaded = client.documents.upload_documents(agent_id, file_paths=[pdf, markdown])
    # THEN both are accepted, and the ingest function (driven by the stack's SQS poller) completes them
    assert uploaded["documents_processed"] == 2 and uploaded["errors"] == []
    ids = [d["id"] for d in uploaded["documents"]]
    documents = client.documents.wait_until_processed(ids, timeout=60, interval=0.2)
    processing_seconds = time.monotonic() - started
    assert [d["status"] for d in documents] == ["completed", "completed"], documents
    assert documents[0]["page_count"] == 2 and documents[1]["document_type"] == "md"
    # AND document.processed is in the outbox for each, committed with the final status
    events = [e for e in _outbox(local_stack) if e["event"] == "document.processed" and e["data"]["id"] in ids]
    assert sorted(e["data"]["original_filename"] for e in events) == ["faq.md", "handbook.pdf"]
    assert {e["data"]["status"] for e in events} == {"completed"}
    # WHEN questions are asked that each document answers
    conversation = client.conversations.create_conversation(agent_id)["id"]
    kiln = client.messages.send_message(conversation, "When does the studio fire the kiln?")
    other = client.conversations.create_conversation(agent_id)["id"]
    care = client.messages.send_message(other, "Are the mugs dishwasher safe?")
    # THEN each answer quotes its document and cites it
    kiln_message: dict[str, Any] = kiln["assistant_message"]  # type: ignore[typeddict-item]
    care_message: dict[str, Any] = care["assistant_message"]  # type: ignore[typeddict-item]
    assert "Thursday night" in kiln["response"] and "[Source 1]" in kiln["response"]  # type: ignore[typeddict-item]
    assert [s["document_name"] for s in kiln_message["sources"]] == ["handbook.pdf"]
    assert kiln_message["sources"][0]["document_id"] == ids[0]
    assert "dishwasher safe" in care["response"]  # type: ignore[typeddict-item]
    assert [s["document_name"] for s in care_message["sources"]] == ["faq.md"]
    assert care_message["metadata"]["cited_sources"] == [1]
    # AND search finds the same chunks
    found = client.documents.search_documents("kiln Thursday", agent_id, limit=3)
    assert found["results"][0]["document_name"] == "handbook.pdf" and found["matches"] == found["results"]
    assert processing_seconds < 30


def test_deleting_a_document_removes_it_from_answers_at_once(client: KnowrithmClient, tmp_path: Path) -> None:
    # GIVEN a processed document the agent answers from
    path = tmp_path / "repairs.md"
    path.write_text(FAQ, encoding="utf-8")
    agent_id = _agent(client)
    [document] = client.documents.upload_documents(agent_id, file_paths=[path])["documents"]
    client.documents.wait_until_processed([document["id"]], timeout=60, interval=0.2)
    assert client.documents.search_documents("repair chipped rims", agent_id)["total_results"] == 1
    # WHEN it is deleted, then restored
    client.documents.delete_document(document["id"])
    hidden = client.documents.search_documents("repair chipped rims", agent_id)["total_results"]
    client.documents.restore_document(document["id"])
    shown = client.documents.search_documents("repair chipped rims", agent_id)["total_results"]
    # THEN search drops it immediately and finds it again after the restore
    assert (hidden, shown) == (0, 1)


OFFICIAL_SCRIPT = """\
import json, sys, time
from knowrithm_py.knowrithm.client import KnowrithmClient
from knowrithm_py.dataclass.config import KnowrithmConfig

base_url, api_key, api_secret, agent_id, path = sys.argv[1:6]
client = KnowrithmClient(api_key, api_secret, config=KnowrithmConfig(base_url=base_url, task_poll_timeout=30))
uploaded = client.documents.upload_documents(agent_id, file_paths=[path], metadata={"category": "care"})
document_id = uploaded["documents"][0]["id"]
deadline = time.monotonic() + 60
status = None
while time.monotonic() < deadline:
    listed = client.documents.list_documents(per_page=100)["document"]
    status = next(d["status"] for d in listed if d["id"] == document_id)
    if status in ("completed", "failed"):
        break
    time.sleep(0.3)
found = client.analytics.search_documents("dishwasher safe", agent_id, limit=3)
print(json.dumps({"uploaded": uploaded, "status": status, "found": found}))
"""


def test_the_official_client_uploads_and_searches(
    official_python: Path,  # noqa: F811 - the fixture imported above
    local_stack: LocalStack,
    client: KnowrithmClient,
    tmp_path: Path,
) -> None:
    # GIVEN the official knowrithm-py client, a Markdown file, and a fresh agent
    path = tmp_path / "care.md"
    path.write_text(FAQ, encoding="utf-8")
    agent_id = _agent(client)
    args = [str(official_python), "-c", OFFICIAL_SCRIPT, local_stack.base_url, local_stack.api_key]
    args += [local_stack.api_secret, agent_id, str(path)]
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}  # only the official package
    # WHEN it uploads the file (multipart ``files``), waits for processing and searches
    done = subprocess.run(args, capture_output=True, text=True, timeout=120, env=env)
    # THEN every call succeeds with the shapes it reads
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["uploaded"]["success"] is True and result["uploaded"]["documents_processed"] == 1
    assert result["uploaded"]["documents"][0]["metadata"] == {"category": "care"}
    assert result["status"] == "completed"
    top = result["found"]["results"][0]
    assert top["document_name"] == "care.md" and "dishwasher safe" in top["content"] and top["score"] > 0
