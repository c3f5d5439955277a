"""Create every table, queue, bucket, secret and KMS key (with its alias) that ``template.yaml`` declares, on moto.

Alarms, the dashboard, the alarm topic and log groups are AWS-only (``CLOUD_ONLY``): never created locally.

Works both in process (``moto.mock_aws``) and against a moto server (``endpoint_url``).
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from local.template import Stack


def _client(service: str, endpoint_url: str | None, region: str) -> Any:
    import boto3

    return boto3.client(service, endpoint_url=endpoint_url, region_name=region)  # type: ignore[call-overload]


def create_table(stack: Stack, logical_id: str, props: dict[str, Any], endpoint_url: str | None) -> None:
    props = stack.resolve(props)
    args: dict[str, Any] = {
        "TableName": stack.physical_name(logical_id),
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if props.get("StreamSpecification"):
        args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    client = _client("dynamodb", endpoint_url, stack.region)
    client.create_table(**args)
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        client.update_time_to_live(TableName=args["TableName"], TimeToLiveSpecification=ttl)


def create_queue(stack: Stack, logical_id: str, props: dict[str, Any], endpoint_url: str | None) -> None:
    props = stack.resolve(props)
    attributes: dict[str, str] = {}
    for key in (
        "VisibilityTimeout",
        "MessageRetentionPeriod",
        "DelaySeconds",
        "ReceiveMessageWaitTimeSeconds",
        "MaximumMessageSize",
        "FifoQueue",
        "ContentBasedDeduplication",
    ):
        if key in props:
            attributes[key] = str(props[key]).lower() if isinstance(props[key], bool) else str(props[key])
    if "RedrivePolicy" in props:
        attributes["RedrivePolicy"] = json.dumps(props["RedrivePolicy"])
    name = stack.physical_name(logical_id) + (".fifo" if props.get("FifoQueue") else "")
    _client("sqs", endpoint_url, stack.region).create_queue(QueueName=name, Attributes=attributes)


# CloudFormation's names for a CORS rule's properties -> the S3 API's (PutBucketCors).
_CORS_KEYS = {
    "Id": "ID",
    "AllowedMethods": "AllowedMethods",
    "AllowedOrigins": "AllowedOrigins",
    "AllowedHeaders": "AllowedHeaders",
    "ExposedHeaders": "ExposeHeaders",
    "MaxAge": "MaxAgeSeconds",
}


def cors_rules(config: dict[str, Any]) -> list[dict[str, Any]]:
    """A bucket's ``CorsConfiguration`` (CloudFormation) as PutBucketCors' ``CORSRules``."""
    return [
        {_CORS_KEYS[key]: value for key, value in rule.items() if key in _CORS_KEYS}
        for rule in config.get("CorsRules", [])
    ]


def lifecycle_rules(config: dict[str, Any]) -> list[dict[str, Any]]:
    """A bucket's ``LifecycleConfiguration`` (CloudFormation) as PutBucketLifecycleConfiguration's ``Rules``:
    the id, status, prefix, expiration and multipart-abort parts (moto stores them; it never expires objects)."""
    rules: list[dict[str, Any]] = []
    for rule in config.get("Rules", []):
        translated: dict[str, Any] = {
            "Status": rule.get("Status", "Enabled"),
            "Filter": {"Prefix": rule.get("Prefix", "")},
        }
        if "Id" in rule:
            translated["ID"] = rule["Id"]
        if "ExpirationInDays" in rule:
            translated["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
        if "AbortIncompleteMultipartUpload" in rule:
            days = int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
            translated["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
        if "NoncurrentVersionExpirationInDays" in rule:
            translated["NoncurrentVersionExpiration"] = {
                "NoncurrentDays": int(rule["NoncurrentVersionExpirationInDays"])
            }
        rules.append(translated)
    return rules


def create_bucket(stack: Stack, logical_id: str, props: dict[str, Any], endpoint_url: str | None) -> None:
    """The bucket, with the template's CORS rules (browsers POST pre-signed uploads to it) and lifecycle rules."""
    props = stack.resolve(props)
    client = _client("s3", endpoint_url, stack.region)
    bucket = stack.ref(logical_id)
    client.create_bucket(Bucket=bucket)
    cors = cors_rules(props.get("CorsConfiguration") or {})
    if cors:
        client.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": cors})
    lifecycle = lifecycle_rules(props.get("LifecycleConfiguration") or {})
    if lifecycle:
        client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": lifecycle})


