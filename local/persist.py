"""Capture the local stack's state from moto and put it back after a restart (see :mod:`local.snapshot`).

Reads go through moto's in-process backends (the moto server runs in this process): a table is copied under
the DynamoDB lock without an HTTP scan, and queued messages are read without receiving them (a receive would
count towards a redrive). Writes on restore go through the AWS APIs, before any event-source poller starts;
a table's stream is re-created after its items are back, so restored items are not delivered as new events.
"""

from __future__ import annotations

import base64
from typing import Any

from local.template import ACCOUNT_ID, Stack


def _client(service: str, endpoint: str | None, region: str) -> Any:
    import boto3

    return boto3.client(service, endpoint_url=endpoint, region_name=region)  # type: ignore[call-overload]


def _of_type(stack: Stack, kind: str) -> list[str]:
    return [logical_id for logical_id, r in stack.resources.items() if r.get("Type") == kind]


def queue_name(stack: Stack, logical_id: str) -> str:
    fifo = bool(stack.resolve(stack.resources[logical_id].get("Properties", {})).get("FifoQueue"))
    return stack.physical_name(logical_id) + (".fifo" if fifo else "")


def _raw(value: Any) -> dict[str, Any]:
    """One of moto's attribute values (``DynamoType``) in the low-level API's shape, binary as bytes."""
    kind, inner = value.type, value.value
    if kind == "M":
        return {"M": {name: _raw(nested) for name, nested in inner.items()}}
    if kind == "L":
        return {"L": [_raw(nested) for nested in inner]}
    if kind == "B":
        return {"B": _bytes(inner)}
    if kind == "BS":
        return {"BS": [_bytes(member) for member in inner]}
    return {kind: inner}


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else base64.b64decode(value)


