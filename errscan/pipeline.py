"""The stages in order: document -> normalised text -> candidates -> verified spans (+ privacy hits) -> findings."""

from __future__ import annotations

import bisect
import functools
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import errscan.deadline as deadline
from errscan.detectors.privacy import Hit
from errscan.detectors.privacy import detect as detect_privacy
from errscan.docdate import DateRange, find_date, parse_date
from errscan.history import historical
from errscan.lexicon import Entry, Lexicon, load_lexicon
from errscan.match import candidates
from errscan.model import Document, Finding, Severity, category_zh
from errscan.normalize import describe, fold, squeeze
from errscan.posmap import context
from errscan.verify import verify

if TYPE_CHECKING:
    from errscan.fuzzy import Near

_since = functools.lru_cache(maxsize=None)(parse_date)
WINDOW = 1 << 20  # characters normalised and scanned at once
MARGIN = 512  # characters of context either side of a window: longer than any match, clause or context rule
ALIKE_GAIN, DISSIMILAR_GAIN = 3.0, 5.0  # log10: how much better the model must read an uncertain near-miss fixed
WORD_SLIP_GAIN = 6.0  # log10: … and a term's alike slip that reads as ordinary words (Scanner._words_slips)
QUOTES = "“”‘’\"'「」『』《》"
ONE_REFORM = 400  # days: central organs change in March 2018, the local ones by March 2019
UNDATED = "（未能确定文稿日期：{since}以前成文的文稿{how}是正确的，可用 --as-of 指定日期）"


