"""Word and Excel uploads: real files made with python-docx and openpyxl yield their text; zip bombs and
damaged archives are refused with a reason."""

from __future__ import annotations

import pytest

from knowrithm_core.knowledge import office
from knowrithm_core.knowledge.formats import ExtractionError, check_content, detect_type, extract
from tests.office_maker import make_docx, make_xlsx, make_zip


def test_a_word_document_yields_its_paragraphs_and_tables_in_order() -> None:
    # GIVEN a real .docx with a heading, paragraphs and a table WHEN it is detected and extracted
    data = make_docx()
    kind = detect_type("policy.docx", None, data[:512])
    check_content(kind, data)
    result = extract(kind, data)
    # THEN its text comes out in document order, the table row by row, with the document's title
    assert kind == "docx" and result.title == "Shipping policy"
    assert result.pages == [
        "Shipping\nMugs ship within 3 business days.\nEurope | 5 days\nAsia | 9 days\nReturns are accepted for 30 days."
    ]


def test_an_excel_workbook_yields_one_page_per_sheet() -> None:
    # GIVEN a real .xlsx with two sheets (and an empty row) WHEN it is extracted
    data = make_xlsx()
    result = extract(detect_type("prices.bin", office_mime("xlsx"), data[:512]), data)
    # THEN each sheet is a page, headed by its name, empty rows left out
    assert result.pages == ["# Prices\nItem | Price\nBlue mug | 12.5", "# Stock\nBlue mug | 40"]


def office_mime(kind: str) -> str:
    from knowrithm_core.knowledge.formats import MIME_OF

    return MIME_OF[kind]


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_a_zip_bomb_is_refused_before_it_is_unpacked(kind: str) -> None:
    # GIVEN an archive with one entry that expands ~1000 times (4 MB of zeros)
    bomb = make_zip({"[Content_Types].xml": b"<x/>", "word/document.xml": b"\0" * (4 * 1024 * 1024)})
    assert len(bomb) < 20_000
    # WHEN it is extracted THEN it is refused, naming why
    with pytest.raises(ExtractionError, match="expands suspiciously"):
        extract(kind, bomb)


def test_too_many_entries_or_too_much_unpacked_data_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    many = make_zip({f"f{i}.xml": b"<x/>" for i in range(30)})
    monkeypatch.setattr(office, "MAX_MEMBERS", 20)
    with pytest.raises(ExtractionError, match="more than 20 entries"):
        extract("docx", many)
    monkeypatch.setattr(office, "MAX_MEMBERS", 2_000)
    monkeypatch.setattr(office, "MAX_UNPACKED_BYTES", 1024)
    with pytest.raises(ExtractionError, match="unpacks to more than"):
        extract("xlsx", make_xlsx())


def test_a_huge_workbook_stops_at_the_cell_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(office, "MAX_CELLS", 3)
    with pytest.raises(ExtractionError, match="more than 3 cells"):
        extract("xlsx", make_xlsx())


@pytest.mark.parametrize("kind", ["docx", "xlsx"])
def test_damaged_or_fake_office_files_fail_with_a_reason(kind: str) -> None:
    with pytest.raises(ExtractionError, match="not a zip archive"):
        check_content(kind, b"just text pretending")
    with pytest.raises(ExtractionError, match="could not be read|damaged"):
        extract(kind, make_zip({"hello.txt": b"not an office file"}))
    with pytest.raises(ExtractionError, match="damaged"):
        extract(kind, b"PK\x03\x04" + b"\x00" * 40)
