"""The document routes: upload, list, read, soft delete and restore (with their chunks), chunk routes, search.

Upload stores each file in S3, writes the document (``pending``) and its ingest task in one
transaction, and queues one ingest message per document; URLs are vetted by the SSRF guard here and
fetched by the ingest worker (again through the guard). Deletes and restores change the document or
chunk and the agent's index manifest in one transaction, so search stops (or starts) returning them
at once; a document's chunks follow it (flagged as cascaded, so restoring the document brings back
exactly the chunks its deletion took).

One module per concern, joined here into :class:`DocumentService`: :mod:`.upload` (multipart/JSON),
:mod:`.presigned` (upload-url + complete), :mod:`.lifecycle` (get, list, delete, restore, bulk),
:mod:`.chunks`, :mod:`.search`; :mod:`.base` holds what they share and :mod:`.requests` what they receive.
"""

from __future__ import annotations

from knowrithm_core.knowledge.records import Chunk
from knowrithm_core.services.documents.chunks import ChunksMixin
from knowrithm_core.services.documents.lifecycle import LifecycleMixin
from knowrithm_core.services.documents.presigned import PresignedUploadMixin
from knowrithm_core.services.documents.requests import (
    RESERVED_FIELDS,
    SearchRequest,
    UploadedFile,
    UploadMissing,
    UploadRejected,
    UploadRequest,
    UploadUrlRequest,
    clean_metadata,
    parse_url_values,
    staging_key,
)
from knowrithm_core.services.documents.search import SearchMixin, hit_body, snippet
from knowrithm_core.services.documents.sourced import SourcedMixin, SourcedText
from knowrithm_core.services.documents.upload import UploadMixin


class DocumentService(UploadMixin, PresignedUploadMixin, LifecycleMixin, ChunksMixin, SearchMixin, SourcedMixin):
    """Every document route (the API's ``documents`` group and the ingest worker's task records)."""


__all__ = [
    "RESERVED_FIELDS",
    "Chunk",
    "DocumentService",
    "SearchRequest",
    "SourcedText",
    "UploadMissing",
    "UploadRejected",
    "UploadRequest",
    "UploadUrlRequest",
    "UploadedFile",
    "clean_metadata",
    "hit_body",
    "parse_url_values",
    "snippet",
    "staging_key",
]
