"""Documents made by a knowledge source (crawled pages, exported database rows): text stored in S3, queued for
ingest like an upload, and removed again when the source no longer has them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.errors import Conflict, NotFound, ServiceUnavailable
from knowrithm_core.knowledge import formats
from knowrithm_core.knowledge.records import Document, blob_key
from knowrithm_core.services.documents.base import DocumentBase

BATCH = 20  # documents per transaction (each with its task: 40 items, plus the counters)


@dataclass(frozen=True)
class SourcedText:
    """One document's text, its name, and where it came from (its citation)."""

    name: str
    text: str
    source_url: str
    metadata: dict[str, Any]


class SourcedMixin(DocumentBase):
    def add_texts(self, principal: Principal, agent_id: str, texts: list[SourcedText]) -> list[Document]:
        """One ``md`` document per text, stored and queued for ingest (20 per transaction)."""
        if self.blobs is None or self.queue is None:
            raise ServiceUnavailable("Document storage is not configured (DOCUMENT_BUCKET and INGEST_QUEUE_URL).")
        made: list[Document] = []
        for start in range(0, len(texts), BATCH):
            accepted: list[tuple[Document, str | None]] = []
            for text in texts[start : start + BATCH]:
                data = text.text.encode("utf-8")
                name = formats.safe_filename(text.name, fallback=text.source_url[:255])
                document = self._new_document(
                    principal, agent_id, name, "md", text.metadata, size=len(data), source_url=text.source_url
                )
                key = blob_key(principal.company_id, document.id, "md")
                self.blobs.put(key, data, formats.MIME_OF["md"])
                accepted.append((document.model_copy(update={"content_type": formats.MIME_OF["md"]}), key))
            self._commit(principal, accepted)
            documents = [document for document, _ in accepted]
            self._enqueue(principal, documents)
            made += documents
        return made

    def remove_quietly(self, principal: Principal, document_ids: list[str]) -> int:
        """Soft-delete each document (its chunks leave search at once); ones already gone are skipped."""
        removed = 0
        for document_id in document_ids:
            for attempt in range(5):  # an ingest finishing meanwhile changes the document's version: read it again
                try:
                    self.delete(principal, document_id)  # type: ignore[attr-defined]  # LifecycleMixin's
                except NotFound:
                    break
                except Conflict:
                    if attempt == 4:
                        raise
                    time.sleep(0.2 * (attempt + 1))
                    continue
                removed += 1
                break
        return removed
