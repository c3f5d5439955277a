"""``make dev`` writes ``sam-env.json`` for ``sam local``: every function, pointed at the running moto server."""

from __future__ import annotations

import json

import boto3
import pytest

from local.template import Stack, load_template
from tests.integration.conftest import LocalStack

pytestmark = pytest.mark.integration


def test_sam_env_names_every_function_and_the_running_stacks_resources(local_stack: LocalStack) -> None:
    # GIVEN the running stack / WHEN its sam-env.json is read
    env = json.loads((local_stack.state_dir / "sam-env.json").read_text(encoding="utf-8"))
    # THEN it covers every function of the template, each pointed at this stack's moto server
    assert set(env) == set(Stack(load_template()).of_type("AWS::Serverless::Function"))
    assert {variables["AWS_ENDPOINT_URL"] for variables in env.values()} == {local_stack.aws_endpoint_url}
    # AND the table and queues it names exist on that server (what a function under sam local would reach)
    variables = env["WebhookDeliveryFunction"]
    dynamodb = boto3.client("dynamodb", endpoint_url=local_stack.aws_endpoint_url, region_name="us-east-1")
    assert dynamodb.describe_table(TableName=variables["TABLE_NAME"])["Table"]["TableStatus"] == "ACTIVE"
    sqs = boto3.client("sqs", endpoint_url=local_stack.aws_endpoint_url, region_name="us-east-1")
    for name in ("DELIVERY_QUEUE_URL", "DELIVERY_DLQ_URL", "CHAT_QUEUE_URL", "INGEST_QUEUE_URL"):
        sqs.get_queue_attributes(QueueUrl=variables[name], AttributeNames=["QueueArn"])
    # AND the push function reaches the stack's own WebSocket Management API on loopback
    assert env["RealtimePushFunction"]["REALTIME_MANAGEMENT_URL"].startswith("http://127.0.0.1:")
    log = local_stack.log_path.read_text(encoding="utf-8")
    assert "AWS only, not created locally:" in log and "alarms" in log
