"""Inline suppressions: comments in a document that silence findings, like eslint-disable.

Directives::

    errscan-disable-next-line [rule …]   the next line that has text (see below)
    errscan-disable-line [rule …]        the line the comment is on
    errscan-disable [rule …]             from here on, until a matching errscan-enable
    errscan-enable [rule …]              ends a disable (of those rules only, when rules are given)
    errscan-disable-file [rule …]        the whole document

With no rule a directive covers every finding. A rule is a rule id (`typo/布署`) or a list id (`typo`,
`protected-names`, `privacy`); categories are not accepted, because the category `serious` spans six lists
and a suppression should name what it hides. Rules are separated by spaces or commas; anything after ` -- `
is a free reason (`errscan-disable-next-line typo/布署 -- 引用原文`).

Where directives are written:
- HTML: a comment `<!-- errscan-… -->`, read from the page's source (comments are not in the page's text);
  its lines are the source's lines, as are the findings'.
- Markdown and plain text (and every other kind): a comment `<!-- errscan-… -->`, or a line holding nothing
  but `# errscan-…` or `// errscan-…` (plain text has no comment syntax; the `errscan-` prefix makes these
  lines unambiguous). Full-width ＃ is not read.

"The next line that has text" is the first line after the line where the comment ends that still has a
non-space character once comments (and, in HTML, tags and script/style contents) are removed: blank lines,
lines of markup, and other directive lines are passed over.

`errscan-disable` covers findings at or after the comment's position; `errscan-enable` ends coverage at its
own position. A directive that hides nothing is "unused" (`--report-unused-disables`); enables are not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from errscan.model import Document, Finding, Severity
from errscan.posmap import LineMap

KINDS = ("disable-next-line", "disable-line", "disable-file", "disable", "enable")
UNUSED_RULE = "errscan/unused-disable"
_KIND = "|".join(KINDS)  # longest first: "disable" must not win over "disable-line"
_COMMENT = re.compile(r"<!--(.*?)-->", re.S)
_BODY = re.compile(rf"\s*(errscan-({_KIND})(?![\w-])(.*?))\s*", re.S)
_LINE = re.compile(rf"^[ \t]*(?:#|//)[ \t]*(errscan-({_KIND})(?![\w-])([^\r\n]*?))[ \t]*\r?$", re.M)
_REASON = re.compile(r"(?:^|\s)--(?:\s|$)")
_SEP = re.compile(r"[\s,，、]+")
_HIDDEN_HTML = re.compile(r"<!--.*?-->|<(script|style)\b.*?</\1\s*>|<[^>]*>", re.S | re.I)


@dataclass(frozen=True)
class Directive:
    line: int  # 1-based line where the comment starts (the source's line for HTML)
    kind: str  # one of KINDS
    rules: tuple[str, ...]  # empty: everything
    column: int = 1  # 1-based column where the comment starts
    offset: int = 0  # 0-based offset of the comment in the source
    end_line: int = 0  # line where the comment ends
    end_column: int = 0  # 1-based column just past the comment's end
    target: int | None = None  # disable-next-line: the line it covers (None: no line with text follows)
    text: str = ""  # the directive as written, without the comment's markers

    def covers_rule(self, f: Finding) -> bool:
        return not self.rules or f.rule in self.rules or f.list_id in self.rules

    def contains(self, f: Finding) -> bool:
        """The finding is in the comment itself (a directive that names 布署 is no 布署 in the text)."""
        return (self.line, self.column) <= (f.line, f.column) < (self.end_line, self.end_column)

    def after(self, f: Finding) -> bool:
        """The finding is at or after the comment."""
        return (f.line, f.column) >= (self.line, self.column)


def directives(source: str, kind: str = "text") -> list[Directive]:
    """The directives in a document's source, in order. `kind` "html" reads HTML comments only."""
    if "errscan-" not in source:
        return []
    lines = LineMap(source)
    found: list[tuple[int, int, re.Match[str]]] = []  # (start, end, body match)
    for m in _COMMENT.finditer(source):
        body = _BODY.fullmatch(m.group(1))
        if body:
            found.append((m.start(), m.end(), body))
    if kind != "html":
        found += [(m.start(), m.end(), m) for m in _LINE.finditer(source)]
        found.sort(key=lambda t: t[0])
    if not found:
        return []
    has_text = _lines_with_text(source, kind, [(s, e) for s, e, _ in found], lines)
    out = []
    for start, end, m in found:
        line, column = lines.line_col(start)
        end_line, end_column = lines.line_col(end)  # the position just past the comment
        rules = _REASON.split(m.group(3), maxsplit=1)[0]
        target = None
        if m.group(2) == "disable-next-line":
            target = next((n for n in range(end_line + 1, len(has_text) + 1) if has_text[n - 1]), None)
        out.append(Directive(
            line, m.group(2), tuple(r for r in _SEP.split(rules) if r), column, start, end_line, end_column, target,
            " ".join(m.group(1).split()),
        ))
    return out


