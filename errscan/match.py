"""Automaton hits -> candidates, with character offsets.

The text is scanned as UTF-8 bytes (carried as latin-1 strings) in chunks that overlap by the longest
entry, so a large text never needs a second full-size copy and no match is lost at a chunk edge.
UTF-8 is self-synchronising: a byte-level match of a whole UTF-8 key always starts and ends on
character boundaries.
"""

from __future__ import annotations

from typing import NamedTuple

from errscan.lexicon import Lexicon

CHUNK = 1 << 20


class Candidate(NamedTuple):
    start: int  # code point offsets into the text
    end: int
    index: int  # into Lexicon.entries


def byte_hits(data: bytes, lex: Lexicon, chunk: int = CHUNK) -> list[tuple[int, int, int]]:
    """All (byte_start, byte_end, entry index) hits, every overlap kept, sorted by start."""
    if lex.empty or not data:
        return []
    iterate = lex.automaton.iter  # type: ignore[attr-defined]
    overlap = max(lex.max_bytes - 1, 0)
    hits = []
    for base in range(0, len(data), chunk):
        window = data[base : base + chunk + overlap].decode("latin-1")
        limit = chunk  # a hit belongs to the chunk it starts in
        for end, (index, size) in iterate(window):
            start = end + 1 - size
            if start < limit:
                hits.append((base + start, base + end + 1, index))
    hits.sort()
    return hits


def candidates(text: str, lex: Lexicon) -> list[Candidate]:
    """Every occurrence of every entry in `text`.

    The UTF-8 copy lives only as long as this call: the file's own bytes are not kept for it, so the
    memory of a large text is freed before jieba loads.
    """
    data = text.encode("utf-8", "surrogatepass")
    hits = byte_hits(data, lex)
    if not hits:
        return []
    if len(data) == len(text):  # pure ASCII: byte offsets are character offsets
        return [Candidate(s, e, i) for s, e, i in hits]
    out = []
    pos_b = pos_c = 0
    for start_b, end_b, index in hits:
        pos_c += len(data[pos_b:start_b].decode("utf-8", "surrogatepass"))
        pos_b = start_b
        length = len(data[start_b:end_b].decode("utf-8", "surrogatepass"))
        out.append(Candidate(pos_c, pos_c + length, index))
    return out
