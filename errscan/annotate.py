"""Findings written back into the clerk's own file: Word comments (批注) and tracked changes (修订), Excel cell
comments; and `errscan fix` on Word files.

A .docx is walked as the reader walks it (readers/docx.py records, for each paragraph, the w:t elements and
special characters its text is made of), so a finding's offset leads back to the runs that hold its text, even
when it is split across runs by formatting. Those runs are split at the finding's ends, each part keeping the
run's formatting (its w:rPr); nothing else in the file changes. Each finding becomes a comment anchored on
exactly its text; a safe fix (finding.fix) also becomes a tracked change: the text in w:del, the replacement
in w:ins with the first run's formatting, so that Word and WPS accept or reject each one. Comments can be
anchored in the body, its tables and its text boxes; findings in headers, footers and notes (where Word has no
comments) are listed in one comment at the start of the body.

An .xlsx gets one cell comment per cell with findings (openpyxl). openpyxl does not keep charts and images of
a workbook it saves: the annotated copy says so when the workbook had any (Outcome.lost).
"""

from __future__ import annotations

import bisect
import copy
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from errscan.detectors.privacy import mask_text
from errscan.model import PART_ZH, Finding, category_zh
from errscan.readers.docx import T, W, paragraph_text, walk
from errscan.readers.text import ReadError

__all__ = ["AUTHOR", "Outcome", "annotate", "annotate_checked", "annotated_path", "fix_docx"]

AUTHOR = "errscan"
R, RPR, DEL_TEXT = W + "r", W + "rPr", W + "delText"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
OTHER_PARTS = ("header", "footer", "footnotes", "endnotes")  # the parts the reader walks besides the body
# containers in which a run may be wrapped in w:del / w:ins (a tracked change inside another one is not made)
_REVISABLE = frozenset({W + "p", W + "hyperlink", W + "smartTag", W + "sdtContent", W + "customXml", W + "fldSimple"})


@dataclass
class Outcome:
    """What went into the file: comments, tracked changes (or, for fix, replacements), and what did not."""

    comments: int = 0
    revisions: int = 0
    skipped: list[tuple[Finding, str]] = field(default_factory=list)  # (finding, why, in Chinese)
    lost: str = ""  # parts of the file the annotated copy does not keep (Excel charts and images)


def annotated_path(path: Path) -> Path:
    """通知.docx → 通知.审校.docx, beside it."""
    return path.with_name(f"{path.stem}.审校{path.suffix}")


def annotate(data: bytes, kind: str, findings: Sequence[Finding], *, revisions: bool = True,
             sources: Mapping[str, str] | None = None, now: dt.datetime | None = None) -> tuple[bytes, Outcome]:
    """The file with the findings written into it (kind "docx" or "xlsx"). Raises ReadError where the file is
    not what the findings were made of."""
    if kind == "docx":
        return _DocxEdit(data, now).annotate(findings, revisions, sources or {})
    if kind == "xlsx":
        return _annotate_xlsx(data, findings, sources or {})
    raise ValueError(f"cannot annotate {kind}")


def annotate_checked(runner: object, checked: object, data: bytes, *, revisions: bool = True) -> tuple[bytes, Outcome]:
    """A checked document's file annotated with what its report shows (run.Runner, run.Checked): the same
    findings, settings and lists as `errscan check`; each comment names its list's source."""
    lex = runner.scanners.get(checked.config).lexicon  # type: ignore[attr-defined]
    sources = {info.id: _first_clause(info.source) for info in lex.lists}
    return annotate(data, checked.metadata.get("kind", ""), checked.shown, revisions=revisions,  # type: ignore[attr-defined]
                    sources=sources)


def _first_clause(text: str) -> str:
    text = " ".join(text.split())
    for stop in "；;。":
        text = text.split(stop, 1)[0]
    return text[:80]


def fix_docx(data: bytes, findings: Sequence[Finding], *, tracked: bool,
             now: dt.datetime | None = None) -> tuple[bytes, Outcome]:
    """The safe fixes of the findings made in a .docx: as tracked changes, or replacing the text in its runs."""
    return _DocxEdit(data, now).fix(findings, tracked)


