"""PDF (pypdf): the extracted text of each page, located by page and line within the page.

A PDF has no paragraphs, only lines, and a Chinese line wraps anywhere: 中华人民共和 / 国. A line that is full
(about as long as the page's usual line) and ends in a Chinese character joins the next line when that starts
with one, so a word wrapped across two lines is found. Spaces between two Chinese characters (justified lines
come out as 邮 编 ： 223100) are dropped. Each PDF line keeps its place: {"page": p, "line": l}.

A page without a text layer (a scan) is read by OCR when the extra `errscan[ocr]` is installed
(readers/ocr.py: its lines located by page, line and box). An encrypted PDF that does not open with an empty
password, one without text on any page (a scan, without the extra, or with nothing recognised), or one with a
page whose text comes out as garbage (GARBLED), is a ReadError saying so; a PDF is never reported clean
because nothing could be read.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
import warnings
from collections import Counter

from errscan.model import Document
from errscan.readers.segments import Builder
from errscan.readers.text import ReadError

MAX_PAGES = 5000
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_GAP = re.compile(f"(?<=[{_CJK}])[ \\t\u00a0]+(?=[{_CJK}])")
_CJK_CHAR = re.compile(f"[{_CJK}]")
_IDEOGRAPH = re.compile("[\u3400-\u9fff\uf900-\ufaff]")
_SENTENCE_END = frozenset("。！？；：」』”）)")
GARBLED = 0.25  # a page whose text is this much replacement characters, private-use or unassigned code points,
# controls, or letters of scripts a Chinese document does not use (what random bytes in a content stream give),
# was not read: an error, not a clean page
_HAN_OR_KANA = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def garbled_share(text: str) -> float:
    """The share of the text's non-space characters that no faithful extraction of Chinese text gives."""
    chars = [c for c in text if not c.isspace()]
    if not chars:
        return 0.0
    bad = 0
    for c in chars:
        cat = unicodedata.category(c)
        if c == "\ufffd" or cat in ("Co", "Cs", "Cc", "Cn") or (cat == "Lo" and not _HAN_OR_KANA.match(c)):
            bad += 1
    return bad / len(chars)


def _open(data: bytes):  # type: ignore[no-untyped-def]
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")
            except Exception as exc:
                if type(exc).__name__ == "DependencyError":  # AES without the cryptography package
                    raise ReadError("读取此加密 PDF 需要安装 cryptography（pip install cryptography）") from None
                ok = 0
            if not ok:
                raise ReadError("PDF 文件已加密（需要密码），无法读取；请提供未加密的版本")
        pages = list(reader.pages)
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(f"PDF 文件已损坏，无法读取（{type(exc).__name__}）") from None
    return reader, pages


def page_texts(data: bytes) -> tuple[list[str], dict[str, str]]:
    """The text of each page (as pypdf extracts it), and the metadata (title)."""
    try:
        import pypdf  # noqa: F401
    except ImportError:
        raise ReadError("读取 PDF 需要安装 pypdf（pip install pypdf）") from None
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)  # pypdf warns about every harmless irregularity
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reader, pages = _open(data)
            if len(pages) > MAX_PAGES:
                raise ReadError(f"PDF 页数过多（{len(pages)} 页，上限 {MAX_PAGES} 页），未检查")
            texts = []
            for number, page in enumerate(pages, 1):
                try:
                    texts.append(page.extract_text() or "")
                except Exception as exc:
                    raise ReadError(f"PDF 第 {number} 页已损坏，无法提取文字（{type(exc).__name__}）") from None
            metadata: dict[str, str] = {}
            try:
                title = reader.metadata.title if reader.metadata else None
            except Exception:
                title = None
            if title and str(title).strip():
                metadata["title"] = str(title).strip()
    finally:
        logger.setLevel(level)
    return texts, metadata


MAX_OCR_PAGES = 200


def _recognised(data: bytes, numbers: list[int]) -> dict[int, list[tuple[str, list[int], float]]]:
    """The text recognised in the pictures of each page that has no text layer (a scan), page by page;
    more than MAX_OCR_PAGES such pages are refused rather than read for hours."""
    from errscan.readers import ocr

    if len(numbers) > MAX_OCR_PAGES:
        raise ReadError(f"PDF 有 {len(numbers)} 页需要文字识别（上限 {MAX_OCR_PAGES} 页），未检查")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, pages = _open(data)
        out: dict[int, list[tuple[str, list[int], float]]] = {}
        for number in numbers:
            lines: list[tuple[str, list[int], float]] = []
            try:
                images = list(pages[number - 1].images)
            except Exception as exc:
                raise ReadError(f"PDF 第 {number} 页的图片无法读取（{type(exc).__name__}），未检查") from None
            for image in images:
                lines += ocr.recognise(image.data)
            out[number] = lines
    return out


def _usual_width(lines: list[str]) -> int:
    lengths = Counter(len(line) for line in lines if len(line) >= 10)
    if not lengths:
        return 0
    top = max(lengths.values())
    return max(n for n, c in lengths.items() if c == top)


def _wraps(line: str, following: str, width: int) -> bool:
    """Does `line` continue on `following` (a Chinese line wrapped by the layout, not ended)?"""
    return (
        width > 0
        and len(line) >= width - 2
        and line[-1] not in _SENTENCE_END
        and bool(_CJK_CHAR.match(line[-1]))
        and bool(following)
        and bool(_IDEOGRAPH.match(following[0]))
    )


def read(data: bytes) -> Document:
    if b"%PDF-" not in data[:1024]:
        raise ReadError("不是 PDF 文件（缺少 PDF 文件头），无法读取")
    if b"%%EOF" not in data[-8192:]:  # pypdf would recover some pages of a cut file and say nothing
        raise ReadError("PDF 文件不完整（缺少文件尾，可能下载未完成或被截断），未检查")
    texts, metadata = page_texts(data)
    from errscan.readers import ocr

    blank = [n for n, t in enumerate(texts, 1) if not t.strip()]
    scanned = _recognised(data, blank) if blank and ocr.available() else {}
    if not any(t.strip() for t in texts) and not any(scanned.values()):
        if not ocr.available():
            raise ocr.missing("PDF 中没有可提取的文字（可能是扫描件或图片），")
        raise ReadError("PDF 中没有可提取的文字，文字识别也没有识别出文字（可能是空白扫描件），未检查")
    for number, page in enumerate(texts, 1):
        share = garbled_share(page)
        if share >= GARBLED and sum(not c.isspace() for c in page) >= 20:
            raise ReadError(f"PDF 第 {number} 页的文字无法正确提取（约 {share:.0%} 为乱码），未检查")
    out = Builder()
    if scanned:
        metadata["ocr"] = "rapidocr"
    for number, page in enumerate(texts, 1):
        if number in scanned:
            ocr.add_lines(out, scanned[number], {"page": number})
            continue
        raw = page.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        lines = [_CJK_GAP.sub("", line).strip() for line in raw]
        width = _usual_width(lines)
        for k, line in enumerate(lines):
            last = k == len(lines) - 1
            joined = not last and line and _wraps(line, lines[k + 1], width)
            out.add(line, {"page": number, "line": k + 1}, end="" if joined else "\n")
    text, locator = out.build()
    return Document(text, "pdf", metadata, locator)
