"""A statistical detector of miswritten ordinary characters (疑似错字) from a character n-gram model.

The model (errscan/data/lm/model.bin, built by tools/build_lm.py from laws, regulations and government work
reports) is mapped into memory on first use; nothing is loaded at import.
"""

from __future__ import annotations

import functools
import json
import mmap
import os
import re
import struct
import sys
import threading
from array import array
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise, repeat
from pathlib import Path

import errscan.deadline as deadline

try:  # the compiled search (errscan/_lmscan.c): the same suspects, some thirty times faster
    import errscan._lmscan as _lmscan
except ImportError:  # no C compiler where errscan was installed: the pure-Python search below
    _lmscan = None

MODEL_PATH = Path(__file__).parent / "data" / "lm" / "model.bin"
MAGIC = b"ERRSCANLM1\n"
BITS_MAGIC = b"LMBITS01"  # the cached bigram tables' first 8 bytes; part of their layout
BITS_FORMAT = 3  # bump when _lmscan.bigram_bits changes what it makes
BOS, EOS, UNK, NUM, LAT = range(5)


class Model:
    """A back-off character n-gram model in a reversed trie (see tools/build_lm.py for the format)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with open(path, "rb") as fh:
            self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        buf = memoryview(self._map)
        if bytes(buf[: len(MAGIC)]) != MAGIC:
            raise ValueError(f"{path}: not an errscan language model")
        (hlen,) = struct.unpack_from("<I", buf, len(MAGIC))
        start = len(MAGIC) + 4
        self.header: dict = json.loads(bytes(buf[start : start + hlen]))
        base = start + hlen
        self.order: int = self.header["order"]
        arrays = {}
        for name, (off, n, code) in self.header["arrays"].items():
            size = {"B": 1, "H": 2, "I": 4}[code]
            view = buf[base + off : base + off + n * size]
            arrays[name] = view.cast(code) if code != "B" else view
        if sys.byteorder != "little":  # the file is little-endian
            import array

            for name, view in list(arrays.items()):
                if view.format != "B":
                    a = array.array(view.format, view.tobytes())
                    a.byteswap()
                    arrays[name] = a
        n = self.order
        books = self.header["codebooks"]
        self._tok = [None, None, *(arrays[f"tok{k}"] for k in range(2, n + 1))]
        self._child = [None, *(arrays[f"child{k}"] for k in range(1, n))]
        self._prob = [None, *(arrays[f"prob{k}"] for k in range(1, n + 1))]
        self._bo = [None, *(arrays[f"bo{k}"] for k in range(1, n))]
        self._pbook = [None, *(tuple(books[f"prob{k}"]) for k in range(1, n + 1))]
        self._bbook = [None, *(tuple(books[f"bo{k}"]) for k in range(1, n))]
        specials = len(self.header["specials"])
        self.vocab: str = self.header["vocab"]
        self.ids: dict[str, int] = {c: i + specials for i, c in enumerate(self.vocab)}
        self._fwd_off, self._fwd_tok = arrays["fwd_off"], arrays["fwd_tok"]
        self._al_off, self._al_tok = arrays["alike_off"], arrays["alike_tok"]
        self._al_chars: str = self.header["alikes"]["chars"]
        # same-sounding two-character words (tools/build_lm.py, homophone_table); absent from older models
        self._syl = arrays.get("syl")
        self._homo = (arrays["homo_key"], arrays["homo_off"], arrays["homo_tok"]) if self._syl is not None else None
        self._succ: dict[int, frozenset[int]] = {}
        self._left: dict[int, frozenset[int]] = {}
        self._all_left: list[frozenset[int]] | None = None
        self._code = dict(self.ids)  # encode(): digits and latin letters too
        self._code.update(dict.fromkeys("0123456789０１２３４５６７８９", NUM))
        self._code.update(dict.fromkeys("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", LAT))
        self._code.update(dict.fromkeys("".join(chr(c) for c in range(0xFF21, 0xFF3B)), LAT))  # Ａ-Ｚ
        self._code.update(dict.fromkeys("".join(chr(c) for c in range(0xFF41, 0xFF5B)), LAT))  # ａ-ｚ
        self.size = len(self._map)
        self._tables: tuple | None = None

    def tables(self) -> tuple:
        """The model's arrays and the lookup tables of the compiled search (errscan/_lmscan.c), in its order:
        code point -> token id, character classes (clause 1, Han 2, numeral 4), code point -> alike row, then
        the trie, codebooks as doubles, the alike lists, the bigrams (a bitset, a hash table, each token's bigrams
        most probable first), and the same-sounding words."""
        if self._tables is None:
            code = array("H", [UNK]) * 65536
            for ch, i in self._code.items():
                if ord(ch) < 65536:
                    code[ord(ch)] = i
            flags = bytearray(65536)
            for lo, hi in CLAUSE_RANGES:
                flags[lo : hi + 1] = bytes([1]) * (hi + 1 - lo)
            with_han = bytes(i | 2 for i in range(256))
            for lo, hi in HAN_RANGES:
                flags[lo : hi + 1] = flags[lo : hi + 1].translate(with_han)
            for ch in NUMERALS:
                flags[ord(ch)] |= 4
            alike_of = array("H", [0xFFFF]) * 65536
            for i in range(len(self._al_chars) - 1, -1, -1):  # the first row of a character, as str.find
                if ord(self._al_chars[i]) < 65536:
                    alike_of[ord(self._al_chars[i])] = i
            n = self.order
            self._tables = (
                code, bytes(flags), alike_of,
                *self._child[1:n], *self._tok[2 : n + 1], *self._prob[1 : n + 1], *self._bo[1:n],
                *(array("d", b) for b in self._pbook[1 : n + 1]), *(array("d", b) for b in self._bbook[1:n]),
                self._al_off, self._al_tok,
                self._bigram_bits(),
                *((self._syl, *self._homo) if self._homo is not None and self._syl is not None else (b"",) * 4),
            )
        return self._tables

    def succ(self, a: int) -> frozenset[int]:
        """Tokens seen right after a."""
        got = self._succ.get(a)
        if got is None:
            got = self._succ[a] = frozenset(self._fwd_tok[self._fwd_off[a] : self._fwd_off[a + 1]])
        return got

    def left(self, b: int) -> frozenset[int]:
        """Tokens seen right before b."""
        got = self._left.get(b)
        if got is None:
            ch = self._child[1]
            got = self._left[b] = frozenset(self._tok[2][ch[b] : ch[b + 1]])
        return got

    def all_lefts(self) -> list[frozenset[int]]:
        """left() of every token, made at once (about 30 ms): for long texts."""
        got = self._all_left
        if got is None:
            got = self._all_left = [self.left(b) for b in range(len(self._child[1]) - 1)]
        return got

    def _bigram_bits(self) -> object:
        """The compiled search's bitset and hash table of the bigrams, and each token's bigrams most probable
        first (_lmscan.bigram_bits, ~25 ms to make):
        mapped from the cache folder, where it is written the first time (keyed by the model file's size and
        time); made in memory where the folder cannot be written."""
        import hashlib

        from errscan.lexicon.compile import _cache_dir

        assert _lmscan is not None
        st = self.path.stat()
        key = hashlib.sha256(f"{BITS_FORMAT}|{self.path}|{st.st_size}|{st.st_mtime_ns}".encode()).hexdigest()[:24]
        file = _cache_dir() / f"lm-bigrams-{key}.bin"
        try:
            with open(file, "rb") as fh:
                got = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            if len(got) > 8 and got[:8] == BITS_MAGIC:
                return memoryview(got)[8:]
        except (OSError, ValueError):
            pass
        made = _lmscan.bigram_bits(self._child[1], self._tok[2], self._prob[2], array("d", self._pbook[2]))
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            tmp = file.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(BITS_MAGIC + made)
            tmp.replace(file)
        except OSError:
            pass  # a read-only cache: made again next time
        return made

    def homophones(self, c1: str, c2: str) -> list[tuple[int, int]]:
        """The two-character words (as token pairs, most frequent first) that sound like c1 c2 as written."""
        if self._homo is None or self._syl is None:
            return []
        r1, r2 = self._al_chars.find(c1), self._al_chars.find(c2)
        if r1 < 0 or r2 < 0:
            return []
        y1, y2 = self._syl[r1], self._syl[r2]
        if y1 == 0xFFFF or y2 == 0xFFFF:
            return []
        keys, off, tok = self._homo
        key = y1 * 1024 + y2
        i = bisect_left(keys, key)
        if i == len(keys) or keys[i] != key:
            return []
        return [(tok[2 * j], tok[2 * j + 1]) for j in range(off[i], off[i + 1])]

    def alikes(self, ch: str) -> frozenset[int]:
        """Token ids of the characters alike to ch (errscan.similar.alikes at build time) that the model knows."""
        i = self._al_chars.find(ch) if len(ch) == 1 else -1
        if i < 0:
            return frozenset()
        return frozenset(self._al_tok[self._al_off[i] : self._al_off[i + 1]])

    def bigram(self, a: int, b: int) -> float:
        """log10 P(b | a)."""
        j = self.child(1, b, a)
        if j < 0:
            return self._bbook[1][self._bo[1][a]] + self._pbook[1][self._prob[1][b]]
        return self._pbook[2][self._prob[2][j]]

    def child(self, level: int, node: int, tok: int) -> int:
        """The index in level+1 of node's child for tok, or -1."""
        ch = self._child[level]
        lo, hi = ch[node], ch[node + 1]
        if lo == hi:
            return -1
        toks = self._tok[level + 1]
        j = bisect_left(toks, tok, lo, hi)
        return j if j < hi and toks[j] == tok else -1

    def logp(self, w: int, ctx: list[int] | tuple[int, ...]) -> float:
        """log10 P(w | ctx), ctx nearest token first (at most order-1 of them are used)."""
        n = self.order
        ctx = ctx[: n - 1]
        node, depth = w, 1
        p = self._pbook[1][self._prob[1][w]]
        for h in ctx:
            j = self.child(depth, node, h)
            if j < 0:
                break
            node, depth = j, depth + 1
            p = self._pbook[depth][self._prob[depth][j]]
        if depth > len(ctx):
            return p
        # back-off weights of the contexts longer than the match: h1 … h_L for L >= depth
        node = ctx[0]
        level = 1
        while True:
            if level >= depth:
                p += self._bbook[level][self._bo[level][node]]
            if level == len(ctx):
                break
            j = self.child(level, node, ctx[level])
            if j < 0:
                break
            node, level = j, level + 1
        return p

    def encode(self, clause: str) -> list[int]:
        """Token ids of a clause (Han characters, <num>, <lat>, anything else <unk>), without <s> and </s>."""
        return list(map(self._code.get, clause, repeat(UNK, len(clause))))

    def score(self, ids: list[int]) -> list[float]:
        """log10 P of each token of <s> ids </s> given its history (len(ids)+1 values, the last for </s>)."""
        seq = [BOS, *ids, EOS]
        n = self.order
        out = []
        for i in range(1, len(seq)):
            ctx = seq[max(0, i - n + 1) : i][::-1]
            out.append(self.logp(seq[i], ctx))
        return out


