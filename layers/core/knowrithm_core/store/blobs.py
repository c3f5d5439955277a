"""A small adapter over one S3 bucket (client created lazily; boto3 imported on first use).

Keys of tenant data start with ``<kind>/<company id>/`` so a key built from a caller's company can
never name another tenant's object. Path-style addressing works with moto on 127.0.0.1 as with S3.
"""

from __future__ import annotations

import os
from typing import Any, Protocol


class BlobMissing(LookupError):
    """The object does not exist."""


class BlobStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...

    def get(self, key: str) -> bytes:
        """The object's bytes; raises :class:`BlobMissing` if there is none."""
        ...


class S3Blobs:
    def __init__(self, bucket: str, client: Any | None = None) -> None:
        self.bucket = bucket
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.client(
                "s3",
                endpoint_url=os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL"),
                config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3, "mode": "standard"}),
            )
        return self._client

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.client.put_object(
            Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, ServerSideEncryption="AES256"
        )

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.NoSuchKey as exc:
            raise BlobMissing(key) from exc
        body: bytes = response["Body"].read()
        return body


class MemoryBlobs:
    """An in-memory bucket (benchmarks and tests that need no S3)."""

    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        self.objects[key] = bytes(data)

    def get(self, key: str) -> bytes:
        if key not in self.objects:
            raise BlobMissing(key)
        return self.objects[key]
