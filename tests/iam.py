"""IAM for what the code really calls: each AWS call becomes the (action, resource) IAM checks, and a function's
template policies (inline statements and the SAM policy templates we use) say whether they allow it.

moto never checks IAM, so without this a call a function's role does not allow would only fail once deployed.
Resources are named by template logical id: ``table:AppTable``, ``table:AppTable/index/GSI1``,
``bucket:DocumentBucket/<key>``, ``queue:ChatQueue``, ``secret:JwtSecret``, ``model:<id>``,
``key:WebhookSecretsKey``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from local.template import Stack

Need = tuple[str, str]  # (IAM action, resource)

_TRANSACT_ITEM_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}
_S3_ACTIONS = {"HeadObject": "GetObject", "ListObjectsV2": "ListBucket", "ListObjects": "ListBucket"}


@dataclass(frozen=True)
class Names:
    """Physical AWS names -> template logical ids (the bucket and queues moto created from the template)."""

    table: str
    bucket: str
    queues: Mapping[str, str]  # queue name -> logical id

    @classmethod
    def of(cls, stack: Stack) -> Names:
        queues = {stack.physical_name(q): q for q in stack.of_type("AWS::SQS::Queue")}
        return cls("AppTable", "DocumentBucket", queues)


def needs(service: str, operation: str, params: Mapping[str, Any], names: Names) -> list[Need]:
    """The (action, resource) pairs IAM checks for one API call."""
    if service == "dynamodb":
        return _dynamodb(operation, params, names)
    if service == "s3":
        key = f"bucket:{names.bucket}/{params.get('Key', '')}"
        if operation == "CopyObject":
            copied = params["CopySource"]  # {"Bucket", "Key"} or "bucket/key"
            source = str(copied["Key"]) if isinstance(copied, dict) else str(copied).split("/", 1)[-1]
            return [("s3:PutObject", key), ("s3:GetObject", f"bucket:{names.bucket}/{source}")]
        if operation == "CreateBucket":  # botocore's generate_presigned_post emits its params with this model;
            return [("s3:PutObject", f"bucket:{names.bucket}/*")]  # the signed form is a PutObject of some key
        action = _S3_ACTIONS.get(operation, operation)
        return [(f"s3:{action}", f"bucket:{names.bucket}" if action == "ListBucket" else key)]
    if service == "sqs":
        queue = names.queues.get(str(params.get("QueueUrl", "")).rsplit("/", 1)[-1], "?")
        action = "SendMessage" if operation.startswith("SendMessage") else operation
        return [(f"sqs:{action}", f"queue:{queue}")]
    if service == "bedrock-runtime":
        return [("bedrock:InvokeModel", f"model:{params.get('modelId', '')}")]
    if service == "secretsmanager":  # database connections' secrets, by name (``Name`` or ``SecretId``)
        return [(f"secretsmanager:{operation}", f"secret:{params.get('Name') or params.get('SecretId', '')}*")]
    if service == "apigatewaymanagementapi":  # the template's one WebSocket API, any stage
        method = {"PostToConnection": "POST", "GetConnection": "GET", "DeleteConnection": "DELETE"}[operation]
        return [
            ("execute-api:ManageConnections", f"api:RealtimeApi/stage/{method}/@connections/{params['ConnectionId']}")
        ]
    if service == "kms":  # the template's one key (webhook signing secrets), named by its alias in KeyId
        return [(f"kms:{operation}", "key:WebhookSecretsKey")]
    return [(f"{service}:{operation}", "*")]


def _dynamodb(operation: str, params: Mapping[str, Any], names: Names) -> list[Need]:
    table = f"table:{names.table}"
    if operation in ("TransactWriteItems", "TransactGetItems"):
        return [
            (f"dynamodb:{_TRANSACT_ITEM_ACTIONS[kind]}", table) for item in params["TransactItems"] for kind in item
        ]
    index = params.get("IndexName")
    return [(f"dynamodb:{operation}", f"{table}/index/{index}" if index else table)]


def allowed(stack: Stack, function: str) -> list[Need]:
    """Every (action pattern, resource pattern) the function's template policies grant."""
    grants: list[Need] = []
    for policy in stack.resources[function]["Properties"].get("Policies", []):
        if not isinstance(policy, dict):
            raise AssertionError(f"{function}: unsupported policy {policy!r} (managed policies are not checked)")
        if "Statement" in policy:
            for statement in policy["Statement"]:
                assert statement["Effect"] == "Allow", statement
                grants += [
                    (a, r) for a in _list(statement["Action"]) for r in map(_resource, _list(statement["Resource"]))
                ]
            continue
        (template, args), *rest = policy.items()
        assert not rest, policy
        grants += _sam_policy_template(template, args)
    return grants


def _sam_policy_template(template: str, args: Mapping[str, Any]) -> list[Need]:
    if template == "SQSSendMessagePolicy":
        return [("sqs:SendMessage*", f"queue:{args['QueueName']['Fn::GetAtt'][0]}")]
    if template == "SQSPollerPolicy":
        queue = f"queue:{args['QueueName']['Fn::GetAtt'][0]}"
        return [(f"sqs:{a}", queue) for a in ("ReceiveMessage", "DeleteMessage", "ChangeMessageVisibility")]
    if template == "SNSPublishMessagePolicy":
        return [("sns:Publish", f"topic:{args['TopicName']['Fn::GetAtt'][0]}")]
    if template == "AWSSecretsManagerGetSecretValuePolicy":
        return [("secretsmanager:GetSecretValue", f"secret:{args['SecretArn']['Ref']}")]
    raise AssertionError(f"unknown SAM policy template {template!r}: teach tests/iam.py what it grants")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _resource(value: Any) -> str:
    """A statement's resource in this module's names (``table:AppTable/index/*``, ``bucket:DocumentBucket/*``)."""
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical_id = value["Fn::GetAtt"][0]
        return f"{_kind(logical_id)}:{logical_id}"
    if isinstance(value, dict) and "Fn::Sub" in value:
        text = str(value["Fn::Sub"])
        if text.startswith("${") and ".Arn}" in text:
            logical_id, rest = text[2:].split(".Arn}", 1)
            return f"{_kind(logical_id)}:{logical_id}{rest}"
        if ":bedrock:" in text:
            return "model:*"
        if ":secretsmanager:" in text and ":secret:" in text:
            return "secret:" + text.rsplit(":secret:", 1)[1]
        if ":execute-api:" in text and "${RealtimeApi}/" in text:  # .../${RealtimeApi}/${Stage}/POST/@connections/*
            return "api:RealtimeApi/" + text.split("${RealtimeApi}/", 1)[1].replace("${Stage}", "*")
    raise AssertionError(f"unsupported resource {value!r}")


_KIND = {"AppTable": "table", "DocumentBucket": "bucket", "WebhookSecretsKey": "key"}


def _kind(logical_id: str) -> str:
    """The name prefix of a resource: queues (``...Queue``, ``...DLQ``) are ``queue:``."""
    return _KIND.get(logical_id) or ("queue" if logical_id.endswith(("Queue", "DLQ")) else logical_id)


def missing(grants: Iterable[Need], wanted: Iterable[Need]) -> set[Need]:
    """What ``wanted`` needs that no grant allows (IAM's wildcards: ``*`` within an action or an ARN)."""
    grants = list(grants)
    return {
        (action, resource)
        for action, resource in wanted
        if not any(fnmatch.fnmatchcase(action, a) and fnmatch.fnmatchcase(resource, r) for a, r in grants)
    }
