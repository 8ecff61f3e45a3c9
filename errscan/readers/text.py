"""Plain text: BOM, UTF-16 without one, then strict UTF-8, then GB18030 or Big5 chosen by content; binary input
is refused.

GB18030 decodes almost any Big5 byte string without an error (every Big5 pair is a valid GB18030 pair), so
"try GB18030" would silently garble Big5. Both are tried, and the decoding whose characters are common Chinese
(the first level of GB 2312 or of Big5, Chinese punctuation) wins. A decoding made mostly of kana, Greek, box
drawing, private-use or rare characters is garbage: that input is refused, never guessed.
"""

from __future__ import annotations

import codecs
from functools import lru_cache

from errscan.model import Document

BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
CJK_CANDIDATES = ("gb18030", "cp950", "big5hkscs")  # cp950: Big5 as Windows writes it
_SAMPLE = 50_000  # characters of a decoding looked at to judge it
_MIN_SCORE = 0.4  # below this share of common characters, a decoding is garbage
_PUNCT = frozenset("，。、：；？！（）《》“”‘’〔〕【】—…·　")


class ReadError(Exception):
    """The input could not be read or decoded; the message is for clerks (Chinese)."""


def looks_binary(data: bytes) -> bool:
    head = data[:8192]
    if b"\0" not in head or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    return utf16_without_bom(data) is None


_CONTROLS = frozenset(chr(c) for c in range(32) if chr(c) not in "\t\n\r\f") | {"\x7f"}


def utf16_without_bom(data: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" when the bytes are UTF-16 text without a byte-order mark (Notepad's "Unicode"
    saved by some tools, exports of old systems): NUL bytes on one side only, a strict decoding without control
    characters, and common Chinese among its non-ASCII characters. None otherwise."""
    head = data[:8192]
    if len(data) % 2 or len(head) < 4:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if even == odd:
        return None
    encoding = "utf-16-le" if odd > even else "utf-16-be"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    sample = text[:_SAMPLE]
    if any(c in _CONTROLS for c in sample) or score(sample) < _MIN_SCORE:
        return None
    return encoding


@lru_cache(maxsize=65536)
def _weight(c: str) -> int:
    """+1 for a common Chinese character or punctuation, -1 for what a wrong decoding produces, else 0."""
    o = ord(c)
    if c in _PUNCT:
        return 1
    if 0x4E00 <= o <= 0x9FFF:
        try:
            if 0xB0 <= c.encode("gb2312")[0] <= 0xD7:  # GB 2312 level 1: the 3,755 common characters
                return 1
        except UnicodeEncodeError:
            pass
        try:
            b = c.encode("big5")
            if 0xA440 <= (b[0] << 8 | b[1]) <= 0xC67E:  # Big5 常用字
                return 1
        except UnicodeEncodeError:
            pass
        return 0
    if (
        0x3040 <= o <= 0x30FF  # kana
        or 0x0370 <= o <= 0x052F  # Greek, Cyrillic
        or 0x2500 <= o <= 0x257F  # box drawing
        or 0xE000 <= o <= 0xF8FF  # private use
        or 0xF900 <= o <= 0xFAFF  # compatibility ideographs
        or 0xFE30 <= o <= 0xFE6F  # vertical and small forms
    ):
        return -1
    return 0


def score(text: str) -> float:
    """Share of the non-ASCII characters (in a sample) that are common Chinese, minus the suspicious ones."""
    chars = [c for c in text[:_SAMPLE] if c >= "\x80"]
    if not chars:
        return 1.0
    return sum(_weight(c) for c in chars) / len(chars)


def decode_cjk(data: bytes) -> tuple[str, str]:
    """Not UTF-8: the best of GB18030 and Big5, or ReadError."""
    best: tuple[float, str, str] | None = None
    for encoding in CJK_CANDIDATES:
        if best is not None and encoding == "big5hkscs" and best[2] == "cp950":
            break  # cp950 decoded it: no need for its sibling
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        s = score(text)
        if best is None or s > best[0]:
            best = (s, text, encoding)
    if best is None:
        raise ReadError("无法识别编码（不是 UTF-8、GB18030/GBK 或 Big5），未检查")
    if best[0] < _MIN_SCORE:
        raise ReadError("无法可靠识别编码（按 GB18030/Big5 解码得到的多为生僻字或乱码），未检查")
    return best[1], best[2]


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding). Raises ReadError for binary or undecodable input."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise ReadError(f"按 {encoding} 解码失败（第 {exc.start} 字节）") from None
    if b"\0" in data[:8192]:
        encoding = utf16_without_bom(data)
        if encoding is None:
            raise ReadError("不是文本文件（含二进制内容），未检查")
        return data.decode(encoding), encoding
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return decode_cjk(data)


def read(data: bytes) -> Document:
    text, encoding = decode(data)
    return Document(text, "text", {"encoding": encoding})
