"""Excel .xlsx (openpyxl, read-only, cached values): every cell of every worksheet, one cell a line.

Location: {"sheet": name, "cell": "B7"}. Formulas give their cached value (what Excel shows); a formula never
calculated gives nothing. Cells are read straight from the sheet's XML rows, so a sheet that declares a huge
range but holds few cells costs only its cells.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings

from errscan.model import Document
from errscan.readers.segments import Builder
from errscan.readers.text import ReadError
from errscan.readers.ziputil import check


def _text(value: object) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def _cells(sheet):  # type: ignore[no-untyped-def]
    """(row, column, value) of the cells present in a read-only sheet's XML."""
    from openpyxl.worksheet._reader import WorkSheetParser

    parent = sheet.parent
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=parent.data_only,
            epoch=parent.epoch,
            date_formats=parent._date_formats,
            timedelta_formats=parent._timedelta_formats,
        )
        for _, row in parser.parse():
            for cell in row:
                yield cell["row"], cell["column"], cell["value"]


def read(data: bytes) -> Document:
    check(data, "Excel ")
    try:
        import openpyxl
        from openpyxl.utils import get_column_letter
    except ImportError:
        raise ReadError("读取 .xlsx 需要安装 openpyxl（pip install openpyxl）") from None
    out = Builder()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                for sheet in book.worksheets:
                    for row, column, value in _cells(sheet):
                        text = _text(value)
                        if text is not None:
                            out.add(text, {"sheet": sheet.title, "cell": f"{get_column_letter(column)}{row}"})
            finally:
                book.close()
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(f"Excel 文件已损坏或不是 .xlsx 工作簿，无法读取（{type(exc).__name__}）") from None
    text, locator = out.build()
    return Document(text, "xlsx", {}, locator)