def comment_text(f: Finding, sources: Mapping[str, str]) -> str:
    """What a comment says: the severity and category, the message, the suggestion, the rule and its source."""
    category = category_zh(f.category)
    message = f.message.removeprefix(f"{category}：")  # 严重错误：“…” → the head says it already
    lines = [f"【{category}·{SEVERITY_ZH.get(f.severity.label, f.severity.label)}】{message}"]
    if f.suggestions and not any(f"“{s}”" in f.message for s in f.suggestions):
        lines.append("建议：" + "、".join(f"“{s}”" for s in f.suggestions))
    source = sources.get(f.list_id, "")
    lines.append(f"规则：{f.rule}" + (f"（来源：{source}）" if source else ""))
    return "\n".join(lines)


def _part(f: Finding) -> str:
    """页眉, 页脚2, 脚注3: the part of the file a finding outside the body is in."""
    loc = dict(f.location)
    part = str(loc.get("part", ""))
    number = loc.get(part) or loc.get("note")
    return PART_ZH.get(part, part) + ("" if number in (None, 1) else str(number))


class _DocxEdit:
    def __init__(self, data: bytes, now: dt.datetime | None):
        self.record: list = []
        self.doc, self.document, self.blobs = walk(data, self.record)
        self.starts = [r[1] for r in self.record]
        when = now or dt.datetime.now(dt.timezone.utc)
        self.date = when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        root = self.document.element
        ids = [int(v) for el in root.iter() for k, v in el.attrib.items() if k == W + "id" and v.isdigit()]
        self.next_id = max(ids, default=0) + 1000  # above every annotation id already in the body

    # --- finding the runs ------------------------------------------------------------------------------------

    def _paragraph(self, f: Finding, parts: tuple[str, ...] = ("document",)) -> tuple[int, int, int] | None:
        """(paragraph index, start, end in its text) of a finding in one of `parts` (document: the body and its
        text boxes; header, footer, footnotes, endnotes), or None."""
        i = bisect.bisect_right(self.starts, f.offset) - 1
        if i < 0:
            return None
        p, start, _, part = self.record[i]
        a, b = f.offset - start, f.offset - start + f.length
        text, _ = paragraph_text(p)
        if part not in parts or b > len(text) or (text[a:b] != f.text and mask_text(text[a:b]) != f.text):
            return None  # (a report masks personal data: 139****5678 stands for the number in the file)
        return i, a, b

    def _runs(self, i: int, a: int, b: int) -> list | None:
        """The runs holding exactly text[a:b] of paragraph i, split off their neighbours where needed."""
        pieces: list = []
        paragraph_text(self.record[i][0], pieces)
        out = []
        for el, off, text in pieces:
            lo, hi = max(a, off), min(b, off + len(text))
            if lo >= hi:
                continue
            run = _alone(el)
            if run is None:
                return None
            if el.tag == T:
                if hi - off < len(text):
                    _split(run, el, hi - off)
                if lo > off:
                    run = _split(run, el, lo - off)
            out.append(run)
        return out or None

    # --- writing ---------------------------------------------------------------------------------------------

    def _id(self) -> str:
        self.next_id += 1
        return str(self.next_id)

    def _revise(self, runs: list, new: str) -> tuple[object, object] | None:
        """runs put in a w:del, `new` in a w:ins after it, with the first run's formatting: (first, last)."""
        parent = runs[0].getparent()
        if parent.tag not in _REVISABLE or any(r.getparent() is not parent for r in runs):
            return None
        deleted = parent.makeelement(W + "del", {W + "id": self._id(), W + "author": AUTHOR, W + "date": self.date})
        runs[0].addprevious(deleted)
        for r in runs:
            for t in r.iter(T):
                t.tag = DEL_TEXT
            deleted.append(r)
        inserted = parent.makeelement(W + "ins", {W + "id": self._id(), W + "author": AUTHOR, W + "date": self.date})
        inserted.append(_text_run(runs[0], new))
        deleted.addnext(inserted)
        return deleted, inserted

    def _comment(self, first: object, last: object, text: str) -> object:
        comment = self.document.comments.add_comment(text=text, author=AUTHOR, initials="ES")
        cid = str(comment.comment_id)
        start = first.makeelement(W + "commentRangeStart", {W + "id": cid})  # type: ignore[attr-defined]
        first.addprevious(start)  # type: ignore[attr-defined]
        end = last.makeelement(W + "commentRangeEnd", {W + "id": cid})  # type: ignore[attr-defined]
        last.addnext(end)  # type: ignore[attr-defined]
        ref = end.makeelement(R, {})
        ref.append(ref.makeelement(W + "commentReference", {W + "id": cid}))
        end.addnext(ref)
        return comment

    def annotate(self, findings: Sequence[Finding], revisions: bool,
                 sources: Mapping[str, str]) -> tuple[bytes, Outcome]:
        out = Outcome()
        elsewhere: list[Finding] = []
        done: list[tuple[int, int, object]] = []  # (start, end, comment) in the document's text
        for f in sorted(findings, key=lambda f: (-f.offset, f.length)):
            placed = self._paragraph(f)
            if placed is None:
                if dict(f.location).get("part") in (*OTHER_PARTS, "image"):
                    elsewhere.append(f)
                    if revisions and self._fix(f, tracked=True) is None:
                        out.revisions += 1  # the fix made in place; the comment at the start says so
                else:
                    out.skipped.append((f, "在文件中找不到原文位置，未加批注"))
                continue
            over = next((c for s, e, c in done if s < f.offset + f.length and f.offset < e), None)
            if over is not None:  # the same words as a finding already anchored: said in its comment
                over.add_paragraph(comment_text(f, sources))  # type: ignore[attr-defined]
                out.comments += 1
                continue
            i, a, b = placed
            runs = self._runs(i, a, b)
            if runs is None:
                out.skipped.append((f, "原文不在普通文字中（如域代码、公式），未加批注"))
                continue
            first, last = runs[0], runs[-1]
            _drop_fallback(first)  # its runs are split now
            if revisions and f.fix is not None and f.fix != f.text:
                revised = self._revise(runs, f.fix)
                if revised is not None:
                    first, last = revised
                    out.revisions += 1
            done.append((f.offset, f.offset + f.length, self._comment(first, last, comment_text(f, sources))))
            out.comments += 1
        if elsewhere:
            self._elsewhere(sorted(elsewhere), sources, out)
        return self._save(), out

    def _elsewhere(self, findings: list[Finding], sources: Mapping[str, str], out: Outcome) -> None:
        """Findings in headers, footers and notes: one comment on the body's first text."""
        body = next((r for r in self.record if r[3] == "document" and paragraph_text(r[0])[0].strip()), None)
        runs = self._runs(self.record.index(body), 0, 1) if body is not None else None
        if runs is None:
            out.skipped += [(f, "页眉、页脚或注释中的问题无处加批注（正文没有文字），未加批注") for f in findings]
            return
        lines = ["以下问题在页眉、页脚、脚注或图片中（Word 不能在这些位置加批注）："]
        lines += [f"{_part(f)}“{f.text}”：{comment_text(f, sources)}" for f in findings]
        self._comment(runs[0], runs[-1], "\n".join(lines))
        out.comments += len(findings)

    def _fix(self, f: Finding, tracked: bool) -> str | None:
        """A finding's safe fix made in whichever part it is in; None, or why not (Chinese)."""
        if f.fix is None or f.fix == f.text:
            return "没有唯一的安全改法"
        placed = self._paragraph(f, ("document", *OTHER_PARTS))
        runs = self._runs(*placed) if placed is not None else None
        if runs is None:
            return "在文件中找不到可修改的原文，未修改"
        if tracked:
            if self._revise(runs, f.fix) is None:
                return "原文在另一处修订之中，未修改"
        elif not _replace(runs, f.fix):
            return "原文不全是文字（含制表符或换行），未修改"
        _drop_fallback(runs[0])
        return None

    def fix(self, findings: Sequence[Finding], tracked: bool) -> tuple[bytes, Outcome]:
        out = Outcome()
        last_start = None
        for f in sorted((f for f in findings if f.fix is not None and f.fix != f.text), key=lambda f: -f.offset):
            if last_start is not None and f.offset + f.length > last_start:
                out.skipped.append((f, "与另一处修改重叠，未修改"))
                continue
            why = self._fix(f, tracked)
            if why is not None:
                out.skipped.append((f, why))
                continue
            out.revisions += 1
            last_start = f.offset
        return self._save(), out

    def _save(self) -> bytes:
        from lxml import etree

        for part, root in self.blobs:  # footnotes, endnotes: python-docx saves their bytes, not a tree
            part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        buf = io.BytesIO()
        self.document.save(buf)
        return buf.getvalue()


