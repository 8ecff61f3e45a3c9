"""Leaders' names with their posts and their dates: the register of posts (errscan/data/register/posts.yaml).

Three checks, each against the document's date (`--as-of`, or the date found in the document):
- a post with a name that did not hold it then: 国务院总理李克强 in a 2025 text (error, the holder then suggested);
  李克强总理 (the short title after the name) in a 2025 text (warning). Not after 原, 时任, 前, 已故, 首任, or
  where a year of the sentence falls in the name's tenure. Without a date: a name that never held the post is
  an error, one that held it before is a hint (info);
- a leader's name one character off (sound- or shape-alike) next to its post or among other leaders' names
  (国务院总理李墙 → 李强; 习近平、李墙、赵乐际);
- three or more members of the Politburo Standing Committee joined by 、 out of the term's order.

An office adds its own leaders with files of the same form (`registers:` in .errscan.yaml).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from errscan.docdate import DateRange
from errscan.history import SENTENCE, former, sentence
from errscan.model import Severity

__all__ = ["REGISTER", "Register", "Said", "find", "load"]

REGISTER = Path(__file__).resolve().parent / "data" / "register" / "posts.yaml"
LATEST = dt.date.max
CLAUSE = SENTENCE + "，：,:（）()“”"
HAN = r"[\u3400-\u9fff]"
# 2015年, 1 9 9 8 年 (a PDF's spaced digits), 一九六四年: the year, then whitespace, before its 年
YEAR = r"(?<![\d〇○零一二三四五六七八九])((?:1 ?9|2 ?0) ?\d ?\d|[一二][九〇○零][〇○零一二三四五六七八九]{2})\s*"
PATTERNS = {  # compiled on first use (a clean draft's check never needs most of them)
    "year_before": YEAR + r"年\Z",  # ending at the 年 just found (_years): no search of every position for it
    "former": r"期间|时期|当年|那时|曾经|生前|逝世|去世|纪念|缅怀|诞辰|追思|遗志|领导下",
    "chain": rf"{HAN}{{2,6}}(?:、{HAN}{{2,4}})+",
}
DIGITS = str.maketrans("〇○零一二三四五六七八九", "000123456789")
AROUND = 3000  # characters either side: the passage an undated mention belongs to


@functools.cache
def _re(name: str) -> re.Pattern[str]:
    return re.compile(PATTERNS[name])


UNDATED = "（未能确定文稿日期，可用 --as-of 指定日期）"
FORMAT = 2  # of the cached register: bump when Register's fields change


class Tenure:
    """Who held a post from when to when (hi LATEST: holds it now). Plain classes here: dataclasses and named
    tuples compile code when defined, which a draft's check would pay for at every start."""

    __slots__ = ("hi", "lo", "name")

    def __init__(self, name: str, lo: dt.date, hi: dt.date):
        self.name, self.lo, self.hi = name, lo, hi

    def __repr__(self) -> str:
        return f"Tenure({self.name!r}, {self.lo}, {self.hi})"

    def __reduce__(self) -> tuple[object, ...]:
        return Tenure, (self.name, self.lo, self.hi)

    def overlaps(self, lo: dt.date, hi: dt.date) -> bool:
        return self.lo <= hi and lo <= self.hi

    def span(self) -> str:
        return f"{self.lo.isoformat()}至{'今' if self.hi == LATEST else self.hi.isoformat()}"


class Post:
    def __init__(self, name: str, titles: tuple[str, ...], short: tuple[str, ...], single: bool,
                 holders: list[Tenure] | None = None):
        self.name, self.titles, self.short, self.single = name, titles, short, single
        self.holders = holders if holders is not None else []

    @property
    def since(self) -> dt.date:
        """From when the register knows every holder: an earlier document is not checked for this post."""
        return min((t.lo for t in self.holders), default=LATEST)

    def at(self, lo: dt.date, hi: dt.date) -> list[Tenure]:
        return [t for t in self.holders if t.overlaps(lo, hi)]

    def of(self, name: str) -> list[Tenure]:
        return [t for t in self.holders if t.name == name]


class Term:
    """A Politburo Standing Committee: its term, its dates and its members in order."""

    def __init__(self, term: str, lo: dt.date, hi: dt.date, order: tuple[str, ...]):
        self.term, self.lo, self.hi, self.order = term, lo, hi, order


