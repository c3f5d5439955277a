"""A file larger than a Lambda request can carry, on the real local stack: the SDK asks for an upload URL,
POSTs the file straight to the stack's S3 (the moto server) with the signed policy (a staging key under
``uploads/``), completes it (the file moves to ``documents/``), and the ingest function (driven by the stack's
SQS poller) processes it to ``completed``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from knowrithm_py.knowrithm.client import KnowrithmClient
from knowrithm_py.models import ProviderSelection
from tests.integration.conftest import LocalStack, run_local_stack

pytestmark = pytest.mark.integration

SIZE = 6_500_000  # above Lambda's 6 MB synchronous payload limit: the direct upload route could not take it
BY_NAME: ProviderSelection = {
    "llm_provider": "extractive",
    "llm_model": "extractive",
    "embedding_provider": "extractive",
    "embedding_model": "bm25",
}


@pytest.fixture(scope="module")
def big_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    """A local stack of this module's own: the ~7,500 chunks of the big document would slow down every later
    write on the shared stack (moto's TransactWriteItems deep-copies the whole table, stream records included,
    for each item of a transaction; a real table has no such cost). With that table, stopping can take longer
    than the clean-exit check allows on a loaded machine, so it is killed then (the session's stack checks the
    clean exit)."""
    yield from run_local_stack(tmp_path_factory.mktemp("presigned-stack"), check_exit=False)


@pytest.fixture(scope="module")
def client(big_stack: LocalStack) -> Iterator[KnowrithmClient]:
    with KnowrithmClient(big_stack.api_key, big_stack.api_secret, base_url=big_stack.base_url) as sdk:
        yield sdk


def _big_markdown(path: Path) -> int:
    """About 6.5 MB of generated, varied paragraphs, with one fact to search for in the middle."""
    topics = ("glazes", "kilns", "clay bodies", "wheels", "firing schedules", "studio safety", "trimming")
    paragraphs = []
    size, i = 0, 0
    while size < SIZE:
        topic = topics[i % len(topics)]
        text = (
            f"## Note {i} on {topic}\n\nStudio note number {i} covers {topic}. Section {i % 97} of the archive "
            f"records that batch {i * 7 % 1009} was checked by potter {i % 13} and logged as entry {i}.\n\n"
        )
        if i == 20_000:
            text += "The secret glaze is called Moonlit Celadon and it is fired at cone 10.\n\n"
        paragraphs.append(text)
        size += len(text)
        i += 1
    data = "".join(paragraphs).encode()
    path.write_bytes(data)
    return len(data)


def test_the_upload_url_points_at_the_stacks_s3_and_completing_early_is_a_409(
    client: KnowrithmClient, big_stack: LocalStack
) -> None:
    from knowrithm_py.errors import KnowrithmAPIError

    # GIVEN an agent
    agent = client.agents.create_agent({"name": f"early-{uuid.uuid4().hex[:8]}"}, settings=BY_NAME)["agent"]["id"]
    try:
        # WHEN an upload URL is asked for
        ticket = client.documents.create_upload_url(agent, "later.md", 7_000_000)
        # THEN the pre-signed URL is the stack's moto server (AWS_ENDPOINT_URL), never AWS
        assert urlsplit(ticket["upload"]["url"]).netloc == urlsplit(big_stack.aws_endpoint_url).netloc
        # AND completing before the file was sent is a 409 upload_missing
        with pytest.raises(KnowrithmAPIError) as caught:
            client.documents.complete_upload(ticket["document"]["id"])
        assert caught.value.status_code == 409 and caught.value.error_code == "upload_missing"
    finally:
        client.agents.delete_agent(agent)


def _keys(stack: LocalStack, prefix: str) -> dict[str, int]:
    import boto3

    s3 = boto3.client("s3", endpoint_url=stack.aws_endpoint_url, region_name="us-east-1")
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "documentbucket" in b["Name"].lower())
    return {o["Key"]: o["Size"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])}


def test_a_file_above_six_megabytes_goes_through_the_presigned_flow_and_is_processed(
    client: KnowrithmClient, big_stack: LocalStack, tmp_path: Path
) -> None:
    # GIVEN a 6.5 MB Markdown file and a fresh agent of its own (its index stays out of the other tests' way)
    path = tmp_path / "studio-archive.md"
    size = _big_markdown(path)
    assert size > 6 * 1024 * 1024
    agent = client.agents.create_agent({"name": f"archive-{uuid.uuid4().hex[:8]}"}, settings=BY_NAME)["agent"]["id"]
    try:
        # WHEN the SDK uploads it (above its 5 MB threshold: upload-url -> S3 POST -> complete)
        uploaded = client.documents.upload_documents(agent, file_paths=[path])
        # THEN it was accepted as one pending document of the full size
        [document] = uploaded["documents"]
        assert uploaded["documents_processed"] == 1 and uploaded["errors"] == []
        assert document["status"] == "pending" and document["file_size"] == size
        # AND the file moved from its staging key to where the ingest worker reads it
        assert [k for k in _keys(big_stack, "uploads/") if document["id"] in k] == []
        final = f"documents/{big_stack.company_id}/{document['id']}/original.md"
        assert _keys(big_stack, f"documents/{big_stack.company_id}/{document['id']}/") == {final: size}
        # AND the ingest function completes it (a condition with a generous bound: speed goals live in bench/)
        [done] = client.documents.wait_until_processed([document["id"]], timeout=300, interval=0.5)
        assert done["status"] == "completed", done.get("processing_error")
        assert done["chunk_count"] > 1000 and done["document_type"] == "md"
        # AND its text is searchable, and the agent counts it
        found = client.documents.search_documents("Moonlit Celadon secret glaze", agent, limit=1, include_content=True)
        assert found["results"] and "Moonlit Celadon" in found["results"][0]["content"]
        assert client.agents.get_agent_stats(agent)["documents_count"] == 1
    finally:
        client.agents.delete_agent(agent)
