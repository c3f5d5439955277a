"""``make redrive`` (``python -m local.redrive``) against a deployed stack: queues found through CloudFormation
(moto), each DLQ's depth listed; a bad queue name is refused before anything is called."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from local import redrive


@pytest.fixture
def deployed(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with mock_aws():
        resources = {
            logical_id: {"Type": "AWS::SQS::Queue", "Properties": {}}
            for pair in redrive.LOGICAL_IDS.values()
            for logical_id in pair
        }
        template = {"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}
        boto3.client("cloudformation").create_stack(StackName="prod-knowrithm", TemplateBody=json.dumps(template))
        monkeypatch.setenv("STACK", "prod-knowrithm")
        yield "prod-knowrithm"


def test_without_a_queue_it_lists_each_dlq_of_the_deployed_stack(
    deployed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN two messages in the deployed stack's DeliveryDLQ
    sqs = boto3.client("sqs")
    dlq = redrive._queue_url(deployed, "DeliveryDLQ")
    for n in range(2):
        sqs.send_message(QueueUrl=dlq, MessageBody=str(n))
    # WHEN make redrive runs without QUEUE
    assert redrive.main([]) == 0
    # THEN it printed every DLQ's depth
    listed = json.loads(capsys.readouterr().out)["queues"]
    assert {q["queue"]: q["messages"] for q in listed} == {"delivery": 2, "ingest": 0, "chat": 0, "fanout-failures": 0}


def test_an_unknown_queue_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert redrive.main(["nope"]) == 2
    assert "unknown queue 'nope'" in capsys.readouterr().err