class Register:
    def __init__(self, posts: dict[str, Post], standing: list[Term], sources: list[str]):
        self.posts, self.standing, self.sources = posts, standing, sources

    @functools.cached_property
    def names(self) -> frozenset[str]:
        return frozenset(t.name for p in self.posts.values() for t in p.holders) | frozenset(
            n for term in self.standing for n in term.order)

    @functools.cached_property
    def longest_first(self) -> list[str]:
        return sorted(self.names, key=len, reverse=True)

    @functools.cached_property
    def members(self) -> list[str]:
        """The Standing Committees' members, longest name first."""
        return sorted({n for t in self.standing for n in t.order}, key=len, reverse=True)

    @functools.cached_property
    def by_title(self) -> dict[str, Post]:
        return {t: p for p in self.posts.values() for t in p.titles}

    @functools.cached_property
    def by_short(self) -> dict[str, list[Post]]:
        out: dict[str, list[Post]] = {}
        for p in self.posts.values():
            for s in p.short:
                out.setdefault(s, []).append(p)
        return out

    @functools.cached_property
    def title_re(self) -> re.Pattern[str]:
        return re.compile("|".join(re.escape(t) for t in sorted(self.by_title, key=len, reverse=True)))

    @functools.cached_property
    def names_re(self) -> re.Pattern[str]:
        return re.compile("|".join(re.escape(n) for n in self.longest_first))

    @functools.cached_property
    def short_re(self) -> re.Pattern[str]:
        names = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
        shorts = "|".join(re.escape(s) for s in sorted(self.by_short, key=len, reverse=True))
        return re.compile(f"({names})({shorts})")


class Said:
    """One finding: where, what to write instead, how sure, why."""

    __slots__ = ("end", "message", "rule", "severity", "start", "suggestions")

    def __init__(self, start: int, end: int, suggestions: tuple[str, ...], rule: str, severity: Severity,
                 message: str):
        self.start, self.end, self.suggestions = start, end, suggestions
        self.rule, self.severity, self.message = rule, severity, message


def _date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{where}: not a date: {value!r}") from None


