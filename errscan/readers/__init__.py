"""Source bytes -> Document: one module per format, chosen by content first, then by the file's extension.

Every reader imports its library (python-docx, pypdf, openpyxl, olefile) only when it runs: importing this
package costs nothing. Every failure, from a corrupt file to a zip bomb, is a ReadError with a Chinese message.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from errscan.model import Document
from errscan.readers.text import ReadError

__all__ = ["EXTENSIONS", "MAX_INPUT_BYTES", "READERS", "ReadError", "not_a_document", "read", "sniff", "too_large"]

MAX_INPUT_BYTES = 200 * 1024 * 1024


def too_large(size: int | None) -> str:
    """The clerk's message for an input over MAX_INPUT_BYTES (size None: not known, only that it is over)."""
    limit = MAX_INPUT_BYTES // 1048576
    if size is None:
        return f"文件过大（超过 {limit} MB），未检查"
    return f"文件过大（{size // 1048576} MB，上限 {limit} MB），未检查"

EXTENSIONS = {
    ".txt": "text",
    ".htm": "html",
    ".html": "html",
    ".shtml": "html",
    ".xhtml": "html",
    ".docx": "docx",
    ".docm": "docx",
    ".dotx": "docx",
    ".pdf": "pdf",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".doc": "doc",
    ".dot": "doc",
    ".wps": "doc",
    **dict.fromkeys((".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"), "image"),
}
_MODULES = {"text": "text", "html": "html", "docx": "docx", "pdf": "pdf", "xlsx": "xlsx", "doc": "doc",
            "image": "ocr"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_MARKS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<div", b"<p>", b"<table", b"<title")


def _lazy(kind: str) -> Callable[[bytes], Document]:
    def reader(data: bytes) -> Document:
        module = importlib.import_module(f"errscan.readers.{_MODULES[kind]}")
        return module.read(data)  # type: ignore[no-any-return]

    reader.__name__ = f"read_{kind}"
    return reader


READERS: dict[str, Callable[[bytes], Document]] = {kind: _lazy(kind) for kind in _MODULES}


def _extension(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > max(name.rfind("/"), name.rfind("\\")) else ""


def _zip_kind(data: bytes) -> str | None:
    import io
    import zipfile

    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except Exception:  # BadZipFile, NotImplementedError (unknown zip version), OSError …: not a usable zip
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def sniff(data: bytes, name: str = "") -> str:
    """The kind of an input: by its content (magic bytes, zip members), then by its extension; "text" else."""
    ext_kind = EXTENSIONS.get(_extension(name))
    if data.startswith(_OLE):
        return "doc"
    if data.startswith(b"PK\x03\x04"):
        kind = _zip_kind(data)
        if kind:
            return kind
        return ext_kind if ext_kind in ("docx", "xlsx") else "zip"
    if b"%PDF-" in data[:1024]:
        return "pdf"
    from errscan.readers.ocr import is_image

    if is_image(data):
        return "image"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if ext_kind in (None, "text", "html") and (
        (head.startswith((b"<!doctype html", b"<html", b"<?xml")) and b"<html" in data[:4096].lower())
        or (head.startswith(b"<") and any(mark in head for mark in _HTML_MARKS))
    ):
        return "html"
    if ext_kind in ("docx", "xlsx", "pdf", "doc"):
        return ext_kind  # its reader reports the file as damaged
    return ext_kind or "text"


def not_a_document(found: str, data: bytes) -> bool:
    """Passed over inside a directory (never an error): archives, binary files and pictures. A picture is
    read (OCR) when it is named on its own or linked from a page as an attachment; the pictures of a site's
    archive (logos, photos, by the thousand) are not worth a second of OCR each."""
    from errscan.readers.text import looks_binary

    return found in ("zip", "image") or (found == "text" and looks_binary(data))


def read(data: bytes, name: str = "", kind: str | None = None) -> Document:
    """Read one input into a Document. Raises ReadError for anything that cannot be read faithfully."""
    if len(data) > MAX_INPUT_BYTES:
        raise ReadError(too_large(len(data)))
    kind = kind or sniff(data, name)
    if kind == "zip":
        raise ReadError("是压缩包，不是 Word/Excel 文档，未检查；请解压后检查其中的文件")
    reader = READERS.get(kind)
    if reader is None:
        raise ReadError(f"不支持的文件类型：{kind}")
    try:
        return reader(data)
    except ReadError:
        raise
    except ImportError as exc:
        raise ReadError(f"读取 {kind} 文件需要安装 {exc.name}（pip install {exc.name}）") from None
    except (RecursionError, MemoryError):
        raise ReadError("文件结构过深或过大，无法读取，未检查") from None
    except Exception as exc:  # a library's bug on hostile input: an error, never a crash
        raise ReadError(f"文件已损坏或格式异常，无法读取（{type(exc).__name__}），未检查") from None
