"""What the document routes receive: the upload request (multipart or JSON), the pre-signed upload
request, the search request, their limits, and the upload's refusals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from knowrithm_core.errors import Conflict, KnowrithmError, ValidationFailed
from knowrithm_core.models.bodies.documents import RESERVED_FIELDS as RESERVED_FIELDS  # the route bodies live
from knowrithm_core.models.bodies.documents import SearchRequest as SearchRequest  # with the other request models
from knowrithm_core.models.bodies.documents import UploadedFile as UploadedFile
from knowrithm_core.models.bodies.documents import UploadRequest as UploadRequest
from knowrithm_core.models.bodies.documents import UploadUrlRequest as UploadUrlRequest
from knowrithm_core.safe_json import parse_json

MAX_ITEMS_PER_UPLOAD = 20
MAX_METADATA_KEYS = 20
MAX_HIDDEN_CHUNKS = 8000
MAX_BULK_IDS = 100
STATUSES = ("awaiting_upload", "pending", "processing", "completed", "failed")
UPLOAD_URL_TTL_SECONDS = 900  # how long a pre-signed upload (POST policy) stays valid
# A pre-signed upload never completed is forgotten (the record's TTL) a day after its URL expired.
AWAITING_UPLOAD_TTL_SECONDS = UPLOAD_URL_TTL_SECONDS + 24 * 3600
CONTENT_CHECK_BYTES = 8192  # what ``complete`` reads of an uploaded file for the cheap content checks
UPLOADS_PREFIX = "uploads/"  # the bucket's lifecycle rule (template.yaml) expires what is left here


def staging_key(company_id: str, document_id: str, document_type: str) -> str:
    """Where a pre-signed upload lands: ``complete`` copies it to :func:`blob_key` (read by the ingest worker);
    a file never completed is expired by the bucket's lifecycle rule on ``uploads/``."""
    return f"{UPLOADS_PREFIX}{company_id}/{document_id}/original.{document_type}"


class UploadRejected(KnowrithmError):
    """Nothing in the upload was accepted; ``details.errors`` lists why, one line per file or URL."""

    def __init__(self, errors: list[tuple[str, int]]) -> None:
        statuses = {status for _, status in errors}
        self.status_code = statuses.pop() if len(statuses) == 1 else 400
        self.error_code = {413: "payload_too_large", 415: "unsupported_media_type", 503: "service_unavailable"}.get(
            self.status_code, "invalid_document"
        )
        lines = [message for message, _ in errors]
        summary = lines[0] if len(lines) == 1 else f"No document was accepted ({len(lines)} problems): {lines[0]}"
        super().__init__(
            summary, details={"errors": lines, "errors_count": len(lines), "documents_processed": 0, "documents": []}
        )


class UploadMissing(Conflict):
    """``complete`` before the file is in the bucket."""

    error_code = "upload_missing"


def parse_url_values(values: Sequence[str]) -> list[str]:
    """``url``/``urls`` values -> URLs: each value may be one URL, a JSON array, or comma-separated."""
    urls: list[str] = []
    for value in values:
        text = value.strip()
        if not text:
            continue
        if text.startswith("["):
            try:
                parsed = parse_json(text)
            except KnowrithmError as exc:  # any refusal of the hardened parser (depth, numbers, NUL, ...)
                raise ValidationFailed("urls is not a valid JSON array.") from exc
            if not isinstance(parsed, list) or not all(isinstance(p, str) for p in parsed):
                raise ValidationFailed("urls must be a JSON array of strings.")
            urls.extend(p.strip() for p in parsed if p.strip())
        else:
            urls.extend(part.strip() for part in text.split(",") if part.strip())
    return list(dict.fromkeys(urls))


def clean_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """At most 20 keys of scalars (strings cut at 1,000 characters); anything else is dropped."""
    clean: dict[str, Any] = {}
    for key, value in list(metadata.items())[:MAX_METADATA_KEYS]:
        if isinstance(value, bool | int | float) or value is None:
            clean[str(key)[:100]] = value
        elif isinstance(value, str):
            clean[str(key)[:100]] = value[:1000]
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            clean[str(key)[:100]] = [v[:200] for v in value[:20]]
    return clean


class Refused(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status
