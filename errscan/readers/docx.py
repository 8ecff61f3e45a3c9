"""Word .docx (python-docx): body, tables (nested too), headers, footers, footnotes, endnotes, text boxes.

A paragraph's runs are joined, so a word split across runs (by formatting or revision marks) is one word.
Each paragraph, and each paragraph of a table cell, is one line of the text; its location:
{"paragraph": n} (the n-th body paragraph, as python-docx's Document.paragraphs counts them when no content
controls are present), {"table": t, "row": r, "cell": c} (1-based; c is the grid column, so
Document.tables[t-1].cell(r-1, c-1) is that cell), plus {"part": "header"/"footer"/"footnotes"/"endnotes"/
"textbox"} outside the body. Deleted revisions (w:del, w:moveFrom) and field codes are not text.
A text box appears once: its DrawingML copy is read, the VML fallback copy is skipped.
"""

from __future__ import annotations

import io
import warnings

from errscan.model import Document
from errscan.readers.segments import Builder
from errscan.readers.text import ReadError
from errscan.readers.ziputil import check

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
P, TBL, TR, TC, T = W + "p", W + "tbl", W + "tr", W + "tc", W + "t"
TXBX = W + "txbxContent"
_DESCEND = frozenset({W + "sdt", W + "sdtContent", W + "customXml", W + "ins", W + "smartTag"})
_SKIP = frozenset({MC_FALLBACK, W + "del", W + "moveFrom", W + "delText", W + "instrText", W + "rPr", W + "pPr"})
_CHARS = {W + "tab": "\t", W + "br": " ", W + "cr": " ", W + "noBreakHyphen": "-", W + "softHyphen": ""}
_NOTE_SKIP = frozenset({"separator", "continuationSeparator", "continuationNotice"})
MAX_DEPTH = 64  # tables in tables, text boxes in text boxes


def paragraph_text(p, pieces: list | None = None) -> tuple[str, list]:  # type: ignore[no-untyped-def]
    """The text of a w:p (runs joined), and the text boxes anchored in it (read separately). `pieces`, when
    given, receives (element, offset in the paragraph's text, its text) for each w:t and special character, so
    that a place in the text can be found in the XML again (annotate.py)."""
    parts: list[str] = []
    boxes: list = []
    stack = list(reversed(p))
    size = 0
    while stack:
        el = stack.pop()
        tag = el.tag
        if not isinstance(tag, str) or tag in _SKIP:
            continue
        if tag == T:
            if el.text:
                parts.append(el.text)
                if pieces is not None:
                    pieces.append((el, size, el.text))
                    size += len(el.text)
        elif tag == TXBX:
            boxes.append(el)
        elif tag in _CHARS:
            parts.append(_CHARS[tag])
            if pieces is not None:
                pieces.append((el, size, _CHARS[tag]))
                size += len(_CHARS[tag])
        elif len(el):
            stack.extend(reversed(el))
    return "".join(parts).replace("\r", " ").replace("\n", " "), boxes


class _Walker:
    """`record`, when given, receives (w:p element, offset of its line in the text, its pieces, the part it is
    in: "document" for the body and its text boxes, else header, footer, footnotes or endnotes)."""

    def __init__(self, record: list | None = None) -> None:
        self.out = Builder()
        self.boxes: list[tuple[object, dict[str, object], str]] = []
        self.record = record
        self.part = "document"

    def container(self, root, place: dict[str, object], count: bool = False, depth: int = 0) -> None:  # type: ignore[no-untyped-def]
        """The paragraphs and tables of a body, header, note, cell or text box, in order."""
        if depth > MAX_DEPTH:
            raise ReadError("Word 文件结构异常（表格或文本框嵌套过深），未检查")
        paragraphs = tables = 0
        stack = list(reversed(root))
        while stack:
            el = stack.pop()
            tag = el.tag
            if tag == P:
                paragraphs += 1
                pieces: list | None = None
                if self.record is not None:
                    pieces = []
                    self.record.append((el, self.out.size, pieces, self.part))
                text, boxes = paragraph_text(el, pieces)
                here = {**place, "paragraph": paragraphs} if count else place
                self.out.add(text, here)
                self.boxes.extend((box, here, self.part) for box in boxes)
            elif tag == TBL:
                tables += 1
                self.table(el, place, tables, depth)
            elif tag in _DESCEND:
                stack.extend(reversed(el))

    def table(self, tbl, place: dict[str, object], number: int, depth: int) -> None:  # type: ignore[no-untyped-def]
        rows = [el for el in tbl if el.tag == TR]
        for r, tr in enumerate(rows, 1):
            column = 0
            before = tr.find(f"{W}trPr/{W}gridBefore")
            if before is not None:
                column = _int(before.get(W + "val"))
            for tc in _cells(tr):
                span = tc.find(f"{W}tcPr/{W}gridSpan")
                if "table" in place:  # a table inside a cell: keep the outer cell, add the inner one
                    nested = [*place.get("nested", []), {"table": number, "row": r, "cell": column + 1}]  # type: ignore[misc]
                    here = {**place, "nested": nested}
                else:
                    here = {**place, "table": number, "row": r, "cell": column + 1}
                self.container(tc, here, depth=depth + 1)
                column += _int(span.get(W + "val")) if span is not None else 1

    def textboxes(self) -> None:
        number = 0
        while self.boxes:  # text boxes found in text boxes are appended and read in turn
            box, anchor, self.part = self.boxes.pop(0)  # type: ignore[misc]
            number += 1
            if number > 10_000:
                raise ReadError("Word 文件结构异常（文本框过多），未检查")
            self.container(box, {"part": "textbox", "textbox": number, "anchor": anchor})


