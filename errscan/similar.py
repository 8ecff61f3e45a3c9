"""Sound-alike and shape-alike characters (音近字、形近字) for the 8,105 characters of 通用规范汉字表.

The table ``errscan/data/similar.tsv`` is built by ``tools/build_similar.py`` (sources in
``errscan/data/SOURCES.md``) and read on first use (its rows split when many are asked for)::

    >>> relation("党", "常"), relation("意", "义"), relation("换", "奂"), relation("人", "山")
    ('shape', 'sound', 'both', None)
    >>> "攻" in alikes("政", "shape")
    True

Sound-alikes share a reading without regard to tone (pypinyin readings, heteronyms included), or differ by a
fuzzy initial or final that ECSpell's confusion set also lists (z/zh, n/l, in/ing …). Lists are ordered by
character frequency, the most frequent first.
"""

from __future__ import annotations

import functools
from pathlib import Path

__all__ = ["KINDS", "alikes", "known", "read_alike", "readings", "relation"]

TABLE = Path(__file__).resolve().parent / "data" / "similar.tsv"
KINDS = ("sound", "shape", "any")


class _Table:
    """The parsed table: per character its readings, near-sound and shape-alike strings.

    A draft asks about a handful of characters: their rows are found in the text itself (a C-speed search of
    about 0.1 ms each). Past LOOKS_BEFORE_PARSE of them, or when every row is wanted (`rows`), the whole table is
    split (~15 ms). Toneless readings and the syllable index are made when first asked.
    """

    LOOKS_BEFORE_PARSE = 64

    def __init__(self, path: Path = TABLE):
        with open(path, encoding="utf-8") as fh:
            self._text = "\n" + fh.read()  # every row starts after a newline, the first one too
        self._rows: dict[str, list[str]] | None = None
        self._some: dict[str, list[str] | None] = {}
        self._bare: dict[str, frozenset[str]] = {}
        self._by_syllable: dict[str, list[str]] | None = None
        self._sound: dict[str, tuple[str, ...]] = {}

    @property
    def rows(self) -> dict[str, list[str]]:
        """Every row, by character, in the table's (frequency) order."""
        if self._rows is None:
            rows: dict[str, list[str]] = {}
            for line in self._text.splitlines():
                if line and line[0] != "#":
                    row = line.split("\t")
                    rows[row[0]] = row
            self._rows, self._some = rows, {}
        return self._rows

    def row(self, ch: str) -> list[str] | None:
        """The row of `ch`, or None if the table does not hold it."""
        if self._rows is not None:
            return self._rows.get(ch)
        try:
            return self._some[ch]
        except KeyError:
            pass
        if len(ch) != 1 or ch in "#\t\n":
            return None  # rows are of single characters, none of them these
        if len(self._some) >= self.LOOKS_BEFORE_PARSE:
            return self.rows.get(ch)
        row = None
        at = self._text.find(f"\n{ch}\t")
        if at >= 0:
            end = self._text.find("\n", at + 1)
            row = self._text[at + 1 : end if end >= 0 else None].split("\t")
        self._some[ch] = row
        return row

    def toneless(self, ch: str) -> frozenset[str]:
        got = self._bare.get(ch)
        if got is None:
            row = self.row(ch)
            got = frozenset(s.rstrip("012345") for s in row[1].split()) if row else frozenset()
            self._bare[ch] = got
        return got

    def sound(self, ch: str) -> tuple[str, ...]:
        got = self._sound.get(ch)
        if got is None:
            if self._by_syllable is None:
                index: dict[str, list[str]] = {}
                for c in self.rows:  # rows are in frequency order, and so stay the lists
                    for s in self.toneless(c):
                        index.setdefault(s, []).append(c)
                self._by_syllable = index
            seen: dict[str, None] = {}
            for s in self.toneless(ch):
                seen.update(dict.fromkeys(self._by_syllable[s]))
            seen.update(dict.fromkeys(self.rows[ch][2]))
            seen.pop(ch, None)
            order = self._order()
            got = self._sound[ch] = tuple(sorted(seen, key=order.__getitem__))
        return got

    def _order(self) -> dict[str, int]:
        order = getattr(self, "_rank", None)
        if order is None:
            order = self._rank = {c: i for i, c in enumerate(self.rows)}
        return order


@functools.cache
def _get() -> _Table:
    return _Table()


def relation(a: str, b: str) -> str | None:
    """How two characters are alike: "sound", "shape", "both", or None (also for equal or unknown ones)."""
    if a == b or len(a) != 1 or len(b) != 1:
        return None
    t = _get()
    ra = t.row(a)
    if ra is None or t.row(b) is None:
        return None
    sound = bool(t.toneless(a) & t.toneless(b)) or b in ra[2]
    shape = b in ra[3]
    if sound and shape:
        return "both"
    return "sound" if sound else "shape" if shape else None


def alikes(ch: str, kind: str = "any") -> tuple[str, ...]:
    """The characters alike to `ch`: kind "sound", "shape" or "any" (both kinds first, then shape, then sound)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    t = _get()
    row = t.row(ch)
    if row is None:
        return ()
    shape = row[3]
    if kind == "shape":
        return tuple(shape)
    sound = t.sound(ch)
    if kind == "sound":
        return sound
    sound_set = set(sound)
    both = tuple(c for c in shape if c in sound_set)
    rest_shape = tuple(c for c in shape if c not in sound_set)
    rest_sound = tuple(c for c in sound if c not in shape)
    return both + rest_shape + rest_sound


def readings(ch: str) -> tuple[str, ...]:
    """The pinyin readings of `ch` with tone digits (e.g. ("xing2", "hang2", …)); () if not in the table."""
    row = _get().row(ch)
    return tuple(row[1].split()) if row else ()


def read_alike(a: str, b: str) -> bool:
    """Every character of `a` has a reading of `b`'s character in its place, tones aside (机智 / 机制, 主意 / 主义):
    what a pinyin input method may put one for the other."""
    return len(a) == len(b) and all(
        {r.rstrip("012345") for r in readings(x)} & {r.rstrip("012345") for r in readings(y)}
        for x, y in zip(a, b, strict=True)
    )


def known(ch: str) -> bool:
    """True if `ch` is one of the table's 8,105 characters."""
    return _get().row(ch) is not None
