"""The local stack and template.yaml's operations resources: AWS-only ones are left out, sam-env.json covers all."""

from __future__ import annotations

import json
from pathlib import Path

import boto3

from local.resources import CLOUD_ONLY, cloud_only, create_all
from local.sam_env import write_sam_env
from local.template import Stack, functions, load_template

ENDPOINT = "http://127.0.0.1:5999"


def test_the_templates_alarms_dashboard_topic_and_log_group_are_left_out_locally(aws: None) -> None:
    # GIVEN template.yaml (alarms, a dashboard, the alarm topic and its subscription, the access log group)
    stack = Stack(load_template(), name="ops")
    left_out = cloud_only(stack)
    assert set(left_out) == set(CLOUD_ONLY.values())
    assert len(left_out["alarm"]) >= 30 and left_out["dashboard"] == ["OperationsDashboard"]
    # WHEN the local stack creates its resources on moto
    created = create_all(stack)
    # THEN every queue exists, and none of the AWS-only resources was created or attempted
    assert {"DeliveryDLQ", "FanoutFailureQueue", "AppTable"} <= set(created)
    assert not set(created) & {name for names in left_out.values() for name in names}
    assert boto3.client("cloudwatch", region_name=stack.region).describe_alarms()["MetricAlarms"] == []
    assert boto3.client("sns", region_name=stack.region).list_topics()["Topics"] == []
    queues = boto3.client("sqs", region_name=stack.region).list_queues()["QueueUrls"]
    assert len(queues) == len(stack.of_type("AWS::SQS::Queue"))


def test_sam_env_points_every_function_at_the_moto_server(tmp_path: Path) -> None:
    # GIVEN the template's functions as the local stack resolves them
    stack = Stack(load_template(), name="knowrithm-local")
    specs = functions(stack)
    # (the template's AWS_ENDPOINT_URL, declared for sam local, resolves away for the local stack's own process)
    assert not any("AWS_ENDPOINT_URL" in spec.environment for spec in specs.values())
    # WHEN make dev writes sam-env.json
    path = write_sam_env(tmp_path, stack, specs, ENDPOINT)
    env = json.loads(path.read_text(encoding="utf-8"))
    # THEN it has every function of the template, each with the endpoint and every variable it declares
    assert set(env) == set(stack.of_type("AWS::Serverless::Function")) and len(env) >= 13
    for logical_id, variables in env.items():
        assert variables["AWS_ENDPOINT_URL"] == ENDPOINT
        assert set(specs[logical_id].environment) <= set(variables)
        assert variables["TABLE_NAME"] == "knowrithm-local-AppTable"
        # queue URLs are moto's, not the resolver's placeholders
        assert variables["DELIVERY_QUEUE_URL"] == f"{ENDPOINT}/123456789012/knowrithm-local-DeliveryQueue"
        assert not any("http://localhost/" in value for value in variables.values())
    assert env["WebhookDeliveryFunction"]["WEBHOOK_RETRY_SCHEDULE"] == ""  # a function's own variables too
    assert not list(tmp_path.glob("*.tmp"))
