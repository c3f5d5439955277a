"""Fixtures for the local stack's own tests: small templates in tmp dirs, with real handler modules, on moto."""

from __future__ import annotations

import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from local.resources import create_all
from local.template import Stack, load_template

HANDLERS = '''
"""Test handlers. Batch handler: records each event; "boom" in a record raises, "fail" reports it failed."""
import base64
import json

EVENTS = []


def _text(record):
    return record["body"] if "body" in record else json.dumps(record.get("dynamodb", {}).get("NewImage", {}))


def _id(record):
    return record["messageId"] if "messageId" in record else record["dynamodb"]["SequenceNumber"]


def batch(event, context):
    EVENTS.append(event)
    if any("boom" in _text(r) for r in event["Records"]):
        raise RuntimeError("boom")
    return {"batchItemFailures": [{"itemIdentifier": _id(r)} for r in event["Records"] if "fail" in _text(r)]}


def echo(event, context):
    facts = {
        "event": event,
        "function_name": context.function_name,
        "memory": context.memory_limit_in_mb,
        "arn": context.invoked_function_arn,
        "request_id": context.aws_request_id,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
    return {
        "statusCode": 201,
        "headers": {"content-type": "application/json", "access-control-allow-origin": "http://evil.example"},
        "cookies": ["a=1", "b=2; Path=/"],
        "body": json.dumps(facts),
    }


def special(event, context):
    return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "special"}


def binary(event, context):
    png = b"\\x89PNG\\x00\\xff"
    return {"statusCode": 200, "headers": {"content-type": "image/png"}, "isBase64Encoded": True,
            "body": base64.b64encode(png).decode()}


def bare(event, context):
    return {"hello": "world"}


def malformed(event, context):
    return {"statusCode": "teapot"}


def boom(event, context):
    raise RuntimeError("secret internal detail")
'''


class Handlers:
    """A uniquely named handler module in a tmp dir (so tests never share module state)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.module_name = f"local_test_handlers_{uuid.uuid4().hex[:12]}"
        (directory / f"{self.module_name}.py").write_text(HANDLERS, encoding="utf-8")

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event the batch handler received (empty until the module was first imported)."""
        module = sys.modules.get(self.module_name)  # a poller thread may be importing it right now
        events: list[dict[str, Any]] = getattr(module, "EVENTS", [])
        return events


@pytest.fixture
def handlers(tmp_path: Path) -> Iterator[Handlers]:
    code = tmp_path / "code"
    code.mkdir()
    found = Handlers(code)
    yield found
    sys.modules.pop(found.module_name, None)
    if str(code) in sys.path:
        sys.path.remove(str(code))


MakeStack = Callable[[str], Stack]


@pytest.fixture
def make_stack(tmp_path: Path, handlers: Handlers) -> MakeStack:
    """Write ``resources`` (YAML under ``Resources:``; ``{code}`` and ``{module}`` are filled in) and load it."""

    def make(resources: str) -> Stack:
        text = 'AWSTemplateFormatVersion: "2010-09-09"\nTransform: AWS::Serverless-2016-10-31\nResources:\n'
        body = resources.replace("{code}", str(handlers.directory)).replace("{module}", handlers.module_name)
        path = tmp_path / "template.yaml"
        path.write_text(text + textwrap.indent(textwrap.dedent(body), "  "), encoding="utf-8")
        return Stack(load_template(path), name="t")

    return make


@pytest.fixture
def aws() -> Iterator[None]:
    """moto in process (the pollers and resources use plain boto3 clients, endpoint None)."""
    with mock_aws():
        yield


@pytest.fixture
def deployed(aws: None, make_stack: MakeStack) -> Callable[[str], Stack]:
    """Like ``make_stack``, with every resource created on moto."""

    def make(resources: str) -> Stack:
        stack = make_stack(resources)
        create_all(stack)
        return stack

    return make
