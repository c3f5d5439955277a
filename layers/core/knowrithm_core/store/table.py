"""A small typed adapter over one DynamoDB table (low-level client, created lazily).

boto3 is imported on first use, not at import time, to keep handler cold starts low.
Numbers round-trip as int or float (DynamoDB's Decimal stays inside this module).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from knowrithm_core.errors import Conflict, KnowrithmError, PayloadTooComplex, PayloadTooLarge, ValidationFailed
from knowrithm_core.store.expressions import Check, Placeholders, Put, Update, WriteOp, render_condition, render_update

Item = dict[str, Any]


def to_dynamo(value: Any) -> Any:
    """Python -> DynamoDB-ready value (floats become Decimals, empty strings stay)."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, int)):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Mapping):
        return {str(k): to_dynamo(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_dynamo(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return [to_dynamo(v) for v in sorted(value)]
    return str(value)


def from_dynamo(value: Any) -> Any:
    """DynamoDB value -> plain JSON-able Python (Decimals become int or float)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_dynamo(v) for k, v in value.items()}
    if isinstance(value, (list, set)):
        return [from_dynamo(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return value


def stream_item(image: Mapping[str, Any]) -> Item:
    """A DynamoDB-typed image (a stream record's ``NewImage``) -> plain item."""
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    return {k: from_dynamo(deserializer.deserialize(v)) for k, v in image.items()}


class TransactionConflict(Conflict):
    """A TransactWriteItems condition failed; ``reasons`` has one code per operation."""

    def __init__(self, message: str, reasons: list[str]) -> None:
        super().__init__(message, details={"reasons": reasons})
        self.reasons = reasons


# What DynamoDB refuses in an item a client made too big or too deep: the client's 4xx, not a 500
ITEM_REFUSALS: tuple[tuple[str, type[KnowrithmError], str], ...] = (
    ("item size", PayloadTooLarge, "The data is larger than one stored item can hold (400 KB)."),
    ("nesting levels", PayloadTooComplex, "The data is nested deeper than storage allows (32 levels)."),
)


class DynamoTable:
    """Typed access to one table. Every call is one DynamoDB request (queries may page)."""

    @contextmanager
    def refusals(self) -> Iterator[None]:
        """DynamoDB's ``ValidationException`` for an item too large or too deeply nested -> the client's 4xx."""
        try:
            yield
        except self.client.exceptions.ClientError as exc:
            error = exc.response.get("Error", {})
            message = str(error.get("Message", "")).lower()
            if error.get("Code") == "ValidationException":
                for needle, refusal, text in ITEM_REFUSALS:
                    if needle in message:
                        raise refusal(text) from exc
            raise

    def __init__(self, table_name: str, client: Any | None = None) -> None:
        self.table_name = table_name
        self._client = client
        self._serializer: Any = None
        self._deserializer: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3

            self._client = boto3.client(
                "dynamodb",
                endpoint_url=os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or os.environ.get("AWS_ENDPOINT_URL"),
            )
        return self._client

    def _ser(self, item: Mapping[str, Any], *, keep_none: bool = False) -> dict[str, Any]:
        """Serialize; ``None`` attributes are left out of items (sparse) but kept as NULL in expression values."""
        if self._serializer is None:
            from boto3.dynamodb.types import TypeSerializer

            self._serializer = TypeSerializer()
        return {k: self._serializer.serialize(to_dynamo(v)) for k, v in item.items() if keep_none or v is not None}

    def _de(self, raw: Mapping[str, Any]) -> Item:
        if self._deserializer is None:
            from boto3.dynamodb.types import TypeDeserializer

            self._deserializer = TypeDeserializer()
        return {k: from_dynamo(self._deserializer.deserialize(v)) for k, v in raw.items()}

    # --- single-item operations -------------------------------------------------
    def get(self, pk: str, sk: str) -> Item | None:
        response = self.client.get_item(
            TableName=self.table_name, Key=self._ser({"PK": pk, "SK": sk}), ConsistentRead=True
        )
        raw = response.get("Item")
        return self._de(raw) if raw else None

    def query(
        self,
        pk: str,
        *,
        sk_prefix: str | None = None,
        index: str | None = None,
        forward: bool = True,
        limit: int | None = None,
        sk_between: tuple[str, str] | None = None,
    ) -> list[Item]:
        """All items of a partition (optionally an SK prefix, or an inclusive SK range), following pages
        unless ``limit``."""
        pk_name, sk_name = ("PK", "SK") if index is None else (f"{index}PK", f"{index}SK")
        expression = "#pk = :pk"
        names = {"#pk": pk_name}
        values: dict[str, Any] = {":pk": pk}
        if sk_prefix:
            expression += " AND begins_with(#sk, :prefix)"
            names["#sk"] = sk_name
            values[":prefix"] = sk_prefix
        elif sk_between:
            expression += " AND #sk BETWEEN :low AND :high"
            names["#sk"] = sk_name
            values[":low"], values[":high"] = sk_between
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": self._ser(values),
            "ScanIndexForward": forward,
        }
        if index:
            kwargs["IndexName"] = index
        else:
            kwargs["ConsistentRead"] = True
        if limit:
            kwargs["Limit"] = limit
        return list(self._pages(kwargs, limit))

    def query_once(
        self,
        pk: str,
        *,
        limit: int,
        index: str | None = None,
        sk_prefix: str | None = None,
        forward: bool = True,
        start_key: Mapping[str, str] | None = None,
        keys_only: bool = False,
        live_only: bool = False,
    ) -> tuple[list[Item], Item | None]:
        """One Query request reading at most ``limit`` items after ``start_key``: the items and the
        ``LastEvaluatedKey`` (None at the end). ``keys_only`` projects the key attributes only; ``live_only``
        leaves out soft-deleted items (still read, so fewer may come back)."""
        pk_name, sk_name = ("PK", "SK") if index is None else (f"{index}PK", f"{index}SK")
        names = {"#pk": pk_name}
        values: dict[str, Any] = {":pk": pk}
        expression = "#pk = :pk"
        if sk_prefix:
            expression += " AND begins_with(#sk, :prefix)"
            names["#sk"] = sk_name
            values[":prefix"] = sk_prefix
        kwargs: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": self._ser(values),
            "ScanIndexForward": forward,
            "Limit": limit,
        }
        if index:
            kwargs["IndexName"] = index
        else:
            kwargs["ConsistentRead"] = True
        if start_key:
            kwargs["ExclusiveStartKey"] = self._ser(start_key)
        if live_only:
            kwargs["FilterExpression"] = "attribute_not_exists(deleted_at)"
        if keys_only:
            key_names = ["PK", "SK"] + ([pk_name, sk_name] if index else [])
            names.update({f"#k{i}": name for i, name in enumerate(key_names)})
            kwargs["ProjectionExpression"] = ", ".join(f"#k{i}" for i in range(len(key_names)))
        try:
            response = self.client.query(**kwargs)
        except self.client.exceptions.ClientError as exc:
            if start_key and exc.response.get("Error", {}).get("Code") == "ValidationException":
                raise ValidationFailed("The cursor does not belong to this list.") from exc
            raise
        last = response.get("LastEvaluatedKey")
        return [self._de(raw) for raw in response.get("Items", [])], (self._de(last) if last else None)

    def scan_once(self, *, limit: int, start_key: Mapping[str, Any] | None = None) -> tuple[list[Item], Item | None]:
        """One Scan request of at most ``limit`` items after ``start_key``: the items and the ``LastEvaluatedKey``
        (None at the end). Strongly consistent; for maintenance jobs only, never a request path."""
        kwargs: dict[str, Any] = {"TableName": self.table_name, "Limit": limit, "ConsistentRead": True}
        if start_key:
            kwargs["ExclusiveStartKey"] = self._ser(start_key)
        response = self.client.scan(**kwargs)
        last = response.get("LastEvaluatedKey")
        return [self._de(raw) for raw in response.get("Items", [])], (self._de(last) if last else None)

    def _pages(self, kwargs: dict[str, Any], limit: int | None) -> Iterator[Item]:
        count = 0
        while True:
            response = self.client.query(**kwargs)
            for raw in response.get("Items", []):
                yield self._de(raw)
                count += 1
            last = response.get("LastEvaluatedKey")
            if not last or (limit is not None and count >= limit):
                return
            kwargs["ExclusiveStartKey"] = last

    def batch_put(self, items: Sequence[Mapping[str, Any]], *, attempts: int = 8) -> None:
        """Put many items without a transaction (BatchWriteItem, 25 per request; unprocessed items are sent
        again with backoff). Half the write cost of a transaction, for items no reader sees until a later
        transaction points at them (a document's chunks); not atomic, so only for idempotent writes."""
        import time

        for start in range(0, len(items), 25):
            pending = [{"PutRequest": {"Item": self._ser(item)}} for item in items[start : start + 25]]
            for attempt in range(attempts):
                with self.refusals():
                    response = self.client.batch_write_item(RequestItems={self.table_name: pending})
                pending = response.get("UnprocessedItems", {}).get(self.table_name, [])
                if not pending:
                    break
                time.sleep(min(2.0, 0.05 * 2**attempt))
            if pending:
                raise RuntimeError(f"DynamoDB left {len(pending)} item(s) unprocessed after {attempts} attempts")

    def batch_get(self, item_keys: Sequence[tuple[str, str]], *, attempts: int = 8) -> dict[tuple[str, str], Item]:
        """Several items by ``(PK, SK)`` in one BatchGetItem (strongly consistent, 100 keys per request;
        unprocessed keys are asked again with backoff). Returns the items found, by key; missing ones are absent."""
        import time

        unique = list(dict.fromkeys(item_keys))  # BatchGetItem refuses duplicate keys
        found: dict[tuple[str, str], Item] = {}
        for start in range(0, len(unique), 100):
            pending = [self._ser({"PK": pk, "SK": sk}) for pk, sk in unique[start : start + 100]]
            for attempt in range(attempts):
                response = self.client.batch_get_item(
                    RequestItems={self.table_name: {"Keys": pending, "ConsistentRead": True}}
                )
                for raw in response.get("Responses", {}).get(self.table_name, []):
                    item = self._de(raw)
                    found[(str(item["PK"]), str(item["SK"]))] = item
                pending = response.get("UnprocessedKeys", {}).get(self.table_name, {}).get("Keys", [])
                if not pending:
                    break
                time.sleep(min(2.0, 0.05 * 2**attempt))
            if pending:
                raise RuntimeError(f"DynamoDB left {len(pending)} key(s) unprocessed after {attempts} attempts")
        return found

    # --- typed writes (what repositories use; see :mod:`.expressions`) ------------------------------------
    def request(self, op: WriteOp) -> dict[str, Any]:
        """One typed write -> its TransactWriteItems element (``{"Put": {...}}`` and so on)."""
        ph = Placeholders()
        body: dict[str, Any] = {"TableName": self.table_name}
        if isinstance(op, Put):
            kind, body["Item"] = "Put", self._ser(op.item)
        else:
            kind = type(op).__name__ if not isinstance(op, Check) else "ConditionCheck"
            body["Key"] = self._ser({"PK": op.key[0], "SK": op.key[1]})
        if isinstance(op, Update):
            body["UpdateExpression"] = render_update(op, ph)
        if op.when is not None:
            body["ConditionExpression"] = render_condition(op.when, ph)
        if ph.names:
            body["ExpressionAttributeNames"] = ph.names
        if ph.values:
            body["ExpressionAttributeValues"] = self._ser(ph.values, keep_none=True)
        return {kind: body}

    def transact(self, ops: Sequence[WriteOp]) -> None:
        """Every write or none, as one TransactWriteItems (at most 100); a failed condition raises
        :class:`TransactionConflict` with one reason per write."""
        try:
            with self.refusals():
                self.client.transact_write_items(TransactItems=[self.request(op) for op in ops])
        except self.client.exceptions.TransactionCanceledException as exc:
            reasons = [r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])]
            raise TransactionConflict(
                "The change conflicted with the current state; nothing was written.", reasons
            ) from exc

    def write(self, ops: Sequence[WriteOp]) -> None:
        """:meth:`transact`, except that a lone Put, Update or Delete is sent as its plain conditional request
        (PutItem, UpdateItem, DeleteItem): as atomic for one item, half the write capacity of a one-item
        transaction. Failures raise the same ``TransactionConflict`` a transaction would: reasons
        ``["ConditionalCheckFailed"]`` when the condition failed, ``["TransactionConflict"]`` when a concurrent
        transaction was changing the item."""
        if not ops:
            return
        if len(ops) != 1 or isinstance(ops[0], Check):
            self.transact(ops)
            return
        ((kind, request),) = self.request(ops[0]).items()
        send = {"Put": self.client.put_item, "Update": self.client.update_item, "Delete": self.client.delete_item}
        errors = self.client.exceptions
        try:
            with self.refusals():
                send[kind](**request)
        except errors.ConditionalCheckFailedException as exc:
            raise TransactionConflict(
                "The change conflicted with the current state; nothing was written.", ["ConditionalCheckFailed"]
            ) from exc
        except errors.TransactionConflictException as exc:
            raise TransactionConflict(
                "The change conflicted with the current state; nothing was written.", ["TransactionConflict"]
            ) from exc

    def update_returning(self, op: Update) -> Item:
        """One UpdateItem; returns the whole item as written. A failed condition raises ``Conflict``."""
        request = self.request(op)["Update"]
        try:
            with self.refusals():
                response = self.client.update_item(**request, ReturnValues="ALL_NEW")
        except self.client.exceptions.ConditionalCheckFailedException as exc:
            raise TransactionConflict("The item changed meanwhile.", ["ConditionalCheckFailed"]) from exc
        return self._de(response.get("Attributes", {}))
