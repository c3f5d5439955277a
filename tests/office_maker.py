"""Real Word and Excel files for tests, made with python-docx and openpyxl (and raw zips for bad ones)."""

from __future__ import annotations

import io
import zipfile

import docx
import openpyxl


def make_docx() -> bytes:
    document = docx.Document()
    document.core_properties.title = "Shipping policy"
    document.add_heading("Shipping", level=1)
    document.add_paragraph("Mugs ship within 3 business days.")
    table = document.add_table(rows=2, cols=2)
    for row, (region, days) in enumerate([("Europe", "5 days"), ("Asia", "9 days")]):
        table.cell(row, 0).text, table.cell(row, 1).text = region, days
    document.add_paragraph("Returns are accepted for 30 days.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    prices = workbook.active
    assert prices is not None
    prices.title = "Prices"
    prices.append(["Item", "Price"])
    prices.append(["Blue mug", 12.5])
    prices.append([None, None])
    stock = workbook.create_sheet("Stock")
    stock.append(["Blue mug", 40])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def make_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()
