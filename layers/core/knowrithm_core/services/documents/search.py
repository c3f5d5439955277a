"""``POST /document/search``: BM25 over the agents' indexes, with snippets around the query terms."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from knowrithm_core.auth import Principal
from knowrithm_core.knowledge.index import Scored
from knowrithm_core.knowledge.records import EMBEDDING_MODEL
from knowrithm_core.knowledge.text import tokens
from knowrithm_core.models.requests import parse
from knowrithm_core.services.documents.base import DocumentBase
from knowrithm_core.services.documents.requests import SearchRequest


def snippet(content: str, query_tokens: Sequence[str], width: int = 240) -> str:
    """About ``width`` characters of ``content`` around its first query term, with ellipses where cut."""
    if len(content) <= width:
        return content
    wanted = set(query_tokens)
    start = 0
    for match in re.finditer(r"[^\W_][\w'-]*", content):
        if tokens(match.group(0)) and tokens(match.group(0))[0] in wanted:
            start = max(0, match.start() - width // 4)
            break
    end = min(len(content), start + width)
    start = max(0, end - width)
    if start > 0:
        space = content.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    if end < len(content):
        space = content.rfind(" ", start, end)
        end = space if space > start + width // 2 else end
    return ("…" if start > 0 else "") + content[start:end].strip() + ("…" if end < len(content) else "")


def hit_body(hit: Scored, query_tokens: Sequence[str], agent_id: str, *, include_content: bool) -> dict[str, Any]:
    ref = hit.ref
    body: dict[str, Any] = {
        "id": ref.chunk_id,
        "chunk_id": ref.chunk_id,
        "chunk_index": ref.chunk_index,
        "document_id": ref.document_id,
        "document_name": ref.document_name,
        "original_filename": ref.document_name,
        "agent_id": agent_id,
        "score": hit.score,
        "relevance": hit.relevance,
        "content_snippet": snippet(ref.content, query_tokens),
        "word_count": ref.word_count,
        "page": ref.page,
        "source_url": ref.source_url,
        "embedding_model": EMBEDDING_MODEL,
        "created_at": ref.created_at,
    }
    if include_content:
        body["content"] = ref.content
    return body


class SearchMixin(DocumentBase):
    """Search the agents' indexes."""

    def search(self, principal: Principal, body: Any) -> dict[str, Any]:
        principal.require("read")
        request = parse(SearchRequest, body)
        started = time.perf_counter()
        if request.agent_id:
            agent_ids = [self.agents.read(principal.company_id, request.agent_id)[1].id]
        else:
            agent_ids = self.repository.live_agent_ids(principal.company_id)
        query_tokens = tokens(request.query)
        scored: list[tuple[Scored, str]] = []
        for agent_id in agent_ids:
            found = self.search_index.retrieve(principal.company_id, agent_id, request.query, request.limit)
            scored += [(hit, agent_id) for hit in found.hits]
        scored.sort(key=lambda pair: -pair[0].score)
        results = [
            hit_body(hit, query_tokens, agent_id, include_content=request.include_content)
            for hit, agent_id in scored[: request.limit]
        ]
        return {
            "query": request.query,
            "agent_id": request.agent_id,
            "results": results,
            "matches": results,
            "total_results": len(results),
            "execution_time": round(time.perf_counter() - started, 4),
            "search_type": "bm25",
        }