@dataclass(frozen=True)
class Suspect:
    """A character that the model finds far less likely than an alike one (code-point offsets)."""

    start: int
    end: int
    text: str  # the character as written
    suggestion: str
    score: float  # log10 gain in the probability of the clause when replaced
    severity: int  # 1 info, 2 warning (3 error is never given by a statistical guess)
    message: str
    relation: str = ""  # "sound", "shape" or "both" (errscan.similar.relation)


# Thresholds (log10 of the clause-probability gain). Chosen on the project's development set (the training
# split of ECSpell's official-document domain, ../shared/data/dev; its test split is never used) and the clean
# corpus (see bench/bench_lm_dev.py); few on purpose, so that they carry over to held-out text.
INFO = 5.0
WARNING = 8.0
DISSIMILAR = 11.0  # a replacement neither sound- nor shape-alike, where both bigrams around the character are
# unseen (退牧还草 reads 10^10 better as 退耕还草 to this model: a dissimilar guess needs more than that)
SEEN = 5.5  # a character whose two bigrams are both in the model: its replacement needs 10^5.5 (来取 -> 采取) …
SEEN_BIGRAM = -5.5  # … and is only tried where those bigrams read below 10^-5.5 (speed: most characters read above)
KNOWN_WORD = 15  # jieba frequency from which a dictionary word as written is taken to be meant
MIN_CLAUSE = 4  # shorter runs (names in lists, headings) are not judged
OTHER_UNSEEN = 0.15  # a clause whose bigrams are unseen by the model beyond this share, apart from those next to
# its suspects, is out of the model's reach (names, foreign words, lists, word salad) …
EXPLAIN = 4  # … and the suspects may explain this many (two slips)
WORD_GAIN = 3.0  # a character inside a dictionary word is reported only if the replacement forms a word this much
# more frequent (jieba's dictionary counts), or, as a hint, where the clause reads WARNING better with it
PAIR = 6.5  # a same-sounding two-character word in place of the pair as written needs 10^6.5 (征服 for 政府) …
PAIR_UNSEEN = 7.0  # … and 10^7 where none of the three bigrams around the pair as written is in the model: a word
# the model has not met (荡涤, 纷呈 read 10^6.6 worse than 当地, 分成; 亟需 reads 10^7 worse than 继续 after 廉政建设)
PAIR_SEEN_BIGRAM = -7.0  # speed only: where the three bigrams around a pair are all in the model, the pair is tried
# only where they read below 10^-7 together (83% of such pairs in prose read above; 人民征服应当: 10^-9.8) …
PAIR_PRE_GAIN = 1.0  # … and a replacement word must improve those three bigrams this much to be scored in full …
PAIR_PRE_KEEP = 4  # … the best this many by that gain
ROUNDS = 2  # searches of a clause again with the slips found so far corrected
BACKGROUND_FROM = 50_000  # characters from which start() searches on another thread
PIECE = 32_768  # characters: start()'s pieces, taken in turn by the two threads
LONG_TEXT = 20_000  # speed only: from this length on, every token's left neighbours are loaded at once
PRE_GAIN = 0.5  # speed only: the bigram gain a replacement needs before it is scored in full …
PRE_KEEP = 3  # … and how many of the best by that gain are
PRE_KEEP_ANY = 8  # … among any characters (DISSIMILAR): more, as the neighbours alone say less …
ANY_PRE_GAIN = 3.0  # … and their bigram gain must be large already
NUMERALS = frozenset("零〇一二三四五六七八九十百千万亿两")
SPECIAL_IDS = frozenset(range(LAT + 1))  # never a suggestion

