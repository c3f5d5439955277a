"""Document types: what is accepted, how a type is recognised, and how text comes out of each.

Accepted: txt, md, html, pdf, csv, json, docx, xlsx. The type comes from the file name's extension, else
the declared content type, else the bytes (``%PDF-``, ``<html``). Extraction returns the text per page
(one page for everything but PDF and xlsx, whose pages are sheets); :class:`ExtractionError` carries a
reason a person can act on. pypdf, BeautifulSoup, python-docx and openpyxl are imported only when a
document of theirs is extracted (docx and xlsx: :mod:`knowrithm_core.knowledge.office`, with zip-bomb limits).
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

SUPPORTED = ("txt", "md", "html", "pdf", "csv", "json", "docx", "xlsx")
EXTENSIONS = {
    ".txt": "txt",
    ".text": "txt",
    ".log": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".pdf": "pdf",
    ".csv": "csv",
    ".json": "json",
    ".docx": "docx",
    ".xlsx": "xlsx",
}
CONTENT_TYPES = {
    "text/plain": "txt",
    "text/markdown": "md",
    "text/x-markdown": "md",
    "text/html": "html",
    "application/xhtml+xml": "html",
    "application/pdf": "pdf",
    "text/csv": "csv",
    "application/csv": "csv",
    "application/json": "json",
    "text/json": "json",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
MIME_OF = {
    "txt": "text/plain",
    "md": "text/markdown",
    "html": "text/html",
    "pdf": "application/pdf",
    "csv": "text/csv",
    "json": "application/json",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
OFFICE_TYPES = frozenset({"docx", "xlsx"})
TEXT_TYPES = frozenset({"txt", "md", "html", "csv", "json"})


class ExtractionError(ValueError):
    """The document cannot be turned into text; the message says why (stored as ``processing_error``)."""


class UnsupportedType(ValueError):
    """Not one of :data:`SUPPORTED`."""


@dataclass(frozen=True)
class Extracted:
    pages: list[str]
    title: str | None = None

    @property
    def page_count(self) -> int:
        return len(self.pages)

    @property
    def word_count(self) -> int:
        return sum(len(page.split()) for page in self.pages)


def safe_filename(name: str | None, fallback: str = "document") -> str:
    """The last path component, without control characters, at most 255 characters."""
    base = PurePosixPath((name or "").replace("\\", "/")).name
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip()
    return (base or fallback)[:255]


def extension_type(filename: str) -> str | None:
    return EXTENSIONS.get(PurePosixPath(filename.lower()).suffix)


def content_type_type(content_type: str | None) -> str | None:
    return CONTENT_TYPES.get((content_type or "").split(";")[0].strip().lower())


def detect_type(filename: str, content_type: str | None, head: bytes) -> str:
    """The document type; raises :class:`UnsupportedType` naming what was seen."""
    by_name = extension_type(filename)
    if by_name:
        return by_name
    suffix = PurePosixPath(filename.lower()).suffix
    if suffix and suffix not in {".bin", ".dat"} and not content_type_type(content_type):
        raise UnsupportedType(f"unsupported file type '{suffix}' (supported: {', '.join(SUPPORTED)})")
    by_header = content_type_type(content_type)
    if by_header:
        return by_header
    sniffed = sniff(head)
    if sniffed:
        return sniffed
    raise UnsupportedType(f"cannot tell the file's type (supported: {', '.join(SUPPORTED)})")


def sniff(head: bytes) -> str | None:
    start = head.lstrip()[:512].lower()
    if start.startswith(b"%pdf-"):
        return "pdf"
    if start.startswith((b"<!doctype html", b"<html")) or b"<body" in start:
        return "html"
    if start[:1] in (b"{", b"["):
        return "json"
    return None


def check_content(kind: str, data: bytes) -> None:
    """Cheap checks at upload time (the full parse happens in the ingest worker)."""
    if kind == "pdf":
        if b"%PDF-" not in data[:1024]:
            raise ExtractionError("the file is not a PDF (no %PDF- header)")
    elif kind in OFFICE_TYPES:
        if not data.startswith(b"PK\x03\x04"):
            raise ExtractionError(f"the file is not a {kind} document (not a zip archive)")
    elif b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractionError(f"the file looks binary, not {kind} text")


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252 / Latin-1 (never fails)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def normalize(text: str) -> str:
    """Trim every line, collapse runs of spaces, at most one blank line in a row."""
    lines = [re.sub(r"[ \t\f\v\u00a0]+", " ", line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip()


# --- extractors -------------------------------------------------------------------
def extract(kind: str, data: bytes) -> Extracted:
    """Text of a document of type ``kind``; raises :class:`ExtractionError`."""
    if not data:
        raise ExtractionError("the file is empty")
    if kind == "pdf":
        result = _pdf(data)
    elif kind == "html":
        result = _html(data)
    elif kind == "md":
        result = Extracted([markdown_to_text(decode_text(data))])
    elif kind == "csv":
        result = Extracted([_csv(decode_text(data))])
    elif kind == "json":
        result = Extracted([_json(decode_text(data))])
    elif kind == "txt":
        result = Extracted([normalize(decode_text(data))])
    elif kind in OFFICE_TYPES:
        from knowrithm_core.knowledge import office

        result = office.docx_text(data) if kind == "docx" else office.xlsx_text(data)
    else:
        raise ExtractionError(f"unsupported document type '{kind}'")
    if not any(page.strip() for page in result.pages):
        raise ExtractionError("the document has no text")
    return result


def _pdf(data: bytes) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionError("the PDF is password-protected")
        pages = [normalize(page.extract_text() or "") for page in reader.pages]
        title = str(reader.metadata.title) if reader.metadata and reader.metadata.title else None
    except ExtractionError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise ExtractionError(f"the PDF could not be read ({type(exc).__name__}: {str(exc)[:200]})") from exc
    if not pages:
        raise ExtractionError("the PDF has no pages")
    if not any(pages):
        raise ExtractionError("the PDF has no extractable text (scanned pages would need OCR, which is not supported)")
    return Extracted(pages, title)


BLOCK_TAGS = re.findall(
    r"\S+",
    "p div section article main header footer aside nav li ul ol dl dt dd table thead tbody tr td th "
    "h1 h2 h3 h4 h5 h6 pre blockquote figure figcaption address details summary hr form fieldset",
)
DROP_TAGS = ["script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "embed", "head"]


def _html(data: bytes) -> Extracted:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(data, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    for tag in soup.find_all(DROP_TAGS):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(BLOCK_TAGS):
        block.insert_before("\n")
        block.insert_after("\n")
    text = normalize(soup.get_text(""))
    if title and not text.startswith(title):
        text = f"{title}\n\n{text}" if text else title
    return Extracted([text], title or None)


MD_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^[ \t]*(?:```|~~~).*$", re.M), ""),  # code fences (the code itself stays)
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images -> alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links -> text
    (re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*(.*?)[ \t#]*$", re.M), r"\1"),  # headings
    (re.compile(r"^[ \t]{0,3}>[ \t]?", re.M), ""),  # block quotes
    (re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]+", re.M), ""),  # list markers
    (re.compile(r"^[ \t]*(?:-{3,}|\*{3,}|_{3,}|\|?[ \t:|-]*-[ \t:|-]*\|[ \t:|-]*)$", re.M), ""),  # rules, table rules
    (re.compile(r"(\*\*|__|~~)(.+?)\1"), r"\2"),  # bold, strike
    (re.compile(r"(?<![\w*])[*_](?!\s)(.+?)(?<!\s)[*_](?![\w*])"), r"\1"),  # italics
    (re.compile(r"`([^`\n]*)`"), r"\1"),  # inline code
    (re.compile(r"<[^>\n]+>"), ""),  # inline HTML tags
    (re.compile(r"^[ \t]*\||\|[ \t]*$", re.M), ""),  # table row edges
    (re.compile(r"[ \t]*\|[ \t]*"), "; "),  # table cells
)


def markdown_to_text(source: str) -> str:
    text = source
    for pattern, replacement in MD_RULES:
        text = pattern.sub(replacement, text)
    return normalize(text)


def _csv(text: str) -> str:
    """One line per row: ``header: value; header: value`` (the first row is the header)."""
    try:
        dialect: Any = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [row for row in csv.reader(io.StringIO(text), dialect) if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise ExtractionError(f"the CSV could not be read ({exc})") from exc
    if not rows:
        return ""
    header = [cell.strip() for cell in rows[0]]
    if len(rows) == 1:
        return "; ".join(h for h in header if h)
    lines = []
    for row in rows[1:]:
        cells = [
            f"{header[i] if i < len(header) and header[i] else f'column {i + 1}'}: {value.strip()}"
            for i, value in enumerate(row)
            if value.strip()
        ]
        lines.append("; ".join(cells) + ".")
    return "\n".join(lines)


def _json(text: str) -> str:
    """Every scalar as ``path: value``; top-level list items become paragraphs. Numbers are kept as written
    (a 5,000-digit integer or ``NaN`` is text here, not a conversion error)."""
    try:
        value = json.loads(text, parse_int=str, parse_float=str, parse_constant=str)
    except json.JSONDecodeError as exc:
        raise ExtractionError(f"the JSON is not valid ({exc.msg} at line {exc.lineno})") from exc
    except RecursionError as exc:
        raise ExtractionError("the JSON is nested too deeply to read") from exc
    lines: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                walk(child, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, f"{path}[{index}]" if path else f"[{index}]")
        elif node is not None and str(node).strip():
            label = re.sub(r"\[\d+\]", "", path).replace("_", " ").replace(".", " ").strip()
            lines.append(f"{label}: {node}" if label else str(node))

    try:
        for item in value if isinstance(value, list) else [value]:
            walk(item, "")
            lines.append("")
    except RecursionError as exc:
        raise ExtractionError("the JSON is nested too deeply to read") from exc
    return normalize("\n".join(lines))
