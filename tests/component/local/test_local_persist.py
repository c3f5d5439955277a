"""Saving and restoring the local stack's state (local/persist.py) on moto in process: what a restart keeps."""

from __future__ import annotations

from typing import Any

import boto3
from moto import mock_aws

from local.moto_safety import serialize_dynamodb
from local.persist import capture, restore
from local.resources import create_all
from local.snapshot import dumps, load, write
from local.template import Stack
from tests.component.local.conftest import MakeStack

RESOURCES = """
Table:
  Type: AWS::DynamoDB::Table
  Properties:
    AttributeDefinitions: [{AttributeName: PK, AttributeType: S}, {AttributeName: SK, AttributeType: S}]
    KeySchema: [{AttributeName: PK, KeyType: HASH}, {AttributeName: SK, KeyType: RANGE}]
    StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
DeadLetters:
  Type: AWS::SQS::Queue
Work:
  Type: AWS::SQS::Queue
  Properties:
    RedrivePolicy: {deadLetterTargetArn: !GetAtt DeadLetters.Arn, maxReceiveCount: 3}
Files:
  Type: AWS::S3::Bucket
Signing:
  Type: AWS::SecretsManager::Secret
  Properties:
    GenerateSecretString: {PasswordLength: 32}
SealKey:
  Type: AWS::KMS::Key
SealAlias:
  Type: AWS::KMS::Alias
  Properties:
    AliasName: alias/seal
    TargetKeyId: !Ref SealKey
"""
ITEM = {"PK": {"S": "COMPANY#1"}, "SK": {"S": "LEAD#1"}, "blob": {"B": b"\x00\xff"}, "tags": {"SS": ["a", "b"]}}


def _queue_url(stack: Stack, logical_id: str) -> str:
    return str(
        boto3.client("sqs", region_name="us-east-1").get_queue_url(QueueName=stack.physical_name(logical_id))[
            "QueueUrl"
        ]
    )


def _first_run(stack: Stack) -> tuple[dict[str, Any], bytes, str]:
    """Data of every kind, then the snapshot; returns it with a ciphertext sealed under the alias and the secret."""
    create_all(stack)
    boto3.client("dynamodb", region_name="us-east-1").put_item(TableName=stack.physical_name("Table"), Item=ITEM)
    sqs = boto3.client("sqs", region_name="us-east-1")
    sqs.send_message(
        QueueUrl=_queue_url(stack, "DeadLetters"),
        MessageBody='{"delivery": "d1"}',
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "webhook"}},
    )
    boto3.client("s3", region_name="us-east-1").put_object(
        Bucket=stack.ref("Files"), Key="documents/a.txt", Body=b"hello", ContentType="text/plain"
    )
    sealed = boto3.client("kms", region_name="us-east-1").encrypt(KeyId="alias/seal", Plaintext=b"whsec_x")
    secret = boto3.client("secretsmanager", region_name="us-east-1").get_secret_value(
        SecretId=stack.physical_name("Signing")
    )["SecretString"]
    return capture(stack, None, {}), sealed["CiphertextBlob"], secret


def test_a_restart_gets_items_objects_messages_secrets_and_keys_back(make_stack: MakeStack, tmp_path: Any) -> None:
    serialize_dynamodb()
    # GIVEN a stack with an item (binary attribute), a dead letter, an object, a secret and a sealed value, saved
    with mock_aws():
        state, sealed, secret = _first_run(make_stack(RESOURCES))
    write(tmp_path, dumps(state))

    # WHEN a fresh moto gets the template's resources again and the snapshot is restored into them
    with mock_aws():
        stack = make_stack(RESOURCES)
        create_all(stack)
        saved = load(tmp_path)
        assert saved is not None
        counts = restore(stack, None, saved)

        # THEN everything is back, bytes as bytes
        assert counts == {"items": 1, "objects": 1, "messages": 1}
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        [item] = dynamodb.scan(TableName=stack.physical_name("Table"))["Items"]
        assert item == ITEM
        body = boto3.client("s3", region_name="us-east-1").get_object(Bucket=stack.ref("Files"), Key="documents/a.txt")
        assert body["Body"].read() == b"hello" and body["ContentType"] == "text/plain"
        [message] = boto3.client("sqs", region_name="us-east-1").receive_message(
            QueueUrl=_queue_url(stack, "DeadLetters"), MessageAttributeNames=["All"]
        )["Messages"]
        assert message["Body"] == '{"delivery": "d1"}'
        assert message["MessageAttributes"]["kind"]["StringValue"] == "webhook"
        secrets = boto3.client("secretsmanager", region_name="us-east-1")
        assert secrets.get_secret_value(SecretId=stack.physical_name("Signing"))["SecretString"] == secret
        # and what was sealed before the restart opens with the same key (same id, same material, alias kept)
        kms = boto3.client("kms", region_name="us-east-1")
        assert kms.decrypt(CiphertextBlob=sealed)["Plaintext"] == b"whsec_x"
        assert kms.describe_key(KeyId="alias/seal")["KeyMetadata"]["KeyId"] == state["kms"]["SealKey"]["key_id"]
        # and the restored item is not news: the table's stream starts empty
        streams = boto3.client("dynamodbstreams", region_name="us-east-1")
        arn = dynamodb.describe_table(TableName=stack.physical_name("Table"))["Table"]["LatestStreamArn"]
        [shard] = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
        assert streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"] == []
