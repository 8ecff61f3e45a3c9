"""The finding model: frozen, typed, picklable. Imports nothing of ours."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum


class Severity(IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, name: str) -> Severity:
        try:
            return cls[name.strip().upper()]
        except KeyError:
            raise ValueError(f"未知的级别 {name!r}（可用：error、warning、info）") from None

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def zh(self) -> str:
        return {Severity.ERROR: "错误", Severity.WARNING: "警告", Severity.INFO: "提示"}[self]


SHOWN = tuple(s.label for s in sorted(Severity, reverse=True))  # error, warning, info: what may be shown
FAIL_ON = (*SHOWN, "never")  # what may fail a check


def fail_threshold(level: str) -> int:
    """The lowest severity that fails a check at `--fail-on LEVEL` (above every severity for `never`)."""
    return Severity.ERROR + 1 if level == "never" else Severity.parse(level)


CATEGORY_ZH = {
    "serious": "政治性差错",  # names of the state, its organs and leaders, formulations: not a severity word
    "sensitive": "敏感词",
    "typo": "错别字",
    "variant": "异形词",
    "outdated": "过时表述",
    "privacy": "个人信息",
    "vulgar": "不文明用语",
    "usage": "规范用语",
    "link": "失效链接",
    "meta": "豁免注释",
}


def category_zh(category: str) -> str:
    return CATEGORY_ZH.get(category, category)


PART_ZH = {"header": "页眉", "footer": "页脚", "footnotes": "脚注", "endnotes": "尾注", "textbox": "文本框",
           "comments": "批注", "image": "图片",
           # a web page's texts besides its body (readers/html.py): its source line and column say where
           "title": "网页标题", "description": "页面描述", "keywords": "页面关键词", "alt": "图片说明（alt）",
           "tooltip": "提示文字（title）"}
SOURCE_PARTS = frozenset({"title", "description", "keywords", "alt", "tooltip"})


def where_zh(location: Mapping[str, object] | Iterable[tuple[str, object]]) -> str:
    """Where a person finds a finding in its file, in Chinese: 第3页第12行, 工作表“花名册”C2, 第9段,
    表1第2行第3列, 页眉第1段, 脚注2, 文本框1（在第5段）; a web page's texts outside its body: 网页标题,
    页面描述, 页面关键词, 图片说明（alt）, 提示文字（title） (its line and column say where in the source);
    "" where the file has no such places (plain text, a web page's body: its line and column say it)."""
    loc = dict(location.items() if isinstance(location, Mapping) else location)
    out = []
    part = str(loc.get("part", ""))
    if part in ("footnotes", "endnotes"):
        out.append(f"{PART_ZH[part]}{loc.get('note', '')}")
    elif part == "textbox":
        anchor = loc.get("anchor")
        at = where_zh(anchor) if isinstance(anchor, Mapping) else ""
        out.append(f"文本框{loc.get('textbox', '')}" + (f"（在{at}）" if at else ""))
    elif part:
        number = loc.get(part)
        out.append(PART_ZH.get(part, part) + (str(number) if isinstance(number, int) and number > 1 else ""))
    if "sheet" in loc:
        out.append(f"工作表“{loc['sheet']}”{loc.get('cell', '')}")
    if "page" in loc:
        out.append(f"第{loc['page']}页" + (f"第{loc['line']}行" if "line" in loc else ""))
    if "table" in loc and "sheet" not in loc:
        out.append(f"表{loc['table']}第{loc.get('row', '?')}行第{loc.get('cell', '?')}列")
        for inner in loc.get("nested") or ():  # type: ignore[attr-defined]
            if isinstance(inner, Mapping):
                out.append(f"中的表{inner.get('table')}第{inner.get('row')}行第{inner.get('cell')}列")
    if "paragraph" in loc and part != "textbox":
        out.append(f"第{loc['paragraph']}段")
    return "".join(out)


@dataclass(frozen=True, order=True)
class Finding:
    """One reported problem. Ordered by path, then position."""

    path: str
    offset: int  # 0-based code point offset in the decoded text
    length: int  # in code points
    line: int  # 1-based
    column: int  # 1-based, in code points
    text: str
    suggestions: tuple[str, ...]
    rule: str
    list_id: str
    category: str
    severity: Severity
    message: str
    context: str = field(default="", compare=False)
    location: tuple[tuple[str, object], ...] = field(default=(), compare=False)  # page, paragraph, cell …
    fix: str | None = field(default=None, compare=False)  # the replacement `errscan fix` may apply, if any
    # a dated entry reported at info because the document's date is unknown or unsure: overrides leave it a hint
    undated: bool = field(default=False, compare=False)

    def to_dict(self) -> dict[str, object]:
        """The JSON contract: exactly these fields (`line`/`column` in the source file where one exists)."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "offset": self.offset,
            "length": self.length,
            "text": self.text,
            "suggestions": list(self.suggestions),
            "rule": self.rule,
            "list": self.list_id,
            "category": self.category,
            "severity": self.severity.label,
            "message": self.message,
            "context": self.context,
            "location": dict(self.location),
            "fix": self.fix,
        }

    def marked_at(self) -> int:
        """Where the finding's own text sits in its context (-1: not there, a tab or CR normalised away). The
        context starts CONTEXT characters before the text or at its line's start, so of the text's occurrences
        (the same word twice in one line, the first excused) it is the one nearest min(column - 1, CONTEXT)."""
        from errscan.posmap import CONTEXT

        expected = min(self.column - 1, CONTEXT)
        at = self.context.find(self.text)
        nxt = self.context.find(self.text, at + 1) if at != -1 else -1
        while nxt != -1 and abs(nxt - expected) < abs(at - expected):
            at, nxt = nxt, self.context.find(self.text, nxt + 1)
        return at

    def fingerprint(self) -> str:
        """Stable across edits that move the finding: no line or offset in it."""
        import hashlib

        key = "\0".join((self.path, self.rule, self.text, self.context))
        return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass(frozen=True)
class InputError:
    """An input that could not be read: never counted as clean."""

    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


@dataclass(frozen=True)
class Report:
    findings: tuple[Finding, ...]
    errors: tuple[InputError, ...] = ()
    files: int = 0  # inputs scanned
    skipped: tuple[str, ...] = ()  # binary files passed over inside directories
    elapsed: float = 0.0
    fail_on: Severity = Severity.WARNING
    documents: tuple[tuple[str, dict[str, str]], ...] = ()  # (path, metadata: kind, title, date, encoding)
    hidden: tuple[tuple[str, int], ...] = ()  # (severity label, count) of findings below min_severity, not shown
    verdict: bool | None = None  # failed, when the inputs had thresholds of their own; None: from fail_on

    @property
    def failed(self) -> bool:
        """The verdict follows fail_on only: findings not shown (below min_severity) count too."""
        if self.verdict is not None:
            return self.verdict
        return any(f.severity >= self.fail_on for f in self.findings) or any(
            n and Severity.parse(label) >= self.fail_on for label, n in self.hidden
        )

    def summary(self) -> dict[str, object]:
        by_severity = {s.label: 0 for s in sorted(Severity, reverse=True)}
        by_category: dict[str, int] = {}
        for f in self.findings:
            by_severity[f.severity.label] += 1
            by_category[f.category] = by_category.get(f.category, 0) + 1
        return {
            "files": self.files,
            "findings": len(self.findings),
            "by_severity": by_severity,
            "by_category": by_category,
            "hidden": {label: n for label, n in self.hidden if n},
            "errors": [e.to_dict() for e in self.errors],
            "skipped": list(self.skipped),
            "elapsed": round(self.elapsed, 3),
        }


class Locator:
    """Maps an offset in a Document's text back to its source. The base class: the text is the source."""

    def __init__(self, text: str):
        from errscan.posmap import LineMap

        self._lines = LineMap(text)

    def locate(self, offset: int) -> tuple[int, int, dict[str, object]]:
        """(line, column, location) for a 0-based offset into the text.

        line/column: 1-based, in the source file where one exists (an HTML page's source), else in the text.
        location: where a person finds it, e.g. {"page": 3, "line": 12}, {"paragraph": 5},
        {"table": 1, "row": 2, "cell": 3}, {"part": "header"}, {"sheet": "Sheet1", "cell": "B7"}; {} for text.
        """
        line, column = self._lines.line_col(offset)
        return line, column, {}


@dataclass(frozen=True)
class Document:
    """What a reader makes of a source: the text to scan, how to find an offset in the source, metadata."""

    text: str
    kind: str = "text"  # text, html, docx, pdf, xlsx, doc
    # title, date (YYYY-MM-DD), encoding
    metadata: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
    locator: Locator | None = field(default=None, compare=False, hash=False)

    def locate(self, offset: int) -> tuple[int, int, dict[str, object]]:
        locator = self.locator if self.locator is not None else Locator(self.text)
        object.__setattr__(self, "locator", locator)  # built once, on first use
        return locator.locate(offset)