def undated_note(entry: Entry) -> str:
    """Why a dated entry is only a hint in an undated text: an old name (旧称), or an older way of writing."""
    how = "使用旧称" if entry.category == "outdated" else f"写“{entry.match}”"
    return UNDATED.format(since=entry.since, how=how)


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
    """Compiled lists plus settings; `scan_text` / `scan_document` run the whole pipeline.

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
        privacy: bool = True,
        show_pii: bool = False,
        fuzzy: bool = True,
        lm: bool = True,
        posts: bool = True,
        registers: Sequence[str] = (),
        register: object = None,
        normalize: bool = True,
        window: int = WINDOW,
        cache: bool = True,
        lexicon: Lexicon | None = None,
    ):
        self.lexicon = lexicon or load_lexicon([Path(p) for p in lists], builtin=builtin, cache=cache)
        self.allow = tuple(allow)
        self.min_severity = min_severity
        self.as_of = parse_date(as_of) if isinstance(as_of, str) else as_of
        self.privacy = privacy
        self.show_pii = show_pii
        self.fuzzy = fuzzy  # approximate matching of names, formulations, divisions and idioms (fuzzy.py)
        self.lm = lm  # the character language model's suspects (lm.py), where its model is shipped
        self.posts = posts  # leaders' posts and names against the document's date (posts.py)
        self.registers = tuple(registers)  # an office's own registers of posts, after the built-in one
        self.register = register  # posts.Register already loaded (Runner), else loaded from `registers` at first use
        self.normalize = normalize
        self.window = window

    def scan_text(self, text: str, path: str = "<text>") -> list[Finding]:
        """Findings in `text`, ordered by position."""
        return self.scan_document(Document(text), path)

    def scan_document(self, doc: Document, path: str = "<text>") -> list[Finding]:
        """Findings in a reader's Document, located in its source, ordered by position."""
        text = doc.text
        spans: list[tuple[int, int, Entry, Severity, str, bool]] = []
        hits: list[Hit] = []
        near: list[Detected] = []
        doc_date = functools.cache(lambda: self._document_date(doc))  # looked for once, if an entry needs it
        for base in range(0, len(text), self.window):
            deadline.check()  # the service's time limit stops a long text between windows
            # A long text is scanned in windows, each with a margin of context either side, so the
            # normalised copies stay small; a window keeps what starts in its own part.
            lo, hi = max(0, base - MARGIN), min(len(text), base + self.window + MARGIN)
            part = text if (lo, hi) == (0, len(text)) else text[lo:hi]
            own_lo, own_hi = base - lo, base - lo + self.window
            part_spans, part_hits, part_near = self._scan_part(part, doc_date)
            spans += [(s + lo, e + lo, *rest) for s, e, *rest in part_spans if own_lo <= s < own_hi]
            hits += [replace(h, start=h.start + lo, end=h.end + lo) for h in part_hits if own_lo <= h.start < own_hi]
            near += [d._replace(start=d.start + lo, end=d.end + lo) for d in part_near if own_lo <= d.start < own_hi]
        if any(undated and entry.category == "outdated" for _s, _e, entry, _v, _n, undated in spans) \
                and doc_date() is None:
            spans = _dated_by_names(text, spans)
        if near:
            near = _unclaimed(near, [(s, e) for s, e, *_ in spans] + [(h.start, h.end) for h in hits])
        if not spans and not hits and not near:
            return []
        pii = [h for h in hits if h.pii] if not self.show_pii else []
        shown = redact(text, pii) if pii else text  # contexts never repeat personal data
        findings = []
        for start, end, entry, severity, note, undated in spans:
            fix = entry.suggest[0] if len(entry.suggest) == 1 and entry.autofix else None
            findings.append(self._finding(
                doc, path, shown, start, end, text[start:end], entry.suggest, entry.rule, entry.list_id,
                entry.category, severity, message(entry, text[start:end]) + note, fix, undated,
            ))
        for h in hits:
            findings.append(self._finding(
                doc, path, shown, h.start, h.end, shown[h.start : h.end], (), h.rule, "privacy", "privacy",
                h.severity, h.message,
            ))
        for d in near:
            findings.append(self._finding(
                doc, path, shown, d.start, d.end, text[d.start : d.end], d.suggestions, d.rule, d.list_id,
                d.category, d.severity, d.message,
            ))
        findings.sort()
        return findings

    def _scan_part(
        self, text: str, doc_date: Callable[[], DateRange | None]
    ) -> tuple[list[tuple[int, int, Entry, Severity, str, bool]], list[Hit], list[Detected]]:
        """List matches, privacy hits and the detectors' near-misses in one window of a document, at offsets
        into the window."""
        folded = fold(text, self.lexicon.keep) if self.normalize else text
        suspects = self._suspects(folded)  # the model's search runs while the lists are matched
        spans = self._list_spans(text, folded, doc_date)
        hits = [h for h in detect_privacy(folded) if h.severity >= self.min_severity] if self.privacy else []
        deadline.check()
        near = [d for d in self._detected(folded, suspects) if d.severity >= self.min_severity]
        if self.posts:
            said = [d for d in self._posts(folded, doc_date) if d.severity >= self.min_severity]
            if said:  # the register knows the name and the post: before a near-miss of the same words
                near = said + [d for d in near if not any(s.start < d.end and d.start < s.end for s in said)]
        return spans, hits, near

    def _posts(self, text: str, doc_date: Callable[[], DateRange | None]) -> list[Detected]:
        """Leaders' names with their posts, their dates and their order (posts.py); fallen officials with the
        posts they held (fallen.py); formulations written without their quotation marks (quoted.py)."""
        import errscan.fallen as fallen
        import errscan.posts as posts
        import errscan.quoted as quoted

        if self.register is None:  # read once per Scanner, not per document
            self.register = posts.load(self.registers)
        out = [
            Detected(s.start, s.end, s.suggestions, s.rule, "posts", "serious", s.severity, s.message)
            for s in posts.find(text, doc_date, self.register)  # type: ignore[arg-type]
        ]
        for start, end, suggestions, rule, severity, msg in fallen.find(text, doc_date):
            if not any(d.start < end and start < d.end for d in out):
                out.append(Detected(start, end, suggestions, rule, "posts", "serious", severity, msg))
        for start, end, suggestions, rule, severity, msg in quoted.find(text):
            out.append(Detected(start, end, suggestions, rule, "formulations", "usage", severity, msg))
        return out

    def _suspects(self, text: str) -> Callable[[], list]:
        """The language model's suspects in text, begun (lm.start); nothing where the model is off or absent."""
        if self.lm:
            import errscan.lm as lm

            if lm.available():
                return lm.start(text)
        return list

    def _second_opinion(self, text: str, near: Near) -> bool:
        """An uncertain near-miss (info) is reported only when the language model of official text reads its
        clause far better corrected: 10³ times for an alike character, 10⁵ for a dissimilar one, which is also
        not reported inside quotation marks (a term cited on purpose: “一国两府”)."""
        import errscan.lm as lm

        start, end = near.start, near.end
        gain = lm.gain(text, start, end, near.suggest) if self.lm else None
        if gain is None:
            return False
        if near.relation is not None:
            return gain >= ALIKE_GAIN
        quoted = text[start - 1 : start] in QUOTES and text[end : end + 1] in QUOTES
        return gain >= DISSIMILAR_GAIN and not quoted

    def _words_slips(self, text: str, slips: list[Near], claimed: list[tuple[int, int]]) -> list[Detected]:
        """A term's alike slip that reads as words (机构编织, 体制机智): reported, as a hint, only where the model
        reads its clause WORD_SLIP_GAIN better with the term; of overlapping ones, the best read."""
        import errscan.lm as lm

        judged = []
        for n in slips:
            if not any(a < n.end and n.start < b for a, b in claimed):
                gain = lm.gain(text, n.start, n.end, n.suggest)
                if gain is not None and gain >= WORD_SLIP_GAIN:
                    judged.append((-gain, n))
        out: list[Detected] = []
        for _, n in sorted(judged, key=lambda g: g[0]):
            if all(n.end <= d.start or d.end <= n.start for d in out):
                out.append(Detected(n.start, n.end, (n.suggest,), f"fuzzy/{n.suggest}", "fuzzy", "typo",
                                    Severity.INFO, n.message))
        return out

    def _detected(self, text: str, suspects: Callable[[], list] | None = None) -> list[Detected]:
        """What no list names literally: names, formulations, divisions and idioms one edit away (fuzzy.py), and
        characters the language model finds far less likely than an alike one (lm.py, 疑似, info or warning)."""
        out: list[Detected] = []
        slips: list[Near] | None = [] if self.lm else None
        if self.fuzzy:
            import errscan.fuzzy as fuzzy

            for n in fuzzy.find(text, slips):
                serious = fuzzy.SETS[n.set][1]
                if n.kind != "substitute" and not _aligned(text, n.start, n.end):
                    continue  # a missing, extra or moved character must not be read out of two real words
                if n.severity == Severity.INFO and not self._second_opinion(text, n):
                    continue
                out.append(Detected(
                    n.start, n.end, (n.suggest,), f"fuzzy/{n.suggest}", "fuzzy", "serious" if serious else "typo",
                    n.severity, n.message,
                ))
        found = (suspects or self._suspects(text))()
        if found:
            claimed = [(d.start, d.end) for d in out]
            for s in found:
                if not any(a < s.end and s.start < b for a, b in claimed):
                    out.append(Detected(
                        s.start, s.end, (s.suggestion,), f"lm/{s.text}→{s.suggestion}", "lm", "typo",
                        Severity(s.severity), s.message,
                    ))
        if slips:  # after the model's own suspects: one of those may be a warning
            out += self._words_slips(text, slips, [(d.start, d.end) for d in out])
        return out

    def _list_spans(
        self, text: str, folded: str, doc_date: Callable[[], DateRange | None]
    ) -> list[tuple[int, int, Entry, Severity, str, bool]]:
        """Verified list matches as (start, end, entry, severity, note, undated) in the original text."""
        entries = self.lexicon.entries
        squeezed, back = squeeze(folded) if self.normalize else (folded, None)
        cands = candidates(squeezed, self.lexicon)
        if not cands:
            return []
        spans = []
        for cand in verify(squeezed, cands, entries, self.allow):
            entry = entries[cand.index]
            severity, note, undated = entry.severity, "", False
            start, end = (back[cand.start], back[cand.end - 1] + 1) if back else (cand.start, cand.end)
            if entry.since:
                if historical(text, start, end, int(entry.since[:4])):
                    continue  # 不再保留…, 原…, 他1998年至2003年任…: the old name, rightly
                date = doc_date()
                severity = dated_severity(entry, date)
                if severity is None:
                    continue
                if date is None or severity != entry.severity:
                    note, undated = undated_note(entry), True
            if severity < self.min_severity:
                continue
            if folded is not text or back:
                note = normalised_note(text[start:end], folded[start:end], squeezed[cand.start : cand.end]) + note
            spans.append((start, end, entry, severity, note, undated))
        return spans

    def _document_date(self, doc: Document) -> DateRange | None:
        return self.as_of or find_date(doc.text, doc.metadata.get("date"))

    def _finding(
        self, doc: Document, path: str, shown: str, start: int, end: int, text: str, suggestions: tuple[str, ...],
        rule: str, list_id: str, category: str, severity: Severity, msg: str, fix: str | None = None,
        undated: bool = False,
    ) -> Finding:
        line, col, location = doc.locate(start)
        return Finding(
            path=path, offset=start, length=end - start, line=line, column=col, text=text,
            suggestions=suggestions, rule=rule, list_id=list_id, category=category, severity=severity,
            message=msg, context=context(shown, start, end), location=tuple(location.items()), fix=fix,
            undated=undated,
        )


