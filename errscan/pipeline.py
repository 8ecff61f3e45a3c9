"""The stages in order: text -> candidates -> verified spans -> findings."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from pathlib import Path

from errscan.docdate import DateRange, find_date, parse_date
from errscan.lexicon import Entry, Lexicon, load_lexicon
from errscan.match import candidates
from errscan.model import Finding, Severity, category_zh
from errscan.posmap import LineMap, context
from errscan.verify import verify

_since = functools.lru_cache(maxsize=None)(parse_date)
UNDATED = "（未能确定文稿日期：{since}以前成文的文稿使用旧称是正确的，可用 --as-of 指定日期）"


def dated_severity(entry: Entry, doc: DateRange | None) -> Severity | None:
    """An outdated name: not reported before the change, the list's severity after it, info when unsure."""
    lo, hi = _since(entry.since)
    if doc is not None and doc[1] < lo:
        return None
    if doc is not None and doc[0] > hi:
        return entry.severity
    return Severity.INFO


def message(entry: Entry, text: str) -> str:
    """The clerk-facing sentence, in Chinese."""
    head = f"{category_zh(entry.category)}：“{text}”"
    if entry.suggest:
        head += "，建议改为" + "或".join(f"“{s}”" for s in entry.suggest)
    head += "。"
    if entry.note:
        head += entry.note if entry.note.endswith(("。", "！", "？", "）")) else entry.note + "。"
    return head


class Scanner:
    """Compiled lists plus settings; `scan_text` is the whole pipeline for one text.

    >>> Scanner().scan_text("再接再励")[0].suggestions
    ('再接再厉',)
    """

    def __init__(
        self,
        lists: Iterable[str | Path] = (),
        *,
        builtin: bool = True,
        allow: Sequence[str] = (),
        min_severity: Severity = Severity.INFO,
        as_of: DateRange | str | None = None,
        cache: bool = True,
        lexicon: Lexicon | None = None,
    ):
        self.lexicon = lexicon or load_lexicon([Path(p) for p in lists], builtin=builtin, cache=cache)
        self.allow = tuple(allow)
        self.min_severity = min_severity
        self.as_of = parse_date(as_of) if isinstance(as_of, str) else as_of

    def scan_text(self, text: str, path: str = "<text>") -> list[Finding]:
        """Findings in `text`, ordered by position."""
        entries = self.lexicon.entries
        cands = candidates(text, self.lexicon)
        if not cands:
            return []
        kept = verify(text, cands, entries, self.allow)
        lines = LineMap(text)
        findings = []
        doc_date: DateRange | bool | None = False  # False: not looked for yet
        for cand in kept:
            entry = entries[cand.index]
            severity, note = entry.severity, ""
            if entry.since:
                if doc_date is False:
                    doc_date = self.as_of or find_date(text)
                severity = dated_severity(entry, doc_date or None)
                if severity is None:
                    continue
                if doc_date is None or severity != entry.severity:
                    note = UNDATED.format(since=entry.since)
            if severity < self.min_severity:
                continue
            matched = text[cand.start : cand.end]
            line, col = lines.line_col(cand.start)
            findings.append(Finding(
                path=path, offset=cand.start, length=cand.end - cand.start, line=line, column=col,
                text=matched, suggestions=entry.suggest, rule=entry.rule, list_id=entry.list_id,
                category=entry.category, severity=severity, message=message(entry, matched) + note,
                context=context(text, cand.start, cand.end),
            ))
        return findings
