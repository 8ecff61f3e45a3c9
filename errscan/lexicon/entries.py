"""The compiled entries as a compact sequence.

Tens of thousands of generated slips would cost a cached start-up ~0.1 s to unpickle as Entry objects.
They are stored as rows of plain values instead, and each Entry is made on first use (a clean text
uses none of them). So are the hand-written entries and the templates in the cache: unpickled as Entry objects,
the 2,700 built-in ones took a draft with findings 15 ms (a dataclass and an enum member each).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import fields, replace
from typing import overload

from errscan.lexicon.notes import note
from errscan.lexicon.schema import Entry
from errscan.model import Severity

METHODS = ("pinyin", "stroke", "omit", "transpose", "insert")
_FIELDS = tuple(f.name for f in fields(Entry))
_SEVERITY = _FIELDS.index("severity")


def _values(entry: Entry) -> tuple[object, ...]:
    """An entry as plain values, in its fields' order (the severity as an int)."""
    values = [getattr(entry, name) for name in _FIELDS]
    values[_SEVERITY] = int(values[_SEVERITY])  # type: ignore[call-overload]
    return tuple(values)


def _entry(values: tuple[object, ...]) -> Entry:
    given = list(values)
    given[_SEVERITY] = Severity(given[_SEVERITY])
    return Entry(*given)  # type: ignore[arg-type]


def _plain(entries: Sequence[Entry]) -> tuple[tuple[object, ...], ...]:
    return entries._values if isinstance(entries, _Made) else tuple(map(_values, entries))


class _Made(Sequence[Entry]):
    """Entries kept as plain values, each made the first time it is asked for."""

    def __init__(self, values: tuple[tuple[object, ...], ...]):
        self._values = values
        self._made: dict[int, Entry] = {}

    def __len__(self) -> int:
        return len(self._values)

    @overload
    def __getitem__(self, index: int) -> Entry: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Entry]: ...
    def __getitem__(self, index: int | slice) -> Entry | Sequence[Entry]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        made = self._made.get(index)
        if made is None:
            made = self._made[index] = _entry(self._values[index])
        return made

    def __iter__(self) -> Iterator[Entry]:
        for i in range(len(self)):
            yield self[i]


class Entries(Sequence[Entry]):
    """Hand-written entries first, then the generated ones (match, template, method, position, char)."""

    hand: Sequence[Entry]
    templates: Sequence[Entry]

    def __init__(self, hand: Sequence[Entry], generated: Sequence[Entry] = ()):
        self.hand = tuple(hand)
        templates: dict[Entry, int] = {}
        rows = []
        for e in generated:
            template = replace(e, match="", note="", method="", position=0, char="")
            t = templates.setdefault(template, len(templates))
            rows.append((e.match, t, METHODS.index(e.method), e.position, e.char))
        self.templates = tuple(templates)
        self.rows = tuple(rows)
        self._made: dict[int, Entry] = {}

    def __getstate__(self) -> tuple[object, ...]:
        return _plain(self.hand), _plain(self.templates), self.rows

    def __setstate__(self, state: tuple[object, ...]) -> None:
        hand, templates, self.rows = state  # type: ignore[assignment]
        self.hand, self.templates = _Made(hand), _Made(templates)  # type: ignore[arg-type]
        self._made = {}

    def __len__(self) -> int:
        return len(self.hand) + len(self.rows)

    @overload
    def __getitem__(self, index: int) -> Entry: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Entry]: ...
    def __getitem__(self, index: int | slice) -> Entry | Sequence[Entry]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if index < len(self.hand):
            return self.hand[index]
        made = self._made.get(index)
        if made is None:
            match, t, m, position, char = self.rows[index - len(self.hand)]
            template = self.templates[t]
            method = METHODS[m]
            made = replace(
                template, match=match, method=method, position=position, char=char,
                note=note(template.origin, method, position, char),
            )
            self._made[index] = made
        return made

    def __iter__(self) -> Iterator[Entry]:
        for i in range(len(self)):
            yield self[i]

    def matches(self) -> Iterator[str]:
        """Every match, in index order, without making the generated entries."""
        yield from (e.match for e in self.hand)
        yield from (row[0] for row in self.rows)

    @property
    def generated_count(self) -> int:
        return len(self.rows)