def _subsequence(short: str, long: str) -> bool:
    chars = iter(long)
    return all(c in chars for c in short)


def _dated_by_names(text: str, spans: list) -> list:
    """An undated text that names two or more organs of one past era, and none of their successors, reads as a
    text of that era, as a proofreader would read it (国务院法制办、环境保护部牵头，国土资源部、农业部参与): its
    old names are not hinted at. The organs must have ended within about a year of each other (one reform). One
    old name alone stays a hint — that is the slip of a text written today (…、生态环境部、银保监会) — and so does
    an old name beside the name that replaced it. Forms of one organ (国家工商总局, 工商总局; 中国银行保险监督管理
    委员会, 银保监会) count once."""
    old = {e.match: e for _s, _e, e, _v, _n, undated in spans if undated and e.since and e.category == "outdated"}
    organs: list[str] = []
    for name in sorted(old, key=len, reverse=True):
        if not any(_subsequence(name, o) for o in organs):
            organs.append(name)
    if len(organs) < 2:
        return spans
    ends = [_since(old[name].since)[0] for name in organs]
    if (max(ends) - min(ends)).days > ONE_REFORM:
        return spans  # names that one reform (or one round of local reforms) ended, not names of two eras
    if any(e.suggest and e.suggest[0] in text for e in old.values()):
        return spans
    return [sp for sp in spans if not (sp[5] and sp[2].match in old)]


