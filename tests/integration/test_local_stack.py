"""``make dev`` end to end: the real subprocess, over real HTTP, against its own moto server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator

import boto3
import httpx
import pytest

from local.template import Stack, functions, load_template
from tests.integration.conftest import ROOT, LocalStack

pytestmark = pytest.mark.integration


@pytest.fixture
def http(local_stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=local_stack.origin, timeout=15) as client:
        yield client


def key_headers(stack: LocalStack) -> dict[str, str]:
    return {"X-API-Key": stack.api_key, "X-API-Secret": stack.api_secret}


def test_health_answers_on_both_paths(http: httpx.Client) -> None:
    # GIVEN the running stack / WHEN health is asked on both routes / THEN both say healthy and connected
    for path in ("/health", "/api/v1/health"):
        response = http.get(path)
        assert response.status_code == 200, response.text
        assert response.json() == {"status": "healthy", "database": "connected"}


def test_demo_json_matches_the_printed_base_url(local_stack: LocalStack) -> None:
    assert local_stack.base_url == f"{local_stack.origin}/api"
    log = local_stack.log_path.read_text(encoding="utf-8")
    assert "✓ moto server on" in log and "✓ created table" in log and f"✓ API on {local_stack.origin}" in log
    assert local_stack.agent_id in log and local_stack.api_key in log and local_stack.api_secret in log


def test_the_seeded_agent_is_public(http: httpx.Client, local_stack: LocalStack) -> None:
    # WHEN the agent is fetched without credentials
    response = http.get(f"/api/v1/agent/{local_stack.agent_id}")
    # THEN its public fields are there (the widget reads them)
    assert response.status_code == 200, response.text
    agent = response.json()["agent"]
    assert agent["id"] == local_stack.agent_id and agent["company_id"] == local_stack.company_id
    assert "shipping" in agent["description"].lower()


def test_chat_with_the_demo_key_answers_from_the_description(http: httpx.Client, local_stack: LocalStack) -> None:
    # GIVEN a conversation with the demo agent, created with the demo key
    created = http.post(
        "/api/v1/conversation", json={"agent_id": local_stack.agent_id}, headers=key_headers(local_stack)
    )
    assert created.status_code == 201, created.text
    # WHEN a visitor asks about shipping
    reply = http.post(
        f"/api/v1/conversation/{created.json()['id']}/chat",
        json={"message": "How long does shipping take?"},
        headers=key_headers(local_stack),
    )
    # THEN the answer quotes the seeded description
    assert reply.status_code == 200, reply.text
    assert "2 to 4 business days" in reply.json()["response"]


def test_a_keyed_request_carries_its_quota_headers_over_http(http: httpx.Client, local_stack: LocalStack) -> None:
    # WHEN the demo key makes two requests through the local HTTP front
    first, second = (http.get("/api/v1/auth/validate", headers=key_headers(local_stack)) for _ in range(2))
    # THEN both carry the key's quota headers, the second with one request fewer left
    assert first.status_code == second.status_code == 200, second.text
    assert first.headers["X-RateLimit-Limit"] == "100000"
    assert int(second.headers["X-RateLimit-Remaining"]) == int(first.headers["X-RateLimit-Remaining"]) - 1
    assert int(first.headers["X-RateLimit-Reset"]) > time.time()


def test_unknown_route_is_a_json_404(http: httpx.Client) -> None:
    for path in ("/nope", "/api/v2/agent"):
        response = http.get(path)
        assert response.status_code == 404
        assert {"detail", "error", "message", "error_code"} <= response.json().keys()
    inside_the_api = http.get("/api/v1/no-such-thing")  # routed to the function, which answers 404 itself
    assert inside_the_api.status_code == 404 and inside_the_api.json()["error_code"] == "not_found"


def test_preflight_gets_the_templates_cors_headers(http: httpx.Client) -> None:
    # WHEN a browser on another origin preflights a POST with the API key headers
    response = http.options(
        "/api/v1/conversation",
        headers={
            "Origin": "http://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-api-key,x-api-secret",
        },
    )
    # THEN the function's CORS answer allows it (the HttpApi has no CorsConfiguration: see knowrithm_core.widget.cors)
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "x-api-secret" in response.headers["access-control-allow-headers"]
    assert response.headers["access-control-max-age"] == "600"
    # AND simple responses expose the request id header to the browser
    health = http.get("/health", headers={"Origin": "http://shop.example"})
    assert "X-Knowrithm-Request-Id" in health.headers["access-control-expose-headers"]


def test_invalid_json_is_a_400(http: httpx.Client, local_stack: LocalStack) -> None:
    response = http.post(
        "/api/v1/conversation",
        content=b"{not json",
        headers={**key_headers(local_stack), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error_code"] == "invalid_json"


def test_the_moto_server_holds_the_templates_table(local_stack: LocalStack) -> None:
    # GIVEN boto3 pointed at the stack's moto server
    dynamodb = boto3.client("dynamodb", endpoint_url=local_stack.aws_endpoint_url, region_name="us-east-1")
    # THEN the template's table exists there, with its stream, and holds the demo company
    assert "knowrithm-local-AppTable" in dynamodb.list_tables()["TableNames"]
    table = dynamodb.describe_table(TableName="knowrithm-local-AppTable")["Table"]
    assert table["StreamSpecification"]["StreamEnabled"] is True
    item = dynamodb.get_item(
        TableName="knowrithm-local-AppTable",
        Key={"PK": {"S": f"COMPANY#{local_stack.company_id}"}, "SK": {"S": "COMPANY"}},
    )
    assert item.get("Item", {}).get("name") == {"S": "Harbour Lane Books"}


def test_make_invoke_runs_against_the_running_stack(local_stack: LocalStack) -> None:
    # GIVEN the sample get-agent event, pointed at the seeded agent
    event = json.loads((ROOT / "events" / "api_agents_get_agent.json").read_text(encoding="utf-8"))
    path = f"/api/v1/agent/{local_stack.agent_id}"
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["pathParameters"] = {"proxy": local_stack.agent_id}  # of ANY /api/v1/agent/{proxy+}
    # WHEN local.invoke runs it with AWS_ENDPOINT_URL set to the stack's moto server
    env = {**os.environ, "AWS_ENDPOINT_URL": local_stack.aws_endpoint_url}
    done = subprocess.run(
        [sys.executable, "-m", "local.invoke", "--function", "ApiAgentsFunction", "--event", "-"],
        input=json.dumps(event),
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    # THEN the handler found the agent that make dev seeded
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["statusCode"] == 200, result
    assert json.loads(result["body"])["agent"]["id"] == local_stack.agent_id


def test_the_templates_event_sources_are_polled(local_stack: LocalStack) -> None:
    # GIVEN the template's SQS and DynamoDB-stream events
    stack = Stack(load_template())
    sources = [
        (spec.logical_id, name, event)
        for spec in functions(stack).values()
        for name, event in spec.events.items()
        if event.get("Type") in ("SQS", "DynamoDB")
    ]
    if not sources:
        pytest.skip("the template has no SQS or stream event sources")
    # THEN make dev started a poller for each of them
    log = local_stack.log_path.read_text(encoding="utf-8")
    for function, name, _ in sources:
        assert f"{function}.{name}" in log
    # AND a message sent to a polled queue is taken off it by the poller (whatever the handler then decides)
    queue_events = [(f, e) for f, _, e in sources if e["Type"] == "SQS"]
    if not queue_events:
        return
    sqs = boto3.client("sqs", endpoint_url=local_stack.aws_endpoint_url, region_name="us-east-1")
    queue_name = stack.resolve(queue_events[0][1]["Properties"]["Queue"]).rsplit(":", 1)[-1]
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    assert url == stack.queue_url(queue_name.removeprefix(f"{stack.name}-"), local_stack.aws_endpoint_url)
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"local_stack_probe": True}))
    deadline = time.monotonic() + 15
    visible = "1"
    while time.monotonic() < deadline and visible != "0":
        time.sleep(0.2)
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        visible = attributes["Attributes"]["ApproximateNumberOfMessages"]
    assert visible == "0", "the poller did not receive the message"


@pytest.mark.parametrize(
    ("queue", "dlq"), [("ChatQueue", "ChatDLQ"), ("IngestQueue", "IngestDLQ"), ("DeliveryQueue", "DeliveryDLQ")]
)
def test_a_malformed_message_reaches_its_workers_dlq_after_one_receive(
    local_stack: LocalStack, queue: str, dlq: str
) -> None:
    # GIVEN the local stack's pollers running the worker functions
    stack = Stack(load_template())
    sqs = boto3.client("sqs", endpoint_url=local_stack.aws_endpoint_url, region_name="us-east-1")
    url = sqs.get_queue_url(QueueName=stack.physical_name(queue))["QueueUrl"]
    dlq_url = sqs.get_queue_url(QueueName=stack.physical_name(dlq))["QueueUrl"]
    # WHEN a body that is not JSON lands on the worker's queue
    message_id = sqs.send_message(QueueUrl=url, MessageBody="not json")["MessageId"]
    # THEN the worker sent it to its own DLQ itself, unchanged (the redrive policy would add no attributes)
    deadline, found = time.monotonic() + 20, None
    while found is None and time.monotonic() < deadline:
        got = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=10,
            MessageAttributeNames=["All"],
            VisibilityTimeout=1,
            WaitTimeSeconds=1,
        ).get("Messages", [])
        found = next(
            (
                m
                for m in got
                if m.get("MessageAttributes", {}).get("source_message_id", {}).get("StringValue") == message_id
            ),
            None,
        )
    assert found is not None, f"{message_id} is not in {dlq}"
    assert found["Body"] == "not json"
    assert found["MessageAttributes"]["dead_letter_reason"]["StringValue"] == "the body is not JSON"
    sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=found["ReceiptHandle"])
