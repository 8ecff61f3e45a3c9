"""jieba's dictionary and its segmentation with HMM off, cheap to start.

jieba's own start (``jieba.initialize()``) unmarshals a prefix dictionary of 580,000 keys: 0.6–2 s and 80 MB
before the first cut. Here the cuts come from rjieba (jieba-rs: the same algorithm and dictionary, in Rust,
ready in about 0.15 s) and the word frequencies from jieba's dict.txt, cached on disk: a sorted blob mapped and
searched in place where errscan/_wordscan.c is built (about 1 ms to load), else a character trie (about 50 ms).
Without rjieba, jieba itself cuts: the same tokens, as tests/test_words.py checks over
the clean corpus.
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

FORMAT = 1  # bump when the cached trie's layout changes
_ENG = re.compile(r"[a-zA-Z0-9]+")  # jieba glues runs of one-character Latin or digit tokens into one


class Words:
    """``cut`` (a list of tokens, HMM off), ``freq`` (jieba's count of a word, 0 if none), ``logp`` (jieba's
    best-route log probability, the value of ``Tokenizer.calc``'s route[0])."""

    def __init__(self, get: Callable[[str, int], int], total: int):
        self.total = total
        self._logtotal = math.log(total)
        self._get = get  # (word, default) -> jieba's frequency of the word
        self._cutter = None  # the segmenter starts on the first cut: many candidates need only frequencies

    def freq(self, word: str) -> int:
        return self._get(word, 0)

    def is_word(self, word: str) -> bool:
        return self._get(word, 0) > 0

    def cut(self, text: str) -> list[str]:
        if self._cutter is None:
            self._cutter = _cutter()
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


def _cutter():
    try:
        import rjieba
    except ImportError:  # jieba itself, slower to start, same tokens
        import logging

        import jieba

        jieba.setLogLevel(logging.WARNING)
        dt = jieba.Tokenizer()
        dt.initialize()
        return lambda text: list(dt.cut(text, HMM=False))
    cut = rjieba.cut
    return lambda text: cut(text, False)


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
        return Words(functools.partial(_wordscan.get, blob), _wordscan.total(blob))  # type: ignore[union-attr]
    file = _cache_dir() / f"words-{digest}.pickle"
    got = read_pickle(file)
    if not (isinstance(got, tuple) and len(got) == 2):
        got = _build(path)
        write_pickle(file, got, keep=2)
    trie, total = got
    return Words(trie.get, total)  # type: ignore[attr-defined]
