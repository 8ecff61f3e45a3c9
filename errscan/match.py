"""Automaton hits -> candidates, with character offsets.

The text is scanned as UTF-8 bytes (carried as latin-1 strings) in chunks that overlap by the longest
entry, so a large text never needs a second full-size copy and no match is lost at a chunk edge.
UTF-8 is self-synchronising: a byte-level match of a whole UTF-8 key always starts and ends on
character boundaries.

Long texts (a window of RS_FROM bytes or more) are scanned by ahocorasick-rs where it is installed: the same
keys in a contiguous NFA over bytes, the same hits (every overlap), about 2.3× as fast as pyahocorasick here, and
it lets other threads run. It is built from the lexicon's automaton the first time a process meets such a text
(~50 ms for the built-in lists), so drafts never pay for it; a process that has scanned RS_TOTAL bytes with one
lexicon in shorter texts (an audit's files, a service's pages) builds it too, and scans every text with it.
"""

from __future__ import annotations

from operator import itemgetter
from typing import NamedTuple

from errscan.lexicon import Lexicon

CHUNK = 1 << 20
RS_FROM = 1 << 20  # bytes
RS_TOTAL = 4 << 20  # bytes of shorter texts scanned with one lexicon, after which ahocorasick-rs scans them too
RS_KEPT = 4  # lexicons whose ahocorasick-rs automaton a process keeps (a service's per-request lists)

# id(pyahocorasick automaton) -> (that automaton, ahocorasick-rs automaton, entry index of each of its patterns),
# the RS_KEPT last built. The first item keeps the automaton alive, so its id is not reused while it is here.
_rs: dict[int, tuple[object, object, list[int]]] = {}
# id(pyahocorasick automaton) -> (that automaton, bytes it has scanned), for RS_TOTAL
_scanned: dict[int, tuple[object, int]] = {}


class Candidate(NamedTuple):
    start: int  # code point offsets into the text
    end: int
    index: int  # into Lexicon.entries


def byte_hits(data: bytes, lex: Lexicon, chunk: int = CHUNK) -> list[tuple[int, int, int]]:
    """All (byte_start, byte_end, entry index) hits, every overlap kept, sorted by start."""
    if lex.empty or not data:
        return []
    if (len(data) >= RS_FROM or _busy(lex, len(data))) and (rs := _rs_automaton(lex)) is not None:
        automaton, index = rs
        hits = [(start, end, index[i]) for i, start, end in automaton.find_matches_as_indexes(data, overlapping=True)]
    else:
        hits = _py_hits(data, lex, chunk)
    hits.sort()
    if lex.seen is not None:
        lex.seen.update(map(itemgetter(2), hits))
    return hits


def _py_hits(data: bytes, lex: Lexicon, chunk: int) -> list[tuple[int, int, int]]:
    iterate = lex.automaton.iter  # type: ignore[attr-defined]
    sizes = lex.sizes
    overlap = max(lex.max_bytes - 1, 0)
    hits = []
    for base in range(0, len(data), chunk):
        window = data[base : base + chunk + overlap].decode("latin-1")
        limit = chunk  # a hit belongs to the chunk it starts in
        for end, index in iterate(window):
            start = end + 1 - sizes[index]
            if start < limit:
                hits.append((base + start, base + end + 1, index))
    return hits


def _busy(lex: Lexicon, size: int) -> bool:
    """Whether this process has scanned RS_TOTAL bytes with the lexicon, this text's included."""
    key = id(lex.automaton)
    got = _scanned.get(key)
    total = (got[1] if got is not None and got[0] is lex.automaton else 0) + size
    if total >= RS_TOTAL:
        return True
    _keep(_scanned, key, (lex.automaton, total))
    return False


def _keep(cache: dict, key: int, value: tuple) -> None:  # type: ignore[type-arg]
    """cache[key] = value, the oldest entry dropped first once RS_KEPT lexicons are there."""
    if key not in cache and len(cache) >= RS_KEPT:
        cache.pop(next(iter(cache)))
    cache[key] = value


def _rs_automaton(lex: Lexicon) -> tuple[object, list[int]] | None:
    """ahocorasick-rs's automaton of the lexicon's keys, and each pattern's entry index; None without it."""
    got = _rs.get(id(lex.automaton))
    if got is not None and got[0] is lex.automaton:
        return got[1], got[2]
    try:
        import ahocorasick_rs
    except ImportError:
        return None
    keys, index = [], []
    for key, i in lex.automaton.items():  # type: ignore[attr-defined]
        keys.append(key.encode("latin-1"))
        index.append(i)
    built = ahocorasick_rs.BytesAhoCorasick(keys, implementation=ahocorasick_rs.Implementation.ContiguousNFA)
    _keep(_rs, id(lex.automaton), (lex.automaton, built, index))
    return built, index


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
