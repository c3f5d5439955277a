"""GET /document's filters (split out of list_documents): each filter narrows, none lets a deleted one through."""

from __future__ import annotations

import pytest

from knowrithm_core.errors import ValidationFailed
from knowrithm_core.knowledge.records import Document
from knowrithm_core.services.documents.lifecycle import DocumentFilter

STAMP = "2026-01-01T00:00:00Z"


def _document(name: str, **fields: object) -> Document:
    values: dict[str, object] = {
        "id": name,
        "company_id": "c",
        "agent_id": "a1",
        "original_filename": f"{name}.pdf",
        "filename": f"{name}.pdf",
        "document_type": "pdf",
        "created_at": STAMP,
        "updated_at": STAMP,
    }
    return Document.model_validate(values | fields)


DOCUMENTS = [
    _document("manual", status="completed", title="Returns Policy"),
    _document("faq", agent_id="a2", document_type="md", source_url="https://example.com/help/FAQ"),
    _document("old", deleted_at=STAMP),
]


def _matching(query: dict[str, str], agent_id: str | None = None) -> list[str]:
    wanted = DocumentFilter.parse(query, agent_id)
    return [d.id for d in DOCUMENTS if wanted.matches(d)]


def test_no_filter_keeps_every_live_document() -> None:
    # GIVEN two live documents and a deleted one WHEN listed without filters THEN the deleted one is left out
    assert _matching({}) == ["manual", "faq"]


@pytest.mark.parametrize(
    ("query", "agent_id", "expected"),
    [
        ({"agent_id": "a2"}, None, ["faq"]),
        ({"agent_id": "a2"}, "a1", ["manual"]),  # the route's agent wins over ?agent_id
        ({"status": "processed"}, None, ["manual"]),  # Knowrithm's alias of completed
        ({"status": " PENDING "}, None, ["faq"]),
        ({"document_type": "MD"}, None, ["faq"]),
        ({"search": "returns"}, None, ["manual"]),  # the title
        ({"search": "help/faq"}, None, ["faq"]),  # the source URL, case-insensitive
        ({"search": "manual.pdf"}, None, ["manual"]),  # the file name
        ({"search": "old"}, None, []),  # deleted documents never match
    ],
)
def test_each_filter_narrows(query: dict[str, str], agent_id: str | None, expected: list[str]) -> None:
    # GIVEN the documents WHEN one filter is applied THEN only the documents it names remain
    assert _matching(query, agent_id) == expected


def test_unknown_status_is_refused() -> None:
    # GIVEN a status Knowrithm does not have WHEN the filter is parsed THEN it is a 422 naming the statuses
    with pytest.raises(ValidationFailed, match="status must be one of"):
        DocumentFilter.parse({"status": "archived"}, None)