MC_CHOICE = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Choice"
MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _drop_fallback(el: object) -> None:
    """A text box edited in its DrawingML copy loses its VML fallback copy, which would show the old text in
    programs that read the fallback (Word makes it anew on saving)."""
    node = el.getparent()  # type: ignore[attr-defined]
    while node is not None:
        if node.tag == MC_CHOICE:
            for fallback in node.getparent().findall(MC_FALLBACK):
                node.getparent().remove(fallback)
        node = node.getparent()


def _new_run(template: object) -> object:
    """An empty w:r with a copy of `template`'s formatting."""
    run = template.makeelement(R, dict(template.attrib))  # type: ignore[attr-defined]
    rpr = template.find(RPR)  # type: ignore[attr-defined]
    if rpr is not None:
        run.append(copy.deepcopy(rpr))
    return run


def _alone(el: object) -> object | None:
    """The run of `el` (a w:t or a special character), split so that `el` is its only content; None when `el`
    is not directly in a run."""
    run = el.getparent()  # type: ignore[attr-defined]
    if run is None or run.tag != R:
        return None
    content = [c for c in run if c.tag != RPR]
    if content == [el]:
        return run
    at = content.index(el)
    if at:
        before = _new_run(run)
        for c in content[:at]:
            before.append(c)  # type: ignore[attr-defined]
        run.addprevious(before)
    if at + 1 < len(content):
        after = _new_run(run)
        for c in content[at + 1 :]:
            after.append(c)  # type: ignore[attr-defined]
        run.addnext(after)
    return run