class Detected(NamedTuple):
    """A detector's finding before it is located: offsets into the window, what to suggest, its rule."""

    start: int
    end: int
    suggestions: tuple[str, ...]
    rule: str
    list_id: str
    category: str
    severity: Severity
    message: str


def _aligned(text: str, start: int, end: int) -> bool:
    """Neither end of a near-miss cuts a word of its clause that reaches past it: 中华人民和国际友人 is 人民 and
    国际, not a 中华人民共和国 missing its 共."""
    from errscan.verify import clause_bounds
    from errscan.words import words

    lo, hi = clause_bounds(text, start, end)
    at = lo
    for word in words().cut(text[lo:hi]):
        nxt = at + len(word)
        if (at < start < nxt) or (at < end < nxt):
            return False
        if at >= end:
            break
        at = nxt
    return True


def _unclaimed(near: list[Detected], taken: list[tuple[int, int]]) -> list[Detected]:
    """The detectors' findings that no list match or personal-data hit covers: a list's entry is exact, and wins.
    (A span taken overlaps d where it starts before d's end and ends after d's start: of the spans starting
    before d's end, the furthest end is looked up, not every span.)"""
    if not taken:
        return near
    taken = sorted(taken)
    starts = [a for a, _ in taken]
    furthest = list(itertools.accumulate((b for _, b in taken), max))
    out = []
    for d in near:
        k = bisect.bisect_left(starts, d.end)  # taken[:k] start before d ends
        if not k or furthest[k - 1] <= d.start:
            out.append(d)
    return out


def redact(text: str, hits: Sequence[Hit]) -> str:
    """The text with each personal value replaced by its masked form (same length, so offsets hold)."""
    parts, at = [], 0
    for h in sorted(hits, key=lambda h: h.start):
        masked = h.masked if len(h.masked) == h.end - h.start else "*" * (h.end - h.start)
        parts += [text[at : h.start], masked]
        at = h.end
    parts.append(text[at:])
    return "".join(parts)


def normalised_note(original: str, folded: str, matched: str) -> str:
    """Say what normalisation hid from a plain reading, when it did."""
    kinds = describe(original, folded) if original != folded else []
    if len(matched) != len(original):
        kinds.append("字间空格")
    return f"（原文含{'、'.join(kinds)}，已规范化后比对）" if kinds else ""
