"""Legacy Word .doc / WPS .wps (Word 97–2003 binary format; olefile): the text from the piece table.

The FIB gives the table stream (0Table or 1Table) and the Clx in it; the Clx's piece table maps character
positions to runs of text in the WordDocument stream, 8-bit (cp1252) or UTF-16. The stories follow one another:
main text, footnotes, headers/footers, comments, endnotes, text boxes. Field codes (between 0x13 and 0x14) are
dropped and field results kept; paragraph and cell marks end lines.
Location: {"paragraph": n} for the n-th line of the main text (Word counts table cells as paragraphs too),
{"part": "footnotes"/"header"/"endnotes"/"textbox", "paragraph": n} elsewhere.
Refused with a clear message: Word 95 and older, encrypted documents, other OLE files (.xls, .ppt, .msg),
and the old DOS/WPS 2000 formats. Nothing is guessed: a piece table that does not add up is an error.
"""

from __future__ import annotations

import io
import struct

from errscan.model import Document
from errscan.readers.segments import Builder
from errscan.readers.text import ReadError

CONVERT = "请用 Word、WPS 或 LibreOffice 另存为 .docx 后再检查"
# ccp fields of FibRgLw97, in story order, with the part each story is reported as
STORIES = (
    ("main", 0x4C),
    ("footnotes", 0x50),
    ("header", 0x54),
    ("comments", 0x5C),
    ("endnotes", 0x60),
    ("textbox", 0x64),
    ("textbox", 0x68),
)
_DROP = {0x01, 0x02, 0x03, 0x04, 0x05, 0x08}  # picture, note reference, separators, comment mark, drawn object
_BREAK = {0x0D, 0x07, 0x0C, 0x0B}  # paragraph, cell/row end, page/section break, line break


def _streams(data: bytes) -> tuple[bytes, bytes]:
    try:
        import olefile
    except ImportError:
        raise ReadError("读取 .doc/.wps 需要安装 olefile（pip install olefile），或" + CONVERT) from None
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception:
        raise ReadError("文件已损坏（不是有效的 Office 97–2003 文件），无法读取") from None
    with ole:
        if ole.exists("EncryptedPackage"):
            raise ReadError("Office 文件已加密（设有打开密码），无法读取；请去除密码后再检查")
        if not ole.exists("WordDocument"):
            if ole.exists("Workbook") or ole.exists("Book"):
                raise ReadError("是旧版 Excel 工作簿（.xls），暂不支持；请另存为 .xlsx 后再检查")
            if ole.exists("PowerPoint Document"):
                raise ReadError("是 PowerPoint 演示文稿，暂不支持；请另存为 PDF 后再检查")
            raise ReadError("不是 Word 文档（没有 WordDocument 数据），无法读取；" + CONVERT)
        try:
            word = ole.openstream("WordDocument").read()
            flags = struct.unpack_from("<H", word, 0x0A)[0] if len(word) >= 12 else 0
            name = "1Table" if flags & 0x0200 else "0Table"
            table = ole.openstream(name).read() if ole.exists(name) else b""
        except Exception:
            raise ReadError("Word 文件已损坏，无法读取；" + CONVERT) from None
    return word, table


