"""Candidates -> verified spans: jieba boundaries, `unless` contexts, the allowlist, overlaps.

The segmenter (errscan.words: jieba's dictionary, HMM off) starts only when a candidate needs a boundary
check, and only the clause around the candidate (between punctuation marks or line breaks) is segmented,
each clause once.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Sequence

import errscan.deadline as deadline
from errscan.lexicon import Entry
from errscan.lexicon.schema import CONTEXT_REACH
from errscan.match import Candidate
from errscan.words import words

# Clause breaks: line breaks, spaces, and Chinese and ASCII punctuation.
_BREAKS = r"[\s，。！？；：、,.!?;:…—（）()《》〈〉“”‘’\"'「」『』【】\[\]<>{}/|·]"
_BREAK = re.compile(_BREAKS)
_UP_TO_LAST_BREAK = re.compile(r"(?s).*" + _BREAKS)
# A clause longer than this on either side of a candidate is cut there: segmentation far away
# does not change the tokens around the candidate, and a text without punctuation stays cheap.
REACH = 64

ALIGNED, INSIDE, STRADDLING = "aligned", "inside", "straddling"

def clause_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The run of text around [start, end) up to the nearest breaks outside it."""
    lo = max(0, start - REACH)
    m = _UP_TO_LAST_BREAK.match(text, lo, start)
    left = m.end() if m else lo
    m = _BREAK.search(text, end, end + REACH)
    right = m.start() if m else min(len(text), end + REACH)
    return left, right


class Segmenter:
    """Token boundaries of the clauses of one text, each clause segmented once."""

    def __init__(self, text: str):
        self.text = text
        self._cache: dict[tuple[int, int], list[int]] = {}

    def boundaries(self, left: int, right: int) -> list[int]:
        key = (left, right)
        if key not in self._cache:
            cuts = [left]
            for token in words().cut(self.text[left:right]):
                cuts.append(cuts[-1] + len(token))
            self._cache[key] = cuts
        return self._cache[key]

    def classify(self, start: int, end: int) -> str:
        left, right = clause_bounds(self.text, start, end)
        cuts = self.boundaries(left, right)
        cut_set = set(cuts)
        if start in cut_set and end in cut_set:
            return ALIGNED
        # the token that contains `start`
        i = bisect.bisect_right(cuts, start) - 1
        token_end = cuts[i + 1] if i + 1 < len(cuts) else right
        if end <= token_end:
            return INSIDE
        return STRADDLING


def in_unless(text: str, start: int, entry: Entry) -> bool:
    """True if the match at `start` is part of one of the entry's longer correct strings."""
    for context in entry.unless:
        match = entry.match
        at = context.find(match)
        while at != -1:
            s = start - at
            if s >= 0 and text.startswith(context, s):
                return True
            at = context.find(match, at + 1)
    return False


@functools.lru_cache(maxsize=4096)
def _rx(source: str, tail: bool) -> re.Pattern[str]:
    return re.compile(f"(?:{source})$" if tail else source)


def context_ok(text: str, start: int, end: int, entry: Entry) -> bool:
    """The entry's followed_by / preceded_by rules (regexes on up to CONTEXT_REACH characters)."""
    if entry.unless and in_unless(text, start, entry):
        return False
    if entry.followed_by or entry.not_followed_by:
        after = text[end : end + CONTEXT_REACH]
        if entry.followed_by and not _rx(entry.followed_by, False).match(after):
            return False
        if entry.not_followed_by and _rx(entry.not_followed_by, False).match(after):
            return False
    if entry.preceded_by or entry.not_preceded_by:
        before = text[max(0, start - CONTEXT_REACH) : start]
        if entry.preceded_by and not _rx(entry.preceded_by, True).search(before):
            return False
        if entry.not_preceded_by and _rx(entry.not_preceded_by, True).search(before):
            return False
    return True


def allowed_spans(text: str, allow: Iterable[str]) -> list[tuple[int, int]]:
    spans = []
    for term in allow:
        if not term:
            continue
        at = text.find(term)
        while at != -1:
            spans.append((at, at + len(term)))
            at = text.find(term, at + 1)
    return spans


def verify(
    text: str, cands: Sequence[Candidate], entries: Sequence[Entry], allow: Sequence[str] = ()
) -> list[Candidate]:
    """Keep the candidates that survive every check; the longest wins where they overlap."""
    if not cands:
        return []
    seg = None
    allow_spans = allowed_spans(text, allow) if allow else []
    kept = []
    for k, cand in enumerate(cands):
        if not k & 1023:
            deadline.check()  # a text dense with matches (再接再励 a million times) stops at the time limit
        entry = entries[cand.index]
        if entry.has_context_rules and not context_ok(text, cand.start, cand.end, entry):
            continue
        if any(a <= cand.start and cand.end <= b for a, b in allow_spans):
            continue
        if entry.boundary != "any":
            seg = seg or Segmenter(text)
            kind = seg.classify(cand.start, cand.end)
            if kind == STRADDLING or (kind == INSIDE and entry.boundary == "word"):
                continue
        kept.append(cand)
    return resolve_overlaps(kept, entries)


def resolve_overlaps(cands: Sequence[Candidate], entries: Sequence[Entry]) -> list[Candidate]:
    """Longest first, then most severe, then earliest; a candidate overlapping a kept one is dropped."""
    if len(cands) < 2:
        return list(cands)
    order = sorted(cands, key=lambda c: (-(c.end - c.start), -entries[c.index].severity, c.start))
    taken: list[Candidate] = []
    occupied: list[tuple[int, int]] = []
    for c in order:
        i = bisect.bisect_left(occupied, (c.start, c.start))
        clash = (i > 0 and occupied[i - 1][1] > c.start) or (i < len(occupied) and occupied[i][0] < c.end)
        if not clash:
            occupied.insert(i, (c.start, c.end))
            taken.append(c)
    taken.sort()
    return taken
