"""Offsets -> line and column. Lines end at "\\n" (a "\\r" before it belongs to the line)."""

from __future__ import annotations

import bisect


class LineMap:
    def __init__(self, text: str):
        self.starts = [0]
        at = text.find("\n")
        while at != -1:
            self.starts.append(at + 1)
            at = text.find("\n", at + 1)

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column (in code points) of a 0-based offset."""
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1


CONTEXT = 20  # characters of context either side of a finding's text


def context(text: str, start: int, end: int, width: int = CONTEXT) -> str:
    """The match with up to `width` characters either side, within its line."""
    nl = text.rfind("\n", max(0, start - width), start)
    left = nl + 1 if nl != -1 else max(0, start - width)
    right = text.find("\n", end, end + width)
    right = right if right != -1 else min(len(text), end + width)
    return text[left:right].replace("\r", "").replace("\t", " ")