HAN_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0x3007, 0x3007), (0xF900, 0xFAFF))
CLAUSE_RANGES = (*HAN_RANGES, (0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A), (0xFF10, 0xFF19), (0xFF21, 0xFF3A),
                 (0xFF41, 0xFF5A))  # Han characters, digits, latin letters (ASCII and full width)


def _class(ranges: tuple[tuple[int, int], ...]) -> str:
    return "[" + "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in ranges) + "]"


@functools.cache
def _clause_re() -> re.Pattern[str]:
    """Runs of clause characters; compiled when first needed (~2 ms: long texts and the pure-Python search)."""
    return re.compile(_class(CLAUSE_RANGES) + "+")


@functools.cache
def _han_re() -> re.Pattern[str]:
    return re.compile(_class(HAN_RANGES))


def scan_params() -> tuple:
    """The compiled search's settings, in the order of _lmscan.scan's third argument."""
    return (
        INFO, DISSIMILAR, SEEN, SEEN_BIGRAM, PAIR, PRE_GAIN, ANY_PRE_GAIN, OTHER_UNSEEN, PRE_KEEP, PRE_KEEP_ANY,
        MIN_CLAUSE, EXPLAIN, PAIR_SEEN_BIGRAM, PAIR_PRE_GAIN, PAIR_PRE_KEEP, PAIR_UNSEEN,
    )


