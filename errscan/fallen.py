"""Fallen officials (落马官员): a name with the post it held, after the announcement of the case.

errscan/data/register/fallen.tsv (tools/build_fallen.py): officials investigated or expelled, the posts they
held and the date it was announced. In a document dated after that:
- the name right after one of those posts, without 原/时任/前 (重庆市委书记孙政才 in a 2020 text) is an error;
- the bare name of a provincial-level or national official is a hint (info, for review: namesakes exist), unless
  its sentence speaks of the case (案, 审查, 开除, 受贿 …).
Undated documents get hints only.
"""

from __future__ import annotations

import collections
import functools
import re
from collections.abc import Callable
from pathlib import Path

from errscan.docdate import DateRange, parse_date
from errscan.history import former, sentence
from errscan.model import Severity

__all__ = ["FALLEN", "Fallen", "find", "load"]

FALLEN = Path(__file__).resolve().parent / "data" / "register" / "fallen.tsv"
SENIOR = frozenset({"3", "4", "national"})  # ranks whose bare name is worth a hint


class Fallen:
    __slots__ = ("date", "name", "posts", "rank", "source")

    def __init__(self, name: str, posts: tuple[str, ...], date: DateRange, rank: str, source: str):
        self.name, self.posts, self.date, self.rank, self.source = name, posts, date, rank, source


@functools.cache
def _case_words() -> re.Pattern[str]:
    return re.compile("案|违纪|违法|审查|调查|开除|受贿|行贿|贪污|判处|判决|落马|被查|双开|起诉|一审|二审|罪|处分|"
                      "通报|反腐|警示")


@functools.cache
def load(path: str = str(FALLEN)) -> tuple[dict[str, list[Fallen]], re.Pattern[str]]:
    """Officials by name, and one pattern for all their names (a trie: one branch per first character)."""
    by_name: dict[str, list[Fallen]] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(("#", "name\t")) or not line.strip():
                continue
            name, posts, date, rank, source = line.rstrip("\n").split("\t")
            by_name.setdefault(name, []).append(
                Fallen(name, tuple(p for p in posts.split("、") if p), parse_date(date), rank, source))
    return by_name, re.compile(_trie(sorted(by_name)))


QUICK = 20_000  # a text shorter than this is first searched for each name as a plain substring …
QUICK_LOOKS = 16  # … by the first texts a process checks: an archive's next ones go to the compiled pattern
_quick_looks: collections.Counter[str] = collections.Counter()  # per list file


@functools.cache
def _names(path: str = str(FALLEN)) -> tuple[str, ...]:
    """The officials' names alone, read without parsing their cases: enough to tell that a short text names
    none of them, before the cases are read and the pattern compiled."""
    with open(path, encoding="utf-8") as fh:
        return tuple({line.split("\t", 1)[0] for line in fh
                      if not line.startswith(("#", "name\t")) and line.strip()})


def _trie(words: list[str]) -> str:
    """A regular expression matching any of `words`, longest first, branching on one character at a time."""
    groups: dict[str, list[str]] = {}
    ends = False
    for w in words:
        if w:
            groups.setdefault(w[0], []).append(w[1:])
        else:
            ends = True
    if not groups:
        return ""
    parts = [re.escape(ch) + (f"(?:{_trie(rest)})" if any(rest) else "") for ch, rest in sorted(groups.items())]
    body = "|".join(parts)
    return f"(?:{body})?" if ends else (f"(?:{body})" if len(parts) > 1 else body)


Found = tuple[int, int, tuple[str, ...], str, Severity, str]  # start, end, suggestions, rule, severity, message


def find(text: str, date: DateRange | Callable[[], DateRange | None] | None, path: str = str(FALLEN)) -> list[Found]:
    """What to say of each fallen official named in `text`, for a document of `date` (None: unknown; a callable:
    asked at the first name)."""
    if len(text) < QUICK and _quick_looks[path] < QUICK_LOOKS:
        _quick_looks[path] += 1
        if not any(name in text for name in _names(path)):
            return []
    by_name, pattern = load(path)
    out: list[Found] = []
    for m in pattern.finditer(text):
        name = m.group()
        if callable(date):
            date = date()
        end = m.end()
        for case in by_name[name]:
            if date is not None and date[1] < case.date[0]:
                continue  # before the case was made public
            when = case.date[0].isoformat()[:7] if case.date[0] != case.date[1] else case.date[0].isoformat()
            post = next((p for p in sorted(case.posts, key=len, reverse=True) if text.endswith(p, 0, m.start())),
                        None)
            if post is not None:
                start = m.start() - len(post)
                if former(text, start):
                    break
                severity = Severity.ERROR if date is not None else Severity.INFO
                lead = "严重错误" if date is not None else "疑似"
                out.append((start, end, (f"原{post}{name}",), f"fallen/{name}", severity,
                            f"{lead}：“{post}{name}”——{name}（{post}）已于{when}被公布接受审查调查或受到处分"
                            f"（{case.source}），不能再以现职相称；写当时的职务请加“原”或“时任”。"))
                break
            if case.rank in SENIOR and len(name) >= 3 and not _about_the_case(text, m.start(), end):
                out.append((m.start(), end, (), f"fallen/{name}", Severity.INFO,
                            f"疑似落马官员：“{name}”与{when}被公布接受审查调查或受到处分的{'、'.join(case.posts)}同名"
                            f"（{case.source}）；请核实是否同一人、称谓是否恰当。"))
                break
    return out


def _about_the_case(text: str, start: int, end: int) -> bool:
    return bool(_case_words().search(text, *sentence(text, start, end, 80)))