def _lines_with_text(source: str, kind: str, comments: Sequence[tuple[int, int]], lines: LineMap) -> list[bool]:
    """For each line: has it a character that is neither space nor hidden markup (directives included)?"""
    blank = lambda m: re.sub(r"[^\n]", " ", m.group())  # noqa: E731  keeps every line where it was
    if kind == "html":
        visible = _HIDDEN_HTML.sub(blank, source)
    else:
        chars = list(source)
        for start, end in comments:
            for i in range(start, end):
                if chars[i] != "\n":
                    chars[i] = " "
        visible = "".join(chars)
    return [bool(line.strip()) for line in visible.split("\n")]


def document_directives(doc: Document, source: str | None = None) -> list[Directive]:
    """A Document's directives: an HTML page's from its source (given, or kept by its locator as `.source`),
    any other kind's from its text."""
    if doc.kind == "html":
        source = source if source is not None else getattr(doc.locator, "source", None)
        return directives(source, "html") if source is not None else []
    return directives(doc.text, "text")


def apply(
    findings: Iterable[Finding], found: Sequence[Directive]
) -> tuple[list[Finding], list[Finding], list[Directive]]:
    """(kept, suppressed, unused directives). Unused: disable directives that hid nothing.

    Findings inside a directive's own comment (a plain-text directive is part of the scanned text) are in
    neither list.
    """
    findings = list(findings)
    if not found:
        return findings, [], []
    ranges = sorted((d for d in found if d.kind in ("disable", "enable")), key=lambda d: (d.line, d.column))
    whole = [d for d in found if d.kind == "disable-file"]
    by_line: dict[int, list[Directive]] = {}  # disable-next-line and disable-line, by the line they cover
    for d in found:
        if d.kind == "disable-next-line" and d.target is not None:
            by_line.setdefault(d.target, []).append(d)
        elif d.kind == "disable-line":
            for n in range(d.line, max(d.line, d.end_line) + 1):
                by_line.setdefault(n, []).append(d)
    own = {n for d in found for n in range(d.line, max(d.line, d.end_line) + 1)}  # lines with a directive
    used: set[Directive] = set()
    kept, suppressed = [], []
    for f in findings:
        if f.line in own and any(d.contains(f) for d in found):
            continue  # the directive's own words (typo/布署) are not the document's: dropped, not counted
        hit = [d for d in whole + by_line.get(f.line, []) if d.covers_rule(f)]
        active = None  # the disable in force at the finding, if any
        for d in ranges:
            if not d.after(f):
                break
            if d.covers_rule(f):
                active = d if d.kind == "disable" else None
        if active is not None:
            hit.append(active)
        used.update(hit)
        (suppressed if hit else kept).append(f)
    unused = [d for d in found if d.kind != "enable" and d not in used]
    return kept, suppressed, unused


def unused_findings(unused: Iterable[Directive], path: str) -> list[Finding]:
    """Unused directives as warnings (rule errscan/unused-disable, category meta), for --report-unused-disables.

    line/column are the comment's; offset is its offset in the source (for HTML, not an offset in the text).
    """
    return [
        Finding(
            path=path, offset=d.offset, length=len(d.text), line=d.line, column=d.column, text=d.text,
            suggestions=(), rule=UNUSED_RULE, list_id="errscan", category="meta", severity=Severity.WARNING,
            message=f"豁免注释“{d.text}”没有屏蔽任何问题，可以删除。", context=d.text,
        )
        for d in unused
    ]