def _pieces(text: str, size: int) -> list[tuple[int, int]]:
    """text cut into spans of about `size` characters, each cut after a clause (no clause spans two)."""
    out, lo = [], 0
    while lo < len(text):
        hi = min(len(text), lo + size)
        m = _clause_re().match(text, hi) if hi < len(text) and _clause_re().match(text, hi - 1) else None
        if m:  # inside a clause: cut at its end
            hi = m.end()
        out.append((lo, hi))
        lo = hi
    return out


def _best(scored: list[tuple[float, int]], keep: int) -> list[tuple[float, int]]:
    scored.sort(reverse=True)  # always: the order breaks ties between equally probable replacements
    del scored[keep:]
    return scored


class Detector:
    """Clause-by-clause search for one-character slips (see detect)."""

    def __init__(self, lm: Model) -> None:
        self.lm = lm
        self._alike: dict[str, frozenset[int]] = {}

    def alike_ids(self, ch: str) -> frozenset[int]:
        got = self._alike.get(ch)
        if got is None:
            got = self._alike[ch] = self.lm.alikes(ch)
        return got

    def detect(self, text: str) -> list[Suspect]:
        return self.finish(self._pass(text))

    def start(self, text: str) -> Callable[[], list[Suspect]]:
        """detect(text) begun on another thread where the compiled search runs (it lets Python run meanwhile:
        the lists' scan of the same text, on the other core); the function returned joins in the search of what
        is left, waits and gives the result. The text is searched in pieces cut between clauses, taken in turn
        by whichever thread is free: the same suspects as one search of the whole."""
        if _lmscan is None or os.environ.get("ERRSCAN_PURE") or len(text) < BACKGROUND_FROM:
            found = self.detect(text)
            return lambda: found
        self.lm.tables()  # made here, not on two threads at once
        pieces = _pieces(text, PIECE)
        limit = deadline.limit()  # the caller's time limit (the service's): both threads stop taking pieces
        # The compiled search takes the pieces itself, from a cursor both threads share: between pieces it
        # needs no GIL (which the main thread, busy with the lists, would hand over only every few ms).
        bounds = array("q", [lo for lo, _ in pieces] + [len(text)])
        cursor = array("q", [0])
        got: list = [None, None]  # each thread's suspects, or the exception it met

        def work(slot: int) -> None:
            try:
                got[slot] = self._pass(text, (bounds, cursor, limit or 0.0))
            except BaseException as exc:  # handed to the caller
                got[slot] = exc

        worker = threading.Thread(target=work, args=(0,), name="errscan-lm", daemon=True)
        worker.start()

        def wait() -> list[Suspect]:
            work(1)
            worker.join()
            deadline.check()  # over the limit: pieces were left unsearched, and the check ends here
            for part in got:
                if isinstance(part, BaseException):
                    raise part
            # in the order one search gives: by piece, and within a piece as found
            return self.finish([s for _, s in sorted(got[0] + got[1], key=lambda x: x[0])])

        return wait

    def finish(self, raw: list[tuple[int, int, str, str, float, str]]) -> list[Suspect]:
        """The second searches and the confirmation of one pass's raw suspects."""
        if not raw:
            return []
        for _ in range(ROUNDS):  # a clause with a slip is searched again with its slips corrected (墙画: 强画 → 强化)
            more = []
            clauses: dict[int, tuple[str, dict[int, str]]] = {}
            for off, i, clause, sugg, _gain, _ctx in raw:
                clauses.setdefault(off, (clause, {}))[1][i] = sugg
            for off, (clause, fixes) in clauses.items():
                chars = list(clause)
                for i, sugg in fixes.items():
                    chars[i : i + len(sugg)] = sugg
                fixed = "".join(chars)
                covered = {i + j for i, sugg in fixes.items() for j in range(len(sugg))}
                for _o, i, _c, sugg, gain, _x in self._pass(fixed):
                    if covered.isdisjoint(range(i, i + len(sugg))):
                        more.append((off, i, clause, sugg, gain, fixed))
            if not more:
                break
            raw = sorted(raw + more)
        return self._confirm(raw)

    def _pass(self, text: str, pieces: tuple | None = None) -> list:
        """One search of every clause: (clause offset, index in the clause, the clause, suggestion, gain, "").
        With `pieces` (bounds, cursor, time limit: compiled search only), of the pieces this call takes, as
        (piece index, suspect) pairs."""
        if _lmscan is not None and not os.environ.get("ERRSCAN_PURE"):
            lm = self.lm
            specials = len(lm.header["specials"])
            params = scan_params()
            vocab = lm.vocab

            def suspect(off: int, m: int, i: int, c: int, gain: float, d: int) -> tuple:
                word = vocab[c - specials] + (vocab[d - specials] if d >= 0 else "")
                return off, i, text[off : off + m], word, gain, ""

            found = _lmscan.scan(text, lm.tables(), params, *(pieces or ()))
            if pieces is not None:
                return [(q, suspect(*rest)) for *rest, q in found]
            return [suspect(*f) for f in found]
        raw: list[tuple[int, int, str, str, float, str]] = []
        lefts = self.lm.all_lefts() if len(text) >= LONG_TEXT else None
        for m in _clause_re().finditer(text):
            s = m.group()
            if len(s) >= MIN_CLAUSE:
                self._clause(s, m.start(), raw, lefts)
        return raw

    def _clause(self, s: str, off: int, out: list, lefts: list[frozenset[int]] | None) -> None:
        lm = self.lm
        succ, left = lm.succ, lm.left
        seq = [BOS, *lm.encode(s), EOS]
        n = len(seq)
        if lefts is None:
            unseen = [k for k in range(n - 1) if seq[k] not in left(seq[k + 1])]
        else:
            unseen = [k for k, (x, y) in enumerate(pairwise(seq)) if x not in lefts[y]]
        if len(unseen) - EXPLAIN > OTHER_UNSEEN * (n - 1):
            return
        # unseen bigrams the suspect itself must explain: with more, each suspect explains both of its own
        limit = min(2, len(unseen) - OTHER_UNSEEN * (n - 1))
        every = limit <= 0  # so few unseen bigrams that any character may be the slip, not only one next to them
        holes = set(unseen)
        order = lm.order
        logp, bigram = lm.logp, lm.bigram
        base: dict[int, float] = {}

        def window(k: int, hi: int) -> float:
            """log10 P of the tokens k..hi as written, each computed once per clause."""
            old = 0.0
            for j in range(k, hi + 1):
                v = base.get(j)
                if v is None:
                    v = base[j] = logp(seq[j], seq[max(0, j - order + 1) : j][::-1])
                old += v
            return old

        best_of_clause: list[tuple[float, int, int]] = []
        ks = range(1, n - 1) if every else sorted({k for j in unseen for k in (j, j + 1) if 0 < k < n - 1})
        han = _han_re().match
        for k in ks:
            ch = s[k - 1]
            seen = (k - 1) not in holes and k not in holes
            if ch in NUMERALS or not han(ch) or ((k - 1) in holes) + (k in holes) < limit:
                continue
            a, t, b = seq[k - 1], seq[k], seq[k + 1]
            if a in (NUM, LAT) or b in (NUM, LAT):  # next to a number or a code: the model sees only <num>
                continue
            if seen and bigram(a, t) + bigram(t, b) > SEEN_BIGRAM:
                continue
            lb = left(b)
            alike = self.alike_ids(ch)
            # unseen on both sides: besides the alike characters, any that fits both neighbours (国冢机关: 冢 and
            # 家 share 豕, which the shape table misses), on overwhelming evidence only (DISSIMILAR)
            any_char = (k - 1) in holes and k in holes
            sa = succ(a)
            # bigram pre-score: a replacement that does not even improve its two bigrams is not scored in full
            o2 = bigram(a, t) + bigram(t, b) + PRE_GAIN
            pre = _best([(g, c) for c in alike & sa if c in lb and (g := bigram(a, c) + bigram(c, b)) > o2], PRE_KEEP)
            if any_char:
                others = (sa & lb) - alike - SPECIAL_IDS
                o3 = o2 + ANY_PRE_GAIN
                pre += _best([(g, c) for c in others if (g := bigram(a, c) + bigram(c, b)) > o3], PRE_KEEP_ANY)
            if not pre:
                continue
            hi = min(k + order - 1, n - 1)
            old = window(k, hi)
            top, top_c = -1e9, -1
            for _g, c in pre:
                new = 0.0
                for j in range(k, hi + 1):
                    if j == k:
                        new += logp(c, seq[max(0, j - order + 1) : j][::-1])
                    else:
                        ctx = seq[max(0, j - order + 1) : j][::-1]
                        ctx[j - k - 1] = c
                        new += logp(seq[j], ctx)
                if new > top and new - old >= (SEEN if seen else INFO if c in alike else DISSIMILAR):
                    top, top_c = new, c
            if top_c >= 0:
                best_of_clause.append((top - old, k, top_c))
        taken: list[int] = []
        vocab, specials = lm.vocab, len(lm.header["specials"])
        for gain, k, c in sorted(best_of_clause, reverse=True):  # one suspect per unseen bigram
            if all(abs(k - t) > 1 for t in taken):
                taken.append(k)
                out.append((off, k - 1, s, vocab[c - specials], gain, ""))
        # two characters a pinyin input method chose for a word that sounds the same (淡味 for 单位, 征服 for 政府).
        # Where the three bigrams around them are all in the model, a replacement's three must be too, and only
        # those that improve them by PAIR_PRE_GAIN are scored in full, the PAIR_PRE_KEEP best (speed).
        pairs: list[tuple[float, int, int, int]] = []
        for k in range(1, n - 2):
            t1, t2 = seq[k], seq[k + 1]
            if t1 in (BOS, EOS, NUM, LAT) or t2 in (BOS, EOS, NUM, LAT):
                continue
            seen_pair = (k - 1) not in holes and k not in holes and (k + 1) not in holes
            if seen_pair:
                a, b = seq[k - 1], seq[k + 2]
                o3 = bigram(a, t1) + bigram(t1, t2) + bigram(t2, b)
                if o3 > PAIR_SEEN_BIGRAM:
                    continue
                o3 += PAIR_PRE_GAIN
            words = lm.homophones(s[k - 1], s[k])
            if not words:
                continue
            if seen_pair:
                scored = [(g, x, y) for x, y in words if x != t1 and y != t2 and self.seen(x, y) and self.seen(a, x)
                          and self.seen(y, b) and (g := bigram(a, x) + bigram(x, y) + bigram(y, b)) > o3]
                if not scored:
                    continue
                scored.sort(reverse=True)
                words = [(x, y) for _g, x, y in scored[:PAIR_PRE_KEEP]]
            hi = min(k + order, n - 1)
            old = window(k, hi)
            top, top_w = -1e9, None
            bar = PAIR_UNSEEN if (k - 1) in holes and k in holes and (k + 1) in holes else PAIR
            for x, y in words:
                if x == t1 or y == t2 or not self.seen(x, y):
                    continue
                alt = [*seq[max(0, k - order + 1) : k], x, y, *seq[k + 2 : hi + 1]]
                lo = max(0, k - order + 1)
                new = 0.0
                for j in range(k, hi + 1):
                    new += logp(alt[j - lo], alt[max(0, j - order + 1) - lo : j - lo][::-1])
                if new > top and new - old >= bar:
                    top, top_w = new, (x, y)
            if top_w is not None:
                pairs.append((top - old, k, *top_w))
        for gain, k, x, y in pairs:  # overlapping ones too: _confirm keeps the best that holds
            out.append((off, k - 1, s, vocab[x - specials] + vocab[y - specials], gain, ""))

    def seen(self, a: int, b: int) -> bool:
        """Whether the model holds the bigram a b."""
        return a in self.lm.left(b)

    def _confirm(self, raw: list) -> list[Suspect]:
        """Drop slips that only turn one dictionary word into another not much more frequent; word the rest."""
        from errscan.lexicon.generate import FUNCTION
        from errscan.similar import read_alike, relation
        from errscan.words import words

        dt = words()
        seg: dict[str, list[str]] = {}

        def word_at(clause: str, i: int) -> tuple[str, int]:
            toks = seg.get(clause)
            if toks is None:
                toks = seg[clause] = dt.cut(clause)
            pos = 0
            for w in toks:
                if pos <= i < pos + len(w):
                    return w, pos
                pos += len(w)
            return clause[i], i

        def inside(clause: str, i: int, size: int) -> int:
            """The length of the token of the clause's cut that holds clause[i : i + size], or 0."""
            pos = 0
            for w in seg.get(clause) or seg.setdefault(clause, dt.cut(clause)):
                if pos <= i and i + size <= pos + len(w):
                    return len(w)
                if pos > i:
                    return 0
                pos += len(w)
            return 0

        out: list[Suspect] = []
        # single characters first, then same-sounding pairs, the most probable first
        for off, i, clause, sugg, gain, context in sorted(raw, key=lambda r: (len(r[3]), -r[4] * (len(r[3]) > 1))):
            context = context or clause  # the clause with the slips found before this one corrected
            if len(sugg) == 2:  # a same-sounding word (淡味 → 单位)
                pair = clause[i : i + 2]
                if any(s.start < off + i + 2 and off + i < s.end for s in out):
                    continue  # a character of the pair is a slip of its own
                if inside(context, i, 1) >= 3 or inside(context, i + 1, 1) >= 3:
                    continue  # part of a longer word as written (迎刃而解)
                if not inside(context[:i] + sugg + context[i + 2 :], i, 2):
                    continue  # corrected, the pair must read as (part of) one word
                sev = 2 if gain >= WARNING else 1
                msg = f"疑似错词：“{pair}”可能应为同音的“{sugg}”"
                out.append(Suspect(off + i, off + i + 2, pair, sugg, round(gain, 2), sev, msg, "sound"))
                continue
            ch = clause[i]
            fixed = context[:i] + sugg + context[i + 1 :]
            w, _p = word_at(context, i)
            w2, p2 = word_at(fixed, i)
            # one dictionary word into another not much more frequent: dropped, unless the model is overwhelming
            # (登基管理机关 reads 10^11.6 worse than 登记); then a hint only
            swap = len(w) >= 2 and len(w2) >= 2 and dt.freq(w2) < WORD_GAIN * dt.freq(w)
            if len(w) >= 2 and (len(w2) < 2 or (swap and gain < WARNING)):
                continue
            if len(w) >= 2 and dt.freq(w) >= KNOWN_WORD and gain < WARNING and not (
                gain >= PAIR and dt.freq(w2) > dt.freq(w) and read_alike(w, w2)
            ):
                # a word in common use (魄力, 收尾, 攸关) is no slip, unless the model is overwhelming — or reads
                # the clause as far better as it must for a same-sounding word (PAIR) with a more frequent word
                # that reads alike (退出机智 → 机制, 背景审察 → 审查: a pinyin input method's choice)
                continue
            if ch in FUNCTION and sugg in FUNCTION and len(w2) < 2:
                continue  # 或/和, 的/地: the writer's choice between function words (not 林也 → 林地: a word)
            if len(w2) >= 2:
                shown = clause[p2 : p2 + len(w2)]
            else:
                shown = clause[max(0, i - 1) : i + 2]
            rel = relation(ch, sugg) or ""
            sev = 2 if gain >= WARNING and rel and not swap else 1  # no sound or shape evidence: only a hint
            kind = {"sound": "音近", "shape": "形近", "both": "音形皆近"}.get(rel, "")
            msg = f"疑似错字：“{shown}”中的“{ch}”可能应为“{sugg}”" + (f"（{kind}）" if kind else "")
            out.append(Suspect(off + i, off + i + 1, ch, sugg, round(gain, 2), sev, msg, rel))
        return sorted(out, key=lambda s: s.start)


