"""A small adapter over one S3 bucket (client created lazily; boto3 imported on first use).

Keys of tenant data start with ``<kind>/<company id>/`` so a key built from a caller's company can
never name another tenant's object. Path-style addressing works with moto on 127.0.0.1 as with S3.

Pre-signed uploads (:meth:`S3Blobs.presign_post`) are S3 POST policies: the key, the content type and
a ``content-length-range`` are signed, so S3 itself refuses another key or a larger file. They are signed
with the function's own credentials (its role must be allowed ``s3:PutObject`` on the key) and point
at ``AWS_ENDPOINT_URL_S3`` / ``AWS_ENDPOINT_URL`` when set (the local stack's moto server). A document's
policy names a staging key (``uploads/...``) that :meth:`S3Blobs.copy` later moves, server-side, to where the
ingest worker reads it; :meth:`S3Blobs.delete` then removes the staging object.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Protocol


class BlobMissing(LookupError):
    """The object does not exist."""


@dataclass(frozen=True)
class PresignedPost:
    """Where and how a client uploads one object itself: a multipart POST of ``fields`` then the file."""

    url: str
    fields: dict[str, str] = field(default_factory=dict)


class BlobStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None: ...

    def get(self, key: str) -> bytes:
        """The object's bytes; raises :class:`BlobMissing` if there is none."""
        ...

    def head(self, key: str) -> int | None:
        """The object's size in bytes, or None if there is no such object."""
        ...

    def get_prefix(self, key: str, length: int) -> bytes:
        """The object's first ``length`` bytes (a ranged GET); raises :class:`BlobMissing` if there is none."""
        ...

    def presign_post(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> PresignedPost:
        """A POST policy for exactly ``key``, ``content_type`` and 1..``max_bytes`` bytes, valid ``expires_in`` s."""
        ...

    def copy(self, source: str, target: str) -> None:
        """Copy ``source`` to ``target`` inside the bucket (server-side, content type kept); raises
        :class:`BlobMissing` if there is no ``source``."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; no error if there is none."""
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
                config=Config(
                    s3={"addressing_style": "path"},
                    signature_version="s3v4",  # also for pre-signed POSTs (botocore would sign those with SigV2)
                    retries={"max_attempts": 3, "mode": "standard"},
                ),
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

    def head(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        try:
            response = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return None
            raise
        return int(response["ContentLength"])

    def get_prefix(self, key: str, length: int) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{max(0, length - 1)}")
        except self.client.exceptions.NoSuchKey as exc:
            raise BlobMissing(key) from exc
        body: bytes = response["Body"].read()
        return body[:length]

    def presign_post(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> PresignedPost:
        signed = self.client.generate_presigned_post(
            Bucket=self.bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
            ExpiresIn=expires_in,
        )
        return PresignedPost(str(signed["url"]), {str(k): str(v) for k, v in signed["fields"].items()})

    def copy(self, source: str, target: str) -> None:
        from botocore.exceptions import ClientError

        try:
            self.client.copy_object(
                Bucket=self.bucket,
                Key=target,
                CopySource={"Bucket": self.bucket, "Key": source},
                ServerSideEncryption="AES256",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                raise BlobMissing(source) from exc
            raise

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)


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

    def head(self, key: str) -> int | None:
        return len(self.objects[key]) if key in self.objects else None

    def get_prefix(self, key: str, length: int) -> bytes:
        return self.get(key)[:length]

    def presign_post(self, key: str, content_type: str, max_bytes: int, expires_in: int) -> PresignedPost:
        return PresignedPost("memory://blobs", {"key": key, "Content-Type": content_type})

    def copy(self, source: str, target: str) -> None:
        self.objects[target] = self.get(source)

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)