def _strings(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(str(v) for v in value)  # type: ignore[union-attr]


def parse(data: dict, where: str) -> Register:  # type: ignore[type-arg]
    """A register from its YAML mapping; ValueError saying where it is wrong."""
    posts: dict[str, Post] = {}
    for name, raw in (data.get("posts") or {}).items():
        post = Post(name, _strings(raw.get("titles")) or (name,), _strings(raw.get("short")), bool(raw.get("single")))
        for h in raw.get("holders") or ():
            hi = _date(h["to"], f"{where} {name}") if h.get("to") else LATEST
            post.holders.append(Tenure(str(h["name"]), _date(h["from"], f"{where} {name}"), hi))
        posts[name] = post
    standing = [
        Term(str(t["term"]), _date(t["from"], where), _date(t["to"], where) if t.get("to") else LATEST,
             tuple(t["order"]))
        for t in data.get("standing") or ()
    ]
    return Register(posts, standing, [str(data.get("source") or where)])


def merge(registers: Sequence[Register]) -> Register:
    """Registers in order: a later one's holders of a post are added to the earlier one's."""
    posts: dict[str, Post] = {}
    for reg in registers:
        for name, p in reg.posts.items():
            if name in posts:
                old = posts[name]
                posts[name] = Post(name, tuple(dict.fromkeys(old.titles + p.titles)),
                                   tuple(dict.fromkeys(old.short + p.short)), old.single and p.single,
                                   old.holders + p.holders)
            else:
                posts[name] = Post(p.name, p.titles, p.short, p.single, list(p.holders))
    return Register(posts, [t for r in registers for t in r.standing], [s for r in registers for s in r.sources])


_LOADED: dict[str, Register] = {}  # by content digest: the files are read each time, parsed once


def load(extra: Sequence[str] = ()) -> Register:
    """The built-in register, then an office's own files, as they are now; parsed once, then read from the cache
    folder (a pickle keyed on the files' content: a draft's check does not pay for YAML). ValueError (or OSError)
    for a file that cannot be read as a register, naming it."""
    import hashlib

    from errscan.lexicon.compile import _cache_dir, read_pickle, write_pickle

    paths = (str(REGISTER), *extra)
    blobs = [Path(path).read_bytes() for path in paths]
    digest = hashlib.sha256(f"{FORMAT}".encode())
    for blob in blobs:
        digest.update(len(blob).to_bytes(8, "little") + blob)
    key = digest.hexdigest()[:32]
    if key in _LOADED:
        return _LOADED[key]
    cache_file = _cache_dir() / f"register-{key}.pickle"
    got = read_pickle(cache_file)
    if isinstance(got, Register):
        _LOADED[key] = got
        return got
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    regs = []
    for path, blob in zip(paths, blobs, strict=True):
        try:
            regs.append(parse(yaml.load(blob.decode("utf-8"), Loader=loader) or {}, path))  # a safe loader
        except (yaml.YAMLError, UnicodeDecodeError, AttributeError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}：不是有效的职务登记文件（{type(exc).__name__}）") from None
    reg = merge(regs)
    write_pickle(cache_file, reg, keep=4)
    _LOADED[key] = reg
    return reg


# --- the checks -----------------------------------------------------------------------------------------------


def find(
    text: str, date: DateRange | Callable[[], DateRange | None] | None, reg: Register | None = None,
    today: dt.date | None = None,
) -> list[Said]:
    """The register's findings in `text`, for a document of `date` (None: unknown; a callable: asked only
    when a post or a leader's name is in the text)."""
    reg = reg or load()
    if not (reg.title_re.search(text) or reg.names_re.search(text)):
        return []
    if callable(date):
        date = date()
    today = today or dt.date.today()
    out: list[Said] = []
    out += _titled(text, date, reg, today)
    out += _shortened(text, date, reg, today, [(s.start, s.end) for s in out])
    out += _chains(text, date, reg)
    return out


def _in_past(text: str, start: int, tenures: Iterable[Tenure], anywhere: bool = False) -> bool:
    """Written about the past: 原/时任… right before, a word of former times in the sentence (期间, 纪念…), or a
    year of the sentence within the tenure; `anywhere`: a year within AROUND characters will do (an undated
    text that speaks of that period, a short title used in remembrance)."""
    if former(text, start):
        return True
    left = sentence(text, start, start, 60)[0]
    if _re("former").search(text, left, start):
        return True
    tenures = list(tenures)
    lo, hi = (max(0, start - AROUND), start + AROUND) if anywhere else (left, start)
    years = _years(text, lo, hi)
    return any(t.lo.year <= y <= t.hi.year for y in years for t in tenures)


YEAR_CHARS = 7  # the longest year the pattern takes: 1 9 9 8


def _years(text: str, lo: int, hi: int) -> set[int]:
    """The years of text[lo:hi] that YEAR + 年 matches (2015年, 1 9 9 8 年, 一九六四年): each 年 found
    by str.find, its year matched back from it (past the whitespace between, which \\s* takes whole)."""
    out: set[int] = set()
    back = _re("year_before")
    at = text.find("年", lo, hi)
    while at >= 0:
        j = at
        while j > lo and text[j - 1].isspace():
            j -= 1
        m = back.search(text, max(lo, j - YEAR_CHARS), at + 1)
        if m:
            out.add(_year(m))
        at = text.find("年", at + 1, hi)
    return out


def _year(m: re.Match[str]) -> int:
    return int(m.group(1).replace(" ", "").translate(DIGITS))  # 2015, 一九六四


def _alike(written: str, right: str) -> bool:
    """One character off, and that one sound- or shape-alike (similar.py)."""
    from errscan.similar import relation

    if len(written) != len(right) or written == right:
        return False
    diff = [(a, b) for a, b in zip(written, right, strict=True) if a != b]
    return len(diff) == 1 and relation(*diff[0]) is not None


def _holders_text(post: Post, lo: dt.date, hi: dt.date) -> str:
    held = post.at(lo, hi)
    return "、".join(t.name for t in held) or "（登记中无人）"


def _dated(date: DateRange | None) -> str:
    if date is None:
        return "现在"
    lo, hi = date
    return f"{lo.isoformat()}" if lo == hi else f"{lo.isoformat()}至{hi.isoformat()}"


def _titled(text: str, date: DateRange | None, reg: Register, today: dt.date) -> list[Said]:
    """A title, then a name: 国务院总理李克强."""
    out = []
    matches = list(reg.title_re.finditer(text))
    for i, m in enumerate(matches):
        post = reg.by_title[m.group()]
        pos = m.end()
        while pos < min(len(text), m.end() + 2) and text[pos] in " \u3000":
            pos += 1  # a signature line: 国务院总理　温家宝
        # the titles of a chain before the name: 中共中央总书记、国家主席、中央军委主席习近平
        chain = [m]
        j = i
        while j > 0 and matches[j - 1].end() + 1 == matches[j].start() and text[matches[j - 1].end()] == "、":
            j -= 1
            chain.insert(0, matches[j])
        at = reg.names_re.match(text, pos)  # the alternatives longest first: the longest name written there
        name = at.group() if at else None
        if name is None:
            slip = _slip_after(text, pos, post, date, today)
            if slip:
                written, right = slip
                out.append(Said(
                    pos, pos + len(written), (right,), f"posts/{post.name}/{right}", Severity.ERROR,
                    f"严重错误：“{m.group()}{written}”，姓名疑有错字，{post.name}为{right}。",
                ))
            continue
        for t in chain:
            said = _check_holder(text, chain[0].start(), t.start(), pos + len(name), name, reg.by_title[t.group()],
                                 t.group(), date, today)
            if said:
                out.append(said)
    return out


def _slip_after(text: str, pos: int, post: Post, date: DateRange | None, today: dt.date) -> tuple[str, str] | None:
    lo, hi = date or (today, today)
    ranked = post.at(lo, hi) + post.holders  # the holders then first
    for t in ranked:
        written = text[pos:pos + len(t.name)]
        if _alike(written, t.name):
            return written, t.name
    return None


def _check_holder(text: str, chain_start: int, start: int, end: int, name: str, post: Post, title: str,
                  date: DateRange | None, today: dt.date) -> Said | None:
    tenures = post.of(name)
    lo, hi = date or (today, today)
    if any(t.overlaps(lo, hi) for t in tenures) or lo < post.since:
        return None
    if tenures and _in_past(text, chain_start, tenures, anywhere=date is None):
        return None
    then = post.at(lo, hi)
    suggest = tuple(f"{title}{t.name}" for t in then) if post.single else ()
    held = f"{name}任{post.name}为{'、'.join(t.span() for t in tenures)}" if tenures else f"{name}未任{post.name}"
    why = f"{_dated(date)}的{post.name}为{_holders_text(post, lo, hi)}；{held}"
    if not tenures and (post.single or date is not None):
        return Said(start, end, suggest, f"posts/{post.name}/{name}", Severity.ERROR,
                    f"严重错误：“{text[start:end]}”，职务与姓名不符：{why}。")
    if date is None:  # held it before, or (a post of several holders) perhaps before the register begins
        return Said(start, end, suggest, f"posts/{post.name}/{name}", Severity.INFO,
                    f"疑似职务与姓名不符：“{text[start:end]}”：{why}；写的是当时的职务可加“时任”或“原”。{UNDATED}")
    return Said(start, end, (*suggest, f"时任{title}{name}"), f"posts/{post.name}/{name}", Severity.ERROR,
                f"严重错误：“{text[start:end]}”，职务与姓名不符：{why}；写的是当时的职务请加“时任”或“原”。")


def _shortened(text: str, date: DateRange | None, reg: Register, today: dt.date,
               claimed: list[tuple[int, int]]) -> list[Said]:
    """A name, then its short title: 李克强总理."""
    out = []
    lo, hi = date or (today, today)
    for m in reg.short_re.finditer(text):
        name, short = m.group(1), m.group(2)
        start, end = m.start(), m.end()
        if any(a < end and start < b for a, b in claimed):
            continue
        if short == "总理" and text[start - 1:start] == "副":
            continue
        posts = reg.by_short[short]
        if date is not None and date[1] < min(p.since for p in posts):
            continue
        tenures = [t for p in posts for t in p.of(name)]
        if any(t.overlaps(lo, hi) for t in tenures):
            continue
        if not tenures:
            continue  # a namesake's chair (某协会李强主席): not for this register to say
        if _in_past(text, start, tenures, anywhere=True):
            continue
        later = all(t.lo > hi for t in tenures)  # holds it only after the document's date: an anachronism
        held = "；".join(f"{name}任{p.name}为{'、'.join(t.span() for t in p.of(name))}" for p in posts if p.of(name))
        now = "；".join(f"{_dated(date)}的{p.name}为{_holders_text(p, lo, hi)}" for p in posts if p.of(name))
        then = (t for p in posts if p.of(name) and p.single for t in p.at(lo, hi))
        suggest = tuple(dict.fromkeys(f"{t.name}{short}" for t in then))
        if date is None or not later:  # 周恩来总理 in remembrance is right: a hint only
            out.append(Said(start, end, suggest, f"posts/{short}/{name}", Severity.INFO,
                            f"疑似职务与姓名不符：“{m.group()}”：{now}；{held}。{'' if date else UNDATED}"))
        else:
            out.append(Said(start, end, suggest, f"posts/{short}/{name}", Severity.WARNING,
                            f"职务与姓名不符：“{m.group()}”：{now}；{held}；写的是当时的职务请加“时任”或“原”。"))
    return out


def _chains(text: str, date: DateRange | None, reg: Register) -> list[Said]:
    """Leaders' names joined by 、: a name one character off among them, and the Standing Committee's order."""
    out = []
    members = reg.members
    for m in _chain_candidates(text, reg):
        tokens = m.group().split("、")
        spans, at = [], m.start()
        for tok in tokens:
            spans.append((at, at + len(tok)))
            at += len(tok) + 1
        # the first token may hold words before the first name, the last words after the last one
        first = next((n for n in members if tokens[0].endswith(n)), None)
        if first:
            spans[0] = (spans[0][1] - len(first), spans[0][1])
            tokens[0] = first
        last = next((n for n in members if tokens[-1].startswith(n)), None)
        if last:
            spans[-1] = (spans[-1][0], spans[-1][0] + len(last))
            tokens[-1] = last
        exact = [t in reg.names for t in tokens]
        if sum(exact) < 2:
            continue
        names = []
        for tok, (s, e), known in zip(tokens, spans, exact, strict=True):
            if known:
                names.append(tok)
                continue
            right = next((n for n in members if _alike(tok, n)), None)
            if right:
                out.append(Said(s, e, (right,), f"posts/姓名/{right}", Severity.ERROR,
                                f"严重错误：“{tok}”，领导人姓名疑有错字，应为“{right}”。"))
            names.append(right or tok)
        said = _order(text, spans, names, date, reg)
        if said:
            out.append(said)
    return out


def _chain_candidates(text: str, reg: Register) -> Iterable[re.Match[str]]:
    """CHAIN's matches in the clauses where a register name stands next to a 、 (the whole text would cost as
    much as the lists' scan)."""
    seen: set[int] = set()
    for m in reg.names_re.finditer(text):
        if text[m.end():m.end() + 1] != "、" and text[m.start() - 1:m.start()] != "、":
            continue
        lo = m.start()
        while lo > 0 and text[lo - 1] not in CLAUSE:
            lo -= 1
        if lo in seen:
            continue
        seen.add(lo)
        hi = m.end()
        while hi < len(text) and text[hi] not in CLAUSE:
            hi += 1
        yield from _re("chain").finditer(text, lo, hi)


def _order(text: str, spans: list[tuple[int, int]], names: list[str], date: DateRange | None,
           reg: Register) -> Said | None:
    """Three or more members of one term's Standing Committee, in a row: in that term's order (of the term of
    the document's date; undated, of any term they all belonged to)."""
    wrong = None
    for term in reversed([t for t in reg.standing if date is None or (t.lo <= date[1] and date[0] <= t.hi)]):
        run = 0
        while run < len(names) and names[run] in term.order:
            run += 1
        if run < 3 or len(set(names[:run])) < run:
            continue
        ranks = [term.order.index(n) for n in names[:run]]
        if ranks == sorted(ranks):
            return None
        wrong = wrong or (term, run)
    if wrong is None:
        return None
    term, run = wrong
    right = "、".join(sorted(names[:run], key=term.order.index))
    start, end = spans[0][0], spans[run - 1][1]
    return Said(start, end, (right,), f"posts/排序/{term.term}", Severity.ERROR,
                f"严重错误：“{text[start:end]}”，排序有误：{term.term}中央政治局常委的排序为{'、'.join(term.order)}。")
