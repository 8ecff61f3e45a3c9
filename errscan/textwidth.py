"""Text as a terminal shows it: display width (a Chinese character takes two columns) and line wrapping that
breaks between Chinese characters and at spaces, never before a closing mark or after an opening one."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

NO_BREAK_BEFORE = frozenset("，。、；：！？）》」』】〉”’…%,.;:!?)]}")
NO_BREAK_AFTER = frozenset("（《「『【〈“‘([{")


def width_of(text: str) -> int:
    """Display columns: a wide or full-width character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1
               for c in text)


def _units(text: str, keep: Sequence[tuple[int, int]] = ()) -> list[tuple[int, str]]:
    """(offset, piece): the pieces a line may break between — a run of Latin letters and digits, a run of
    spaces, one Chinese character; closing punctuation stays with what precedes it, opening with what follows,
    and nothing breaks inside a `keep` span (a marked term, a rule id)."""
    units: list[tuple[int, str]] = []
    for m in re.finditer(r"[ \t]+|[^ \t\u2E80-\uFFEF]+|.", text):  # nothing dropped: U+3000, a no-break space
        piece = m.group()
        last = units[-1][1] if units else " "
        inside = any(a < m.start() < b for a, b in keep)
        if (units and inside) or (piece[0] not in " \t" and last[0] not in " \t" and (
                piece[0] in NO_BREAK_BEFORE or last[-1] in NO_BREAK_AFTER)):
            units[-1] = (units[-1][0], last + piece)
        else:
            units.append((m.start(), piece))
    return units


def line_spans(text: str, width: int, rest: int | None = None,
               keep: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """Where one line of text breaks: (start, end) of each line, the first at most `width` columns wide and
    the others `rest` (default the same). Spaces at a break belong to no line, those it starts with to the
    first; a word (or `keep` span) wider than a line is cut."""
    spans: list[tuple[int, int]] = []
    limit = max(width, 4)
    start = end = None  # the current line's extent
    used = 0

    def close() -> None:
        nonlocal start, end, used, limit
        if start is not None and end is not None:
            spans.append((start, end))
        start = end = None
        used = 0
        limit = max(rest if rest is not None else width, 4)

    for at, unit in _units(text, keep):
        if unit[0] in " \t" and not (at == 0 and not spans):
            if start is not None:
                used += len(unit)
            continue
        w = width_of(unit)
        if start is not None and used + w > limit:
            close()
        while w > limit:  # wider than a whole line: cut it
            cut, cw = 0, 0
            for c in unit:
                if cw + width_of(c) > limit:
                    break
                cut, cw = cut + 1, cw + width_of(c)
            cut = max(cut, 1)
            spans.append((at, at + cut))
            limit = max(rest if rest is not None else width, 4)
            at, unit = at + cut, unit[cut:]
            w = width_of(unit)
        if start is None:
            start, used = at, 0
        used += w
        end = at + len(unit)
    close()
    return spans or [(0, 0)]


def wrap(text: str, width: int) -> list[str]:
    """Lines of at most `width` display columns, breaking between Chinese characters and at spaces, never
    before a closing mark or after an opening one; a Latin word wider than the line is cut."""
    width = max(width, 10)
    lines: list[str] = []
    for para in text.splitlines() or [""]:
        lines += [para[a:b] for a, b in line_spans(para, width)]
    return lines


def clip(text: str, width: int) -> str:
    """At most `width` columns: cut with … when longer."""
    if width_of(text) <= width:
        return text
    out, used = "", 1
    for c in text:
        if used + width_of(c) > width:
            break
        out, used = out + c, used + width_of(c)
    return out + "…"