def _pieces(word: bytes, table: bytes) -> list[tuple[int, int, int, bool]]:
    """(cp start, cp end, byte offset, compressed) for each piece of the piece table."""
    if len(word) < 0x1AA:
        raise ReadError("Word 文件已损坏（文件头不完整），无法读取；" + CONVERT)
    ident, nfib = struct.unpack_from("<HH", word, 0)
    flags = struct.unpack_from("<H", word, 0x0A)[0]
    if ident != 0xA5EC:
        raise ReadError("不是可识别的 Word 97–2003 文档（可能是旧版 WPS 文件），无法读取；" + CONVERT)
    if nfib < 0x00C1:
        raise ReadError("是 Word 95 或更早版本的文档，暂不支持；" + CONVERT)
    if flags & 0x0100:
        raise ReadError("Word 文件已加密（设有打开密码），无法读取；请去除密码后再检查")
    fc_clx, lcb_clx = struct.unpack_from("<II", word, 0x1A2)
    clx = table[fc_clx : fc_clx + lcb_clx]
    if lcb_clx == 0 or len(clx) != lcb_clx:
        raise ReadError("Word 文件已损坏（找不到文字索引），无法读取；" + CONVERT)
    i = 0
    while i < len(clx) and clx[i] == 0x01:  # Prc: formatting, skipped
        (size,) = struct.unpack_from("<H", clx, i + 1)
        i += 3 + size
    if i + 5 > len(clx) or clx[i] != 0x02:
        raise ReadError("Word 文件已损坏（文字索引格式错误），无法读取；" + CONVERT)
    (lcb,) = struct.unpack_from("<I", clx, i + 1)
    plc = clx[i + 5 : i + 5 + lcb]
    n = (lcb - 4) // 12
    if n <= 0 or len(plc) < lcb or 4 * (n + 1) + 8 * n != lcb:
        raise ReadError("Word 文件已损坏（文字索引长度不符），无法读取；" + CONVERT)
    cps = struct.unpack_from(f"<{n + 1}I", plc, 0)
    pieces = []
    for k in range(n):
        (fc,) = struct.unpack_from("<I", plc, 4 * (n + 1) + 8 * k + 2)
        compressed = bool(fc & 0x40000000)
        offset = (fc & 0x3FFFFFFF) // 2 if compressed else fc & 0x3FFFFFFF
        if cps[k + 1] < cps[k]:
            raise ReadError("Word 文件已损坏（文字索引顺序错误），无法读取；" + CONVERT)
        pieces.append((cps[k], cps[k + 1], offset, compressed))
    return pieces


def _text(word: bytes, pieces: list[tuple[int, int, int, bool]]) -> str:
    parts = []
    for start, end, offset, compressed in pieces:
        count = end - start
        size = count if compressed else 2 * count
        raw = word[offset : offset + size]
        if len(raw) != size:
            raise ReadError("Word 文件已损坏（文字超出文件范围），无法读取；" + CONVERT)
        parts.append(raw.decode("cp1252", "replace") if compressed else raw.decode("utf-16-le", "replace"))
    return "".join(parts)


def _clean(story: str) -> list[str]:
    """Lines of a story: field codes dropped, marks and breaks turned into line ends."""
    out: list[str] = []
    line: list[str] = []
    depth = 0  # inside field codes (between 0x13 and 0x14)
    for ch in story:
        o = ord(ch)
        if o == 0x13:
            depth += 1
        elif o == 0x14:
            depth = max(0, depth - 1)
        elif o == 0x15:
            continue
        elif depth:
            continue
        elif o in _BREAK:
            out.append("".join(line))
            line = []
        elif o in _DROP or o < 0x09 or 0x0E <= o < 0x20:
            continue
        elif o == 0x1E:
            line.append("-")
        elif o == 0x1F:
            continue
        else:
            line.append(ch)
    if line:
        out.append("".join(line))
    return out


def read(data: bytes) -> Document:
    word, table = _streams(data)
    pieces = _pieces(word, table)
    text = _text(word, pieces)
    if "\ufffd" in text:
        raise ReadError("Word 文件中的文字无法正确解码，无法读取；" + CONVERT)
    out = Builder()
    at = 0
    for part, field in STORIES:
        (length,) = struct.unpack_from("<I", word, field)
        story = text[at : at + length]
        at += length
        for n, line in enumerate(_clean(story), 1):
            out.add(line, {"paragraph": n} if part == "main" else {"part": part, "paragraph": n})
    if not text.strip():
        raise ReadError("Word 文件中没有文字，未检查")
    built, locator = out.build()
    return Document(built, "doc", {}, locator)