_model: Model | None = None
_lock = threading.Lock()


def available() -> bool:
    """Whether the shipped model file is present."""
    return MODEL_PATH.is_file()


def model() -> Model:
    """The shipped model, mapped on first use."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = Model(MODEL_PATH)
    return _model


_detector: Detector | None = None


def _shared() -> Detector:
    global _detector
    if _detector is None:
        _detector = Detector(model())
    return _detector


def detect(text: str) -> list[Suspect]:
    """Suspected one-character slips in text, in order: clause by clause, against the shipped model."""
    return _shared().detect(text)


def start(text: str) -> Callable[[], list[Suspect]]:
    """detect(text), begun: call the function returned for its result (Detector.start)."""
    return _shared().start(text)


_BOUNDARY = re.compile(r"[\s，。；：、！？（）《》“”‘’\"'()\[\]{}<>,.;:!?]")


def gain(text: str, start: int, end: int, replacement: str, reach: int = 8) -> float | None:
    """How much more probable (log10) the clause around text[start:end] reads with `replacement` there:
    a second opinion on another detector's suggestion. None without the model."""
    if not available():
        return None
    lm = model()
    lo = start
    while lo > 0 and start - lo < reach and not _BOUNDARY.match(text[lo - 1]):
        lo -= 1
    hi = end
    while hi < len(text) and hi - end < reach and not _BOUNDARY.match(text[hi]):
        hi += 1
    written = text[lo:hi]
    fixed = text[lo:start] + replacement + text[end:hi]
    return sum(lm.score(lm.encode(fixed))) - sum(lm.score(lm.encode(written)))
