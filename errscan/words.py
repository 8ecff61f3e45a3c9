"""jieba's dictionary and its segmentation with HMM off, cheap to start.

jieba's own start (``jieba.initialize()``) unmarshals a prefix dictionary of 580,000 keys: 0.6–2 s and 80 MB
before the first cut. Here the word frequencies come from jieba's dict.txt, cached on disk: a sorted blob mapped
and searched in place where errscan/_wordscan.c is built (about 1 ms to load), else a character trie (about
50 ms). Where the blob is, jieba's route is found in it (`blob_cut`: nothing to build before the first cut);
after SWITCH cuts, or without the blob, rjieba cuts (jieba-rs: the same algorithm and dictionary in Rust, about
0.19 s to start, 3× faster a clause); without rjieba, jieba itself. All give the same tokens, as
tests/test_words.py checks over the clean corpus.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections.abc import Callable
from pathlib import Path

try:  # jieba's frequencies looked up in a mapped blob (errscan/_wordscan.c) instead of an unpickled trie
    import errscan._wordscan as _wordscan
except ImportError:
    _wordscan = None

# The route over the mapped blob starts at once and cuts a clause in ~2.2 µs where rjieba takes ~1.3 µs after
# ~0.19 s to build its dictionary (bench/bench_words.py): past this many cuts in one process, rjieba (where
# installed) takes over — about where its start has paid for itself
SWITCH = 200_000
FORMAT = 1  # bump when the cached trie's layout changes
_ENG = re.compile(r"[a-zA-Z0-9]+")  # jieba glues runs of one-character Latin or digit tokens into one


class Words:
    """``cut`` (a list of tokens, HMM off), ``freq`` (jieba's count of a word, 0 if none), ``logp`` (jieba's
    best-route log probability, the value of ``Tokenizer.calc``'s route[0])."""

    def __init__(self, get: Callable[[str, int], int], total: int, blob: object | None = None):
        self.total = total
        self._logtotal = math.log(total)
        self._get = get  # (word, default) -> jieba's frequency of the word
        self._blob = blob  # the mapped frequencies: jieba's route is found in them (errscan/_wordscan.c)
        self._cutter = None  # the segmenter starts on the first cut: many candidates need only frequencies
        self._cuts = 0

    def freq(self, word: str) -> int:
        return self._get(word, 0)

    def is_word(self, word: str) -> bool:
        return self._get(word, 0) > 0

    def cut(self, text: str) -> list[str]:
        if self._cutter is None:
            self._cutter = _cutter() if self._blob is None else functools.partial(blob_cut, self._blob)
        if self._blob is not None:
            self._cuts += 1
            if self._cuts == SWITCH:  # a long text: rjieba's start now pays for itself (same tokens)
                self._cutter = _cutter(fast_only=True) or self._cutter
        return self._cutter(text)

    def logp(self, text: str) -> float:
        """Σ log(freq or 1) − log(total) over the tokens of the best route (jieba's unigram model)."""
        get, logtotal, log = self._get, self._logtotal, math.log
        p = 0.0
        for token in self.cut(text):
            f = get(token, 0)
            if f or len(token) == 1 or not _ENG.fullmatch(token):
                p += log(f or 1) - logtotal
            else:  # a glued run of one-character tokens: each was its own step on the route
                p += sum(log(get(c, 0) or 1) for c in token) - len(token) * logtotal
        return p


# jieba's own splitting of a text before its DAG (Tokenizer.cut, cut_all and HMM off): runs of
# [\u4E00-\u9FD5a-zA-Z0-9+#&._%-] are routed through the dictionary, "\r\n" is one token, anything else a token
# of its own (errscan/_wordscan.c `cut`)


def blob_cut(blob: object, text: str) -> list[str]:
    """jieba's tokens of `text` with HMM off, the route found in the mapped frequencies (no dictionary to
    build: the first cut costs what the others do). The same tokens as jieba's, as tests/test_words.py checks
    over the clean corpus: the runs jieba routes, their one-character Latin letters and digits glued
    together, anything else a token of its own (errscan/_wordscan.c `cut`)."""
    return _wordscan.cut(blob, text)  # type: ignore[union-attr, no-any-return]


_SURROGATE = re.compile("[\ud800-\udfff]")

def _cutter(fast_only: bool = False):
    try:
        import rjieba
    except ImportError:  # jieba itself, slower to start, same tokens
        if fast_only:
            return None
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        dt = jieba.Tokenizer()
        dt.initialize()
        return lambda text: list(dt.cut(text, HMM=False))
    cut = rjieba.cut

    def cut_rs(text: str) -> list[str]:
        try:
            return cut(text, False)
        except UnicodeEncodeError:  # a lone surrogate (a JSON escape like \ud800): rjieba takes only UTF-8
            tokens = cut(_SURROGATE.sub("\ufffd", text), False)  # one for one: the same lengths, cut alike
            out, at = [], 0
            for token in tokens:
                out.append(text[at : at + len(token)])
                at += len(token)
            return out

    return cut_rs


def _entries(path: Path | None) -> tuple[dict[str, int], int]:
    """Each word of dict.txt with its frequency (a later line wins), and the sum over every line."""
    freqs: dict[str, int] = {}
    total = 0
    if path is not None:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                parts = line.split(" ", 2)
                if len(parts) >= 2 and parts[1].isdigit():
                    f = int(parts[1])
                    freqs[parts[0]] = f
                    total += f
    return freqs, max(total, 1)


def _blob(file: Path, path: Path | None) -> object | None:
    """The frequencies as the compiled lookup's blob (errscan/_wordscan.c), mapped from the cache folder: made
    and written there the first time. None without the extension."""
    if _wordscan is None:
        return None
    import mmap
    import os

    try:
        with open(file, "rb") as fh:
            blob = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        _wordscan.total(blob)  # ValueError if it is not one
        return blob
    except (OSError, ValueError):
        pass
    freqs, total = _entries(path)
    items = sorted((w.encode("utf-8"), f) for w, f in freqs.items())
    made = _wordscan.build([w for w, _ in items], [f for _, f in items], total)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(made)
        tmp.replace(file)
    except OSError:
        pass  # a read-only cache: made again next time
    return made


def _build(path: Path | None) -> tuple[object, int]:
    """The pure-Python lookup: a pyahocorasick trie of the words, and the total."""
    import ahocorasick

    trie = ahocorasick.Automaton(ahocorasick.STORE_INTS)
    freqs, total = _entries(path)
    for word, f in freqs.items():
        trie.add_word(word, f)
    return trie, total


@functools.cache
def words() -> Words:
    """The process's dictionary and segmenter: jieba's dict.txt as a trie, cached on disk by its path, size and
    time; made on first use."""
    from errscan.lexicon.compile import _cache_dir, read_pickle, write_pickle
    from errscan.lexicon.generate import jieba_dict_path

    path = jieba_dict_path()
    key = f"{FORMAT}|{path}"
    if path is not None:
        st = path.stat()
        key += f"|{st.st_size}|{st.st_mtime_ns}"
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    blob = _blob(_cache_dir() / f"words-{digest}.bin", path)
    if blob is not None:
        return Words(functools.partial(_wordscan.get, blob), _wordscan.total(blob), blob)  # type: ignore[union-attr]
    file = _cache_dir() / f"words-{digest}.pickle"
    got = read_pickle(file)
    if not (isinstance(got, tuple) and len(got) == 2):
        got = _build(path)
        write_pickle(file, got, keep=2)
    trie, total = got
    return Words(trie.get, total)  # type: ignore[attr-defined]