def _set_text(t: object, text: str) -> None:
    t.text = text  # type: ignore[attr-defined]
    t.set(XML_SPACE, "preserve")  # type: ignore[attr-defined]


def _split(run: object, t: object, k: int) -> object:
    """Split a run whose only content is w:t `t` at character k: `run` keeps text[:k], the new run after it
    (returned) holds text[k:]."""
    after = copy.deepcopy(run)
    text = t.text or ""  # type: ignore[attr-defined]
    _set_text(after.find(T), text[k:])  # type: ignore[attr-defined]
    _set_text(t, text[:k])
    run.addnext(after)  # type: ignore[attr-defined]
    return after


def _text_run(template: object, text: str) -> object:
    run = _new_run(template)
    t = run.makeelement(T, {})  # type: ignore[attr-defined]
    _set_text(t, text)
    run.append(t)  # type: ignore[attr-defined]
    return run


def _replace(runs: list, new: str) -> bool:
    """The text of `runs` replaced by `new`, in the first run (its formatting); the others removed."""
    texts = [r.find(T) for r in runs]
    if any(t is None for t in texts):
        return False
    _set_text(texts[0], new)
    for r in runs[1:]:
        r.getparent().remove(r)
    return True


# --- Excel ----------------------------------------------------------------------------------------------------


def _annotate_xlsx(data: bytes, findings: Sequence[Finding], sources: Mapping[str, str]) -> tuple[bytes, Outcome]:
    import warnings
    import zipfile

    import openpyxl
    from openpyxl.comments import Comment

    out = Outcome()
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
    lost = [what for what, prefix in (("图表", "xl/charts/"), ("图片", "xl/media/")) if any(n.startswith(prefix)
                                                                                        for n in names)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data))
    except Exception as exc:
        raise ReadError(f"Excel 文件无法打开以加批注（{type(exc).__name__}）") from None
    by_cell: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        loc = dict(f.location)
        sheet, cell = loc.get("sheet"), loc.get("cell")
        if isinstance(sheet, str) and isinstance(cell, str) and sheet in book.sheetnames:
            by_cell.setdefault((sheet, cell), []).append(f)
        else:
            out.skipped.append((f, "找不到所在单元格，未加批注"))
    for (sheet, cell), found in by_cell.items():
        target = book[sheet][cell]
        text = "\n\n".join(f"“{f.text}”{comment_text(f, sources)}" for f in sorted(found))
        if target.comment is not None:
            text = f"{target.comment.text}\n\n{text}"
        comment = Comment(text, AUTHOR)
        comment.width, comment.height = 320, min(600, 80 + 18 * text.count("\n") + len(text) // 2)
        target.comment = comment
        out.comments += len(found)
    buf = io.BytesIO()
    book.save(buf)
    if lost:
        out.lost = "、".join(lost)
    return buf.getvalue(), out