def _cells(tr):  # type: ignore[no-untyped-def]
    """The w:tc of a row, also those wrapped in content controls."""
    stack = list(reversed(tr))
    while stack:
        el = stack.pop()
        if el.tag == TC:
            yield el
        elif el.tag in _DESCEND:
            stack.extend(reversed(el))


def _int(value: str | None) -> int:
    try:
        return max(0, int(value or 0))
    except ValueError:
        return 0


def _parse(blob: bytes):  # type: ignore[no-untyped-def]
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    return etree.fromstring(blob, parser=parser)


_ORDER = {"header": 0, "footer": 1, "footnotes": 2, "endnotes": 3}


def _natural(name: str) -> tuple[int, str]:
    digits = "".join(c for c in name if c.isdigit())
    return (int(digits) if digits else 0, name)


def _parts(document) -> list[tuple[str, object, object]]:  # type: ignore[no-untyped-def]
    """(kind, root element, part) of the headers, footers, footnotes and endnotes, in part-name order."""
    found = []
    for rel in document.part.rels.values():
        if rel.is_external:
            continue
        kind = rel.reltype.rsplit("/", 1)[-1]
        if kind in ("header", "footer", "footnotes", "endnotes"):
            part = rel.target_part
            found.append((str(part.partname), kind, part))
    result = []
    for _, kind, part in sorted(found, key=lambda f: (_ORDER[f[1]], _natural(f[0]))):
        root = part.element if hasattr(part, "element") else _parse(part.blob)
        result.append((kind, root, part))
    return result


MAX_PICTURES = 30
BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
EMBED = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"


def _pictures(document, out) -> int:  # type: ignore[no-untyped-def]
    """The text in the body's pictures (a scanned notice pasted into Word), when the OCR extra is installed:
    each picture once, in the order it appears, at most MAX_PICTURES; {"part": "image", "image": n}. The
    number of pictures that gave text."""
    from errscan.readers import ocr

    if not ocr.available():
        return 0
    seen: list[str] = []
    for blip in document.element.body.iter(BLIP):
        rid = blip.get(EMBED)
        if rid and rid not in seen and rid in document.part.related_parts:
            seen.append(rid)
    gave = 0
    for number, rid in enumerate(seen[:MAX_PICTURES], 1):
        blob = document.part.related_parts[rid].blob
        if not ocr.is_image(blob):  # EMF, WMF, SVG: drawings, not scans
            continue
        lines = ocr.recognise(blob)
        gave += ocr.add_lines(out, lines, {"part": "image", "image": number}) > 0
    return gave


def read(data: bytes) -> Document:
    return walk(data)[0]


def walk(data: bytes, record: list | None = None):  # type: ignore[no-untyped-def]
    """(the Document, python-docx's document, [(part, root)] of the parts python-docx keeps as bytes: an edit
    of such a root is saved only by writing it back) of a .docx; `record` as for _Walker."""
    check(data, "Word ")
    try:
        import docx
    except ImportError:
        raise ReadError("读取 .docx 需要安装 python-docx（pip install python-docx）") from None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            document = docx.Document(io.BytesIO(data))
            parts = _parts(document)
    except ReadError:
        raise
    except Exception as exc:
        raise ReadError(f"Word 文件已损坏或不是 .docx 文档，无法读取（{type(exc).__name__}）") from None
    walker = _Walker(record)
    walker.container(document.element.body, {}, count=True)
    counts: dict[str, int] = {}
    for kind, root, _ in parts:
        walker.part = kind
        counts[kind] = counts.get(kind, 0) + 1
        if kind in ("footnotes", "endnotes"):
            number = 0
            for note in root:
                if note.get(W + "type") in _NOTE_SKIP:
                    continue
                number += 1
                walker.container(note, {"part": kind, "note": number})
        else:
            walker.container(root, {"part": kind, kind: counts[kind]}, count=True)
    walker.textboxes()
    metadata: dict[str, str] = {}
    if _pictures(document, walker.out):
        metadata["ocr"] = "rapidocr"
    text, locator = walker.out.build()
    props = document.core_properties
    if props.title:
        metadata["title"] = props.title
    blobs = [(part, root) for _, root, part in parts if not hasattr(part, "element")]
    return Document(text, "docx", metadata, locator), document, blobs