def capture_tables(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    from moto.dynamodb.models import dynamodb_backends

    from local.moto_safety import LOCK

    backend = dynamodb_backends[ACCOUNT_ID][stack.region]
    tables: dict[str, list[dict[str, Any]]] = {}
    for logical_id in _of_type(stack, "AWS::DynamoDB::Table"):
        with LOCK:
            table = backend.get_table(stack.physical_name(logical_id))
            # table.items: {hash key: item}, or {hash key: {range key: item}} (all_items() would sort them too)
            groups: list[Any] = list(table.items.values())
            items = [i for g in groups for i in g.values()] if table.range_key_attr else groups
            tables[logical_id] = [{name: _raw(value) for name, value in item.attrs.items()} for item in items]
    return tables


def capture_buckets(stack: Stack, endpoint: str | None, cache: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    """Every object of every bucket; ``cache`` (by key and ETag) keeps unchanged objects from being re-read."""
    s3 = _client("s3", endpoint, stack.region)
    buckets: dict[str, list[dict[str, Any]]] = {}
    for logical_id in _of_type(stack, "AWS::S3::Bucket"):
        objects = buckets[logical_id] = []
        bucket = stack.ref(logical_id)
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for summary in page.get("Contents", []):
                cached = cache.get((bucket, summary["Key"]))
                if cached is None or cached["etag"] != summary["ETag"]:
                    got = s3.get_object(Bucket=bucket, Key=summary["Key"])
                    cached = {
                        "key": summary["Key"],
                        "etag": summary["ETag"],
                        "body": got["Body"].read(),
                        "content_type": got.get("ContentType", "binary/octet-stream"),
                        "metadata": got.get("Metadata", {}),
                    }
                    cache[(bucket, summary["Key"])] = cached
                objects.append(cached)
    return buckets


def capture_queues(stack: Stack) -> dict[str, list[dict[str, Any]]]:
    """The messages waiting in each queue (visible ones: a message being processed is not saved)."""
    from moto.sqs.models import sqs_backends

    backend = sqs_backends[ACCOUNT_ID][stack.region]
    queues: dict[str, list[dict[str, Any]]] = {}
    for logical_id in _of_type(stack, "AWS::SQS::Queue"):
        queue = backend.queues.get(queue_name(stack, logical_id))
        if queue is None:  # deleted while the stack runs (a test may do that): nothing to keep
            continue
        queues[logical_id] = [
            {
                "body": message.body,
                "attributes": {
                    name: {"DataType": value["DataType"], "StringValue": value["StringValue"]}
                    for name, value in message.message_attributes.items()
                    if value.get("StringValue") is not None
                },
                "group_id": message.group_id,
                "deduplication_id": message.deduplication_id,
            }
            for message in list(queue.messages)
        ]
    return queues


def capture_secrets(stack: Stack, endpoint: str | None) -> dict[str, str]:
    client = _client("secretsmanager", endpoint, stack.region)
    return {
        logical_id: client.get_secret_value(SecretId=stack.physical_name(logical_id))["SecretString"]
        for logical_id in _of_type(stack, "AWS::SecretsManager::Secret")
    }


def capture_kms(stack: Stack) -> dict[str, dict[str, Any]]:
    from moto.kms.models import kms_backends

    backend = kms_backends[ACCOUNT_ID][stack.region]
    keys: dict[str, dict[str, Any]] = {}
    for logical_id in _of_type(stack, "AWS::KMS::Key"):
        key = backend.keys[stack.physical_ids[logical_id]]
        keys[logical_id] = {"key_id": key.id, "material": bytes(key.key_material)}
    return keys


def capture(stack: Stack, endpoint: str | None, cache: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any]:
    """Everything :func:`restore` puts back, as the snapshot's sections."""
    return {
        "tables": capture_tables(stack),
        "buckets": capture_buckets(stack, endpoint, cache),
        "queues": capture_queues(stack),
        "secrets": capture_secrets(stack, endpoint),
        "kms": capture_kms(stack),
    }


def restore_kms(stack: Stack, saved: dict[str, dict[str, Any]]) -> None:
    """Give each key created for this run its saved id and material (and move its aliases along)."""
    from moto.kms.models import kms_backends

    backend = kms_backends[ACCOUNT_ID][stack.region]
    for logical_id, old in saved.items():
        if logical_id not in stack.physical_ids:
            continue
        key = backend.keys.pop(stack.physical_ids[logical_id])
        key.arn = key.arn.replace(key.id, old["key_id"])
        key.id = old["key_id"]
        key.key_material = old["material"]
        for alias in key.aliases.values():
            alias.target_key_id = key.id
        backend.keys[key.id] = key
        stack.physical_ids[logical_id] = key.id


def restore_table(stack: Stack, endpoint: str | None, logical_id: str, items: list[dict[str, Any]]) -> None:
    client = _client("dynamodb", endpoint, stack.region)
    name = stack.physical_name(logical_id)
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        pending: dict[str, Any] = {name: batch}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
    spec = stack.resolve(stack.resources[logical_id].get("Properties", {})).get("StreamSpecification")
    if spec and items:  # a fresh stream (new label and shard): the restored writes are not news
        from moto.dynamodb.models import dynamodb_backends

        from local.moto_safety import LOCK

        with LOCK:
            table = dynamodb_backends[ACCOUNT_ID][stack.region].get_table(name)
            table.set_stream_specification({"StreamEnabled": True, **spec})


def restore_objects(stack: Stack, endpoint: str | None, logical_id: str, objects: list[dict[str, Any]]) -> None:
    s3 = _client("s3", endpoint, stack.region)
    for entry in objects:
        s3.put_object(
            Bucket=stack.ref(logical_id),
            Key=entry["key"],
            Body=entry["body"],
            ContentType=entry["content_type"],
            Metadata=entry["metadata"],
        )


def restore_messages(stack: Stack, endpoint: str | None, logical_id: str, messages: list[dict[str, Any]]) -> None:
    sqs = _client("sqs", endpoint, stack.region)
    url = sqs.get_queue_url(QueueName=queue_name(stack, logical_id))["QueueUrl"]
    for message in messages:
        args: dict[str, Any] = {"QueueUrl": url, "MessageBody": message["body"]}
        if message["attributes"]:
            args["MessageAttributes"] = message["attributes"]
        if message.get("group_id"):
            args["MessageGroupId"] = message["group_id"]
        if message.get("deduplication_id"):
            args["MessageDeduplicationId"] = message["deduplication_id"]
        sqs.send_message(**args)


def restore(stack: Stack, endpoint: str | None, state: dict[str, Any]) -> dict[str, int]:
    """Put a snapshot back into freshly created resources; returns what was restored, by kind."""
    restore_kms(stack, state.get("kms", {}))
    secrets = _client("secretsmanager", endpoint, stack.region)
    for logical_id, value in state.get("secrets", {}).items():
        if logical_id in stack.resources:
            secrets.put_secret_value(SecretId=stack.physical_name(logical_id), SecretString=value)
    counts = {"items": 0, "objects": 0, "messages": 0}
    for section, kind, restorer in (
        ("tables", "items", restore_table),
        ("buckets", "objects", restore_objects),
        ("queues", "messages", restore_messages),
    ):
        for logical_id, entries in state.get(section, {}).items():
            if logical_id in stack.resources:  # a resource since removed from the template is dropped
                restorer(stack, endpoint, logical_id, entries)
                counts[kind] += len(entries)
    return counts
