"""Plain text: BOM, then strict UTF-8, then GB18030; binary content is refused, never guessed."""

from __future__ import annotations

import codecs

BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


class ReadError(Exception):
    """The input could not be read or decoded; the message is for clerks (Chinese)."""


def looks_binary(data: bytes) -> bool:
    head = data[:8192]
    return b"\0" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding). Raises ReadError for binary or undecodable input."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise ReadError(f"按 {encoding} 解码失败（第 {exc.start} 字节）") from None
    if looks_binary(data):
        raise ReadError("不是文本文件（含二进制内容），未检查")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise ReadError(f"无法识别编码（既不是 UTF-8 也不是 GB18030，第 {exc.start} 字节）") from None
