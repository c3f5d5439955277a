"""Text from Office Open XML uploads: Word (docx, python-docx) and Excel (xlsx, openpyxl).

Both are zip archives, so the archive is checked before either library opens it: at most
``MAX_MEMBERS`` entries, ``MAX_UNPACKED_BYTES`` unpacked in all, and no entry expanding more than
``MAX_RATIO`` times (a zip bomb is refused with a reason, never unpacked). A workbook is read
row by row (read-only mode) and stops at ``MAX_CELLS`` cells. The libraries are imported only here.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from knowrithm_core.knowledge.formats import Extracted, ExtractionError, normalize

MAX_MEMBERS = 2_000
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_RATIO = 200
MAX_CELLS = 500_000
ZIP_MAGIC = b"PK\x03\x04"


def check_archive(data: bytes, kind: str) -> None:
    """Refuse what is not a zip, or would unpack too much (zip bombs), naming the limit."""
    if not data.startswith(ZIP_MAGIC):
        raise ExtractionError(f"the file is not a {kind} document (not a zip archive)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        raise ExtractionError(f"the {kind} archive is damaged ({str(exc)[:120]})") from exc
    if len(members) > MAX_MEMBERS:
        raise ExtractionError(f"the {kind} archive has more than {MAX_MEMBERS} entries")
    if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
        raise ExtractionError(f"the {kind} archive unpacks to more than {MAX_UNPACKED_BYTES // 2**20} MB")
    for member in members:
        if member.file_size > 1024 * 1024 and member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise ExtractionError(f"the {kind} archive expands suspiciously ({member.filename[:80]})")


def docx_text(data: bytes) -> Extracted:
    """Paragraphs and table rows, in document order; the core title if set."""
    check_archive(data, "docx")
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds (KeyError, ValueError, lxml errors) for bad files
        raise ExtractionError(f"the docx could not be read ({type(exc).__name__}: {str(exc)[:200]})") from exc
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, docx.table.Table):
            lines.extend(" | ".join(cell.text.strip() for cell in row.cells) for row in block.rows)
        else:
            lines.append(block.text)
    title = document.core_properties.title or None
    return Extracted([normalize("\n".join(lines))], title)


def xlsx_text(data: bytes) -> Extracted:
    """One page per sheet: its name, then each non-empty row as ``cell | cell``."""
    check_archive(data, "xlsx")
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (KeyError, InvalidFileException, lxml errors)
        raise ExtractionError(f"the xlsx could not be read ({type(exc).__name__}: {str(exc)[:200]})") from exc
    pages: list[str] = []
    cells = 0
    try:
        for sheet in workbook.worksheets:
            rows = [f"# {sheet.title}"]
            for row in sheet.iter_rows(values_only=True):
                cells += len(row)
                if cells > MAX_CELLS:
                    raise ExtractionError(f"the workbook has more than {MAX_CELLS:,} cells")
                values = [_cell(value) for value in row]
                if any(values):
                    rows.append(" | ".join(values).rstrip(" |"))
            pages.append(normalize("\n".join(rows)))
    finally:
        workbook.close()
    return Extracted(pages)


def _cell(value: Any) -> str:
    return "" if value is None else str(value).strip()
