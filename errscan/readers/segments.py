"""Text built from pieces (paragraphs, cells, pages), each with the place it came from."""

from __future__ import annotations

import bisect

from errscan.model import Locator

MAX_TEXT_CHARS = 100_000_000  # text extracted from one input; more is a bomb or not a document


class SegmentLocator(Locator):
    """line/column in the built text; location: the place of the segment the offset falls in."""

    def __init__(self, text: str, starts: list[int], places: list[dict[str, object]]):
        super().__init__(text)
        self._starts = starts
        self._places = places

    def locate(self, offset: int) -> tuple[int, int, dict[str, object]]:
        line, column = self._lines.line_col(offset)
        i = bisect.bisect_right(self._starts, offset) - 1
        return line, column, (dict(self._places[i]) if i >= 0 else {})


class Builder:
    """Append segments, each ended by a newline (or by `end`); then build the text and its locator."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.starts: list[int] = []
        self.places: list[dict[str, object]] = []
        self.size = 0

    def add(self, text: str, place: dict[str, object], end: str = "\n") -> None:
        from errscan.readers.text import ReadError

        self.starts.append(self.size)
        self.places.append(place)
        self.parts.append(text)
        self.parts.append(end)
        self.size += len(text) + len(end)
        if self.size > MAX_TEXT_CHARS:
            raise ReadError(f"文件中的文字过多（超过 {MAX_TEXT_CHARS // 1_000_000} 百万字），未检查")

    def build(self) -> tuple[str, SegmentLocator]:
        text = "".join(self.parts)
        return text, SegmentLocator(text, self.starts, self.places)