def create_secret(stack: Stack, logical_id: str, props: dict[str, Any], endpoint_url: str | None) -> None:
    length = int(props.get("GenerateSecretString", {}).get("PasswordLength", 64))
    _client("secretsmanager", endpoint_url, stack.region).create_secret(
        Name=stack.physical_name(logical_id), SecretString=secrets.token_urlsafe(length)[:length]
    )


def create_kms_key(stack: Stack, logical_id: str, props: dict[str, Any], endpoint_url: str | None) -> None:
    """A symmetric key with the template's policy and rotation; its id (moto's choice) goes to ``physical_ids``.
    moto stores the key policy but never enforces it (nor IAM): the IAM-vs-calls tests cover the grants."""
    props = stack.resolve(props)
    client = _client("kms", endpoint_url, stack.region)
    args: dict[str, Any] = {
        "Description": props.get("Description", logical_id),
        "KeyUsage": props.get("KeyUsage", "ENCRYPT_DECRYPT"),
        "KeySpec": props.get("KeySpec", "SYMMETRIC_DEFAULT"),
        "Tags": [{"TagKey": "local:logical-id", "TagValue": stack.physical_name(logical_id)}],
    }
    if props.get("KeyPolicy"):
        args["Policy"] = json.dumps(props["KeyPolicy"])
    key_id = client.create_key(**args)["KeyMetadata"]["KeyId"]
    if props.get("EnableKeyRotation"):
        client.enable_key_rotation(KeyId=key_id)
    stack.physical_ids[logical_id] = key_id


def create_kms_alias(stack: Stack, _logical_id: str, props: dict[str, Any], endpoint_url: str | None) -> None:
    props = stack.resolve(props)
    _client("kms", endpoint_url, stack.region).create_alias(
        AliasName=props["AliasName"], TargetKeyId=props["TargetKeyId"]
    )


CREATORS = {
    "AWS::DynamoDB::Table": create_table,
    "AWS::SQS::Queue": create_queue,
    "AWS::S3::Bucket": create_bucket,
    "AWS::SecretsManager::Secret": create_secret,
    "AWS::KMS::Key": create_kms_key,
    "AWS::KMS::Alias": create_kms_alias,
}


# What exists only in AWS: nothing on a laptop emits CloudWatch metrics, reads access logs or answers an alarm e-mail.
# The local stack creates none of them (named here so a new resource type is a decision, not an accident).
CLOUD_ONLY = {
    "AWS::CloudWatch::Alarm": "alarm",
    "AWS::CloudWatch::Dashboard": "dashboard",
    "AWS::SNS::Topic": "SNS topic",
    "AWS::SNS::Subscription": "SNS subscription",
    "AWS::Logs::LogGroup": "log group",
    "AWS::Scheduler::Schedule": "schedule",  # the website re-crawl: `make recrawl` sends what it would
    "AWS::IAM::Role": "IAM role",
}


def cloud_only(stack: Stack) -> dict[str, list[str]]:
    """The template's resources the local stack leaves out, by kind (``{"alarm": [logical ids]}``)."""
    found: dict[str, list[str]] = {}
    for logical_id, resource in stack.resources.items():
        kind = CLOUD_ONLY.get(resource.get("Type", ""))
        if kind:
            found.setdefault(kind, []).append(logical_id)
    return found


def create_all(stack: Stack, endpoint_url: str | None = None) -> list[str]:
    """Create every supported resource; queues in dependency order (DLQs before their sources)."""
    created: list[str] = []
    pending = {k: v for k, v in stack.resources.items() if v.get("Type") in CREATORS}

    def depends_on_pending(props: dict[str, Any]) -> bool:
        text = json.dumps(props)
        return any(f'"{other}' in text for other in pending if other != current)

    while pending:
        progressed = False
        for current, resource in list(pending.items()):
            props = resource.get("Properties", {})
            if depends_on_pending(props):
                continue
            CREATORS[resource["Type"]](stack, current, props, endpoint_url)
            created.append(current)
            del pending[current]
            progressed = True
        if not progressed:
            raise ValueError(f"circular references between {sorted(pending)}")
    return created
