"""Every accepted format yields its text; unreadable input fails with a reason a person can act on."""

from __future__ import annotations

import json

import pytest

from knowrithm_core.knowledge.formats import (
    ExtractionError,
    UnsupportedType,
    check_content,
    detect_type,
    extract,
    markdown_to_text,
    safe_filename,
)
from tests.pdf_maker import make_pdf


def test_plain_text_is_decoded_and_normalized() -> None:
    # GIVEN UTF-8 text with a BOM, Windows line ends and ragged spacing
    data = "\ufeffOur   shop opens at 9am.\r\n\r\n\r\nCafé closes at 5pm.  ".encode()
    # WHEN it is extracted
    result = extract("txt", data)
    # THEN the text is clean, one page, with its words counted
    assert result.pages == ["Our shop opens at 9am.\n\nCafé closes at 5pm."]
    assert result.page_count == 1 and result.word_count == 9


def test_latin1_text_does_not_fail() -> None:
    assert extract("txt", "Crème brûlée".encode("latin-1")).pages == ["Crème brûlée"]


def test_markdown_keeps_the_words_and_drops_the_syntax() -> None:
    # GIVEN Markdown with headings, emphasis, links, lists, a table and code
    source = (
        "# Returns\n\nYou can **return** any _mug_ within [45 days](https://x.example/returns).\n\n"
        "- free labels\n- no questions\n\n| Plan | Price |\n|---|---|\n| Pro | 9 |\n\n```\nmake install\n```\n"
    )
    # WHEN it is extracted
    text = extract("md", source.encode()).pages[0]
    # THEN headings stay their own paragraphs and no markup remains
    assert text.startswith("Returns\n\nYou can return any mug within 45 days.")
    assert "free labels\nno questions" in text and "Pro; 9" in text and "make install" in text
    assert not any(mark in text for mark in ("**", "](", "```", "# ", "|"))


def test_html_text_without_scripts_styles_or_markup() -> None:
    # GIVEN a page with a title, inline markup, a script, a style and a list
    page = (
        b"<!doctype html><html><head><title>Help centre</title><style>p{color:red}</style></head>"
        b"<body><nav>Home</nav><h1>Shipping</h1><p>Orders ship in <b>two</b> days.</p>"
        b"<script>alert('x')</script><ul><li>Free over $50</li><li>Tracked</li></ul></body></html>"
    )
    # WHEN it is extracted
    result = extract("html", page)
    text = result.pages[0]
    # THEN the visible text stays in reading order, blocks on their own lines
    assert result.title == "Help centre"
    assert "Shipping\n\nOrders ship in two days.\n\nFree over $50\n\nTracked" in text
    assert "alert" not in text and "color" not in text


def test_pdf_pages_title_and_count() -> None:
    # GIVEN a two-page PDF
    pdf = make_pdf(["Warranty terms cover the glaze.", "Refunds take five days."], title="Handbook")
    # WHEN it is extracted
    result = extract("pdf", pdf)
    # THEN each page's text and the document title come back
    assert result.page_count == 2 and result.title == "Handbook"
    assert "glaze" in result.pages[0] and "five days" in result.pages[1]


def test_csv_rows_become_labelled_sentences() -> None:
    data = b"product,price,colour\nMug,12,blue\nBowl,18,\n"
    text = extract("csv", data).pages[0]
    assert text == "product: Mug; price: 12; colour: blue.\nproduct: Bowl; price: 18."


def test_json_scalars_become_labelled_lines() -> None:
    data = json.dumps([{"question": "Do you ship abroad?", "answer": "Yes, to 30 countries."}, {"q": None}]).encode()
    text = extract("json", data).pages[0]
    assert text == "question: Do you ship abroad?\nanswer: Yes, to 30 countries."


def test_json_numbers_are_kept_as_written_even_past_python_limits() -> None:
    # GIVEN a JSON document with a 5,000-digit integer and a NaN  WHEN it is extracted
    text = extract("json", b'{"serial": ' + b"7" * 5_000 + b', "ratio": NaN, "price": 1e400}').pages[0]
    # THEN the numbers are text, as written (no conversion error)
    assert text == f"serial: {'7' * 5_000}\nratio: NaN\nprice: 1e400"


@pytest.mark.parametrize(
    ("kind", "data", "reason"),
    [
        ("pdf", b"%PDF-1.4 this is not really a pdf", "the PDF could not be read"),
        ("pdf", make_pdf([""]), "no extractable text"),
        ("json", b"{not json", "the JSON is not valid"),
        ("json", b"[" * 5_000 + b"]" * 5_000, "nested too deeply"),
        ("txt", b"   \n  ", "the document has no text"),
        ("txt", b"", "the file is empty"),
    ],
)
def test_unreadable_documents_fail_with_a_reason(kind: str, data: bytes, reason: str) -> None:
    with pytest.raises(ExtractionError, match=reason):
        extract(kind, data)


@pytest.mark.parametrize(
    ("filename", "content_type", "head", "expected"),
    [
        ("Guide.PDF", None, b"", "pdf"),
        ("notes.markdown", None, b"", "md"),
        ("page.htm", "application/octet-stream", b"", "html"),
        ("data", "text/csv; charset=utf-8", b"", "csv"),
        ("blob", None, b"%PDF-1.7", "pdf"),
        ("export", None, b'  {"a": 1}', "json"),
    ],
)
def test_type_from_extension_then_content_type_then_bytes(
    filename: str, content_type: str | None, head: bytes, expected: str
) -> None:
    assert detect_type(filename, content_type, head) == expected


@pytest.mark.parametrize("filename", ["setup.exe", "slides.pptx", "archive.zip"])
def test_unsupported_extensions_are_refused(filename: str) -> None:
    with pytest.raises(UnsupportedType, match="supported: txt, md, html, pdf, csv, json"):
        detect_type(filename, "application/octet-stream", b"MZ")


def test_upload_checks_catch_fake_pdfs_and_binary_text() -> None:
    with pytest.raises(ExtractionError, match="not a PDF"):
        check_content("pdf", b"hello")
    with pytest.raises(ExtractionError, match="binary"):
        check_content("txt", b"ab\x00cd")
    check_content("txt", "plain".encode("utf-16"))  # a BOM'd UTF-16 file is text


def test_file_names_lose_paths_and_control_characters() -> None:
    assert safe_filename("../../etc/passwd") == "passwd"
    assert safe_filename("C:\\Users\\me\\report\x07.pdf") == "report.pdf"
    assert safe_filename("") == "document"


def test_markdown_to_text_is_idempotent_on_plain_text() -> None:
    plain = "Nothing special here.\n\nJust two paragraphs."
    assert markdown_to_text(plain) == plain
