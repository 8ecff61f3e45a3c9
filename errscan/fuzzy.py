"""Approximate matching of what must be written exactly: near-misses of names, divisions and idioms.

The canonical strings are the protected lists (wordlists/protected-*.yaml, read from the installed lists), the
divisions to county level and jieba's idioms and set phrases (errscan/data/fuzzy.tsv, tools/build_fuzzy.py).
``find(text)`` reports every place where the text is one edit away from one of them — a character replaced by
any other, one left out or added inside, two neighbours swapped — or where a name's two halves are exchanged
(一路一带), and where the result is neither a word nor a name itself and the clause reads better corrected.

How it stays linear: a single edit in a string s leaves
one of the pieces around it intact. Keys are byte strings of a pyahocorasick automaton: the text's UTF-32-LE code
units carried as latin-1 (errscan/lexicon/compile.py uses UTF-8 the same way; four bytes a character make offsets
a division, with no decoding to map them back). The contiguous automaton holds s[1:] and s[:-1] (a replaced end
character) and the few explicit variants (omissions, exchanged halves); a second one runs over the text's even
and odd characters, where two characters two apart are neighbours, and holds (s[i-1], s[i+1]) for a replaced s[i]
(新家坡: 新_坡) and (s[j-1], s[j]) for an added character or a swap. Each hit is verified by comparing the rest
of the string in place. Candidates are then checked with jieba (segmentation of the clause, word frequencies).

The index is made at first use (about a second) and cached under ERRSCAN_CACHE_DIR or the user cache directory.
"""

from __future__ import annotations

import bisect
import hashlib
import itertools
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import errscan.similar as similar
from errscan.lexicon.generate import FUNCTION
from errscan.model import Severity

__all__ = ["SETS", "Near", "find"]

DATA = Path(__file__).resolve().parent / "data" / "fuzzy.tsv"
FORMAT = 9  # bump when the index layout or its rules change: part of the cache key
# set -> (label in messages, serious)
SETS = {
    "name": ("名称", True),
    "formulation": ("重要表述", True),
    "leader": ("领导人姓名", True),
    "country": ("国名", True),
    "division": ("行政区划名称", True),
    "core": ("名称", True),
    "idiom": ("成语", False),
    "phrase": ("惯用语", False),
    "term": ("常用术语", False),
    "compound": ("固定搭配", False),
}
LIST_SETS = {
    "protected-names": "name", "protected-formulations": "formulation", "protected-leaders": "leader",
    "protected-countries": "country", "protected-divisions": "division",
}
JIEBA_SLIP = ("著", "着")  # jieba's idioms write 卓着 for 卓著: never suggest it
SUFFIX_CHARS = frozenset("省市县区旗盟州")  # a division's suffix: replacing it names another kind of division
KINDS = ("substitute", "omit", "insert", "transpose", "swap")
# How much more probable (natural log, jieba's unigram route) the corrected clause must be than the written one.
# Keyed by (serious, evidence): an alike replacement is the likely slip and needs less; a dissimilar one more.
MARGIN = {
    (True, "alike"): 3.0, (True, "other"): 6.0, (True, "order"): 4.0, (True, "length"): 5.0,
    (False, "alike"): 4.0, (False, "other"): 9.0, (False, "order"): 5.0, (False, "length"): 8.0,
}
KEY = 4  # characters of a contiguous key: enough to be rare, short enough to share the automaton's nodes
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
CHUNK = 1 << 20  # characters scanned at a time: the four-byte copy of a large text is made a piece at a time
WINDOW = 8  # characters of context on each side for the probability comparison
# Exchanged halves are words in another order (一路 一带): the unigram route cannot prefer either; not worse suffices.
SWAP_MARGIN = -0.5


@dataclass(frozen=True, order=True)
class Near:
    """One near-miss: text[start:end] as written, and the canonical form it should be."""

    start: int  # code-point offsets into the text
    end: int
    text: str
    suggest: str
    kind: str  # substitute | omit | insert | transpose | swap
    set: str  # name | formulation | leader | country | division | idiom | phrase
    severity: Severity
    message: str
    relation: str | None = None  # for a substitution: "sound", "shape", "both" or None (dissimilar)


# ---------------------------------------------------------------------------------------------------------------
# The index


def _b(s: str) -> str:
    return s.encode("utf-16-le").decode("latin-1")


def _cjk3(s: str) -> bool:
    """Every character takes three UTF-8 bytes and is a CJK ideograph: byte arithmetic holds."""
    return bool(s) and all("\u4e00" <= c <= "\u9fff" for c in s)


class Index:
    """Canonical strings, the exempt set, and the two automata that find their near-misses.

    ``contiguous`` (over the text): for a string s of n characters, s[1:] and s[:-1] (a replaced first or last
    character), and explicit variants: s[1] s[0] s[2:], the internal omissions where allowed, exchanged halves.
    ``gapped`` (over the text's even and odd characters, so two characters two apart are adjacent): the pair
    around each inner position (s[i-1], s[i+1]) for a replaced s[i], and each adjacent pair (s[j-1], s[j]) for a
    character added between them or for s[j], s[j+1] swapped.
    """

    def __init__(self, canon: list[tuple[str, str]], known: set[str], variants: list[tuple[str, str]] = ()):
        self.variants: dict[tuple[str, str], list[tuple[str, str, int]]] = {}
        for variant, standard in variants:  # 成份/成分: keyed by the differing characters, both ways
            if len(variant) == len(standard):
                for at, (a, b) in enumerate(zip(variant, standard, strict=True)):
                    if a != b:
                        self.variants.setdefault((a, b), []).append((variant, standard, at))
                        self.variants.setdefault((b, a), []).append((standard, variant, at))
        self.names: list[str] = []
        self.sets: list[str] = []
        seen: dict[str, int] = {}
        for set_name, s in canon:
            if s in seen or not _cjk3(s) or len(s) < (2 if set_name == "core" else 3):
                continue
            seen[s] = len(self.names)
            self.names.append(s)
            self.sets.append(set_name)
        self.known = frozenset(known | set(seen))
        # 1 where only a sound- or shape-alike replacement is reported (_allowed): checked as the hit is found
        self.alike_only = bytes(
            int(not SETS[t][1] or t == "leader" or len(s) <= 3) for t, s in zip(self.sets, self.names, strict=True)
        )
        contiguous: dict[str, list[object]] = {}
        gapped: dict[str, list[int]] = {}
        for eid, s in enumerate(self.names):
            n = len(s)
            set_name = self.sets[eid]
            if n == 2:  # alike replacements only, keyed explicitly
                for i, ch in enumerate(s):
                    for other in similar.alikes(ch):
                        v = s[:i] + other + s[i + 1 :]
                        contiguous.setdefault(v, []).append(("C", eid, i, other, 2))
                continue
            size = min(KEY, n - 1)
            contiguous.setdefault(s[1 : 1 + size], []).append(4 * eid)  # s[0] replaced
            contiguous.setdefault(s[n - 1 - size : n - 1], []).append(4 * eid + 1)  # s[-1] replaced
            self._explicit(contiguous, eid, "transpose", 0, 0)
            for i in range(1, n - 1):  # a replaced s[i]: s[i-1] and s[i+1] two apart in the text
                _gap(gapped, s, eid, i, 0)
            if _inserts(set_name, n):
                for j in range(1, n):  # s[j-1] and s[j] two apart: a character added, or s[j], s[j+1] swapped
                    _gap(gapped, s, eid, j, 1)
            if _omits(set_name, n):
                for i in range(1, n - 1):
                    if s[i] != s[i - 1]:
                        self._explicit(contiguous, eid, "omit", i, i)
            if SETS[set_name][1] and n >= 4:
                k = n // 2
                self._explicit(contiguous, eid, "swap", k, n - k)
        self.reach = KEY
        self.contiguous, self.c_actions = _automaton(contiguous)
        self.gapped, self.g_actions = _automaton(gapped)

    def _explicit(self, keys: dict[str, list[object]], eid: int, kind: str, pos: int, focus: int) -> None:
        """Key a variant by up to KEY of its characters around `focus`; the hit is checked against all of it."""
        v = _variant(self.names[eid], kind, pos)
        if v == self.names[eid]:
            return
        size = min(KEY, len(v))
        a = max(0, min(focus - KEY // 2, len(v) - size))
        keys.setdefault(v[a : a + size], []).append(("X", eid, kind, pos, a + size))


def _gap(keys: dict[str, list[int]], s: str, eid: int, i: int, insert: int) -> None:
    """Key a pair two apart in the text (found over its even or odd characters): s[i-1], s[i+1] around a replaced
    s[i], or s[i-1], s[i] around an added character. A pair of common characters is shared by hundreds of
    strings, so a third character of the same parity joins the key where the string has one: s[i-3] on the
    left, else on the right (where an added character and a swap of s[i], s[i+1] need keys of their own).
    Packed: eid, position, whether the key reaches right, replaced (0) / added or swapped (1)."""
    n = len(s)
    a, b = (s[i - 1], s[i + 1]) if not insert else (s[i - 1], s[i])
    keyed: list[tuple[str, int]]
    if i >= 3:
        keyed = [(s[i - 3] + a + b, 0)]
    elif not insert:
        keyed = [(a + b + s[i + 3], 1)] if i + 3 < n else [(a + b, 0)]
    elif i + 2 < n:  # added: s[i+1] two after s[i]; swapped: s[i+2] two after s[i]
        keyed = [(a + b + s[i + 2], 1), (a + b + s[i + 3], 1) if i + 3 < n else (a + b, 0)]
    else:
        keyed = [(a + b, 0)]
    for key, right in keyed:
        keys.setdefault(key, []).append(((eid * 64 + i) * 2 + right) * 2 + insert)


def _inserts(set_name: str, n: int) -> bool:
    """Whether an added character (or two swapped inside the string) is worth looking for: _allowed reports
    neither in idioms' neighbours (phrases, terms, compounds) nor in strings of three characters or fewer
    except as a swap."""
    if SETS[set_name][1]:
        return set_name != "leader"
    return set_name == "idiom" or n <= 3


def _variant(s: str, kind: str, pos: int) -> str:
    if kind == "transpose":
        return s[:pos] + s[pos + 1] + s[pos] + s[pos + 2 :]
    if kind == "omit":
        return s[:pos] + s[pos + 1 :]
    return s[pos:] + s[:pos]  # swap


def _omits(set_name: str, n: int) -> bool:
    """Whether a character left out of a string of this set and length is worth looking for."""
    if set_name in ("leader", "compound", "core"):
        return False
    return n >= (4 if SETS[set_name][1] else 5)


def _automaton(keys: dict[str, list]) -> tuple[object, list[tuple]]:
    """A byte-level automaton (UTF-16-LE carried as latin-1) whose values stand for actions.

    A key with one packed-integer action stores it directly as ``2 * code + 1``; any other key stores
    ``2 * index`` into the returned list of action tuples (fewer Python objects: the index stays small).
    """
    import ahocorasick

    auto = ahocorasick.Automaton(ahocorasick.STORE_INTS)
    actions: list[tuple] = []
    for key, acts in keys.items():
        if len(acts) == 1 and isinstance(acts[0], int):
            auto.add_word(_b(key), 2 * acts[0] + 1)
        else:
            auto.add_word(_b(key), 2 * len(actions))
            actions.append(tuple(acts))
    if keys:
        auto.make_automaton()
    return auto, actions


def _actions(table: list[tuple], value: int) -> tuple:
    return (value >> 1,) if value & 1 else table[value >> 1]


def _read_sets() -> tuple[list[tuple[str, str]], set[str], list[tuple[str, str]], list[bytes]]:
    """(canonical (set, string) pairs, exempt strings, variant pairs, the bytes that key the cache)."""
    from errscan.lexicon.compile import builtin_dir
    from errscan.lexicon.load import load_list

    canon: list[tuple[str, str]] = []
    known: set[str] = set()
    blobs = [f"{FORMAT}".encode()]
    for list_id, set_name in LIST_SETS.items():
        path = builtin_dir() / f"{list_id}.yaml"
        if not path.is_file():
            continue
        blobs.append(path.read_bytes())
        wl = load_list(path, builtin=True)
        for c in wl.canonical:
            canon.append((set_name, c.name))
            known.update(c.exclude)
    suggested: list[tuple[str, str]] = []  # the hand-written lists' corrections (美轮美奂): after the shipped sets
    variants: list[tuple[str, str]] = []
    for path in sorted(builtin_dir().glob("*.yaml")):
        if path.stem in LIST_SETS:
            continue
        blobs.append(path.read_bytes())
        for entry in load_list(path, builtin=True).entries:
            suggested.extend(("phrase", s) for s in entry.suggest if len(s) >= 4)
            if entry.category == "variant":
                variants.extend((entry.match, s) for s in entry.suggest)
    raw = DATA.read_bytes()
    blobs.append(raw)
    for line in raw.decode("utf-8").splitlines():
        if not line or line[0] == "#":
            continue
        set_name, s = line.split("\t")
        if set_name in ("known", "attested"):
            known.add(s)
        else:
            canon.append((set_name, s))
    return canon + suggested, known, variants, blobs


def _sources_digest() -> str:
    """The cache key: the bytes of every file the index is made from (the built-in lists, fuzzy.tsv), not parsed:
    a cached index loads without reading a single list (parsing them costs more than the index itself)."""
    from errscan.lexicon.compile import builtin_dir

    h = hashlib.sha256(f"{FORMAT}".encode())
    for path in sorted(builtin_dir().glob("*.yaml")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    h.update(DATA.read_bytes())
    return h.hexdigest()[:32]


_index: Index | None = None
_lock = threading.Lock()


def index(cache: bool = True) -> Index:
    """The index, from the on-disk cache when the sets have not changed; made once per process."""
    global _index
    if _index is not None:
        return _index
    with _lock:
        if _index is None:
            from errscan.lexicon.compile import _cache_dir, read_pickle, write_pickle

            path = _cache_dir() / f"fuzzy-{_sources_digest()}.pickle"
            idx = read_pickle(path) if cache else None
            if not isinstance(idx, Index):
                canon, known, variants, _ = _read_sets()
                idx = Index(canon, known, variants)
                if cache:
                    write_pickle(path, idx, keep=2)
            _index = idx
    return _index


# ---------------------------------------------------------------------------------------------------------------
# Candidates: (start, end, entry id, kind, position in the canonical string), in code points


def _units(text: str) -> str:
    """The text as UTF-16-LE code units carried as latin-1: two bytes a character of the Basic Multilingual Plane."""
    return text.encode("utf-16-le", "surrogatepass").decode("latin-1")


def _char_hits(auto: object, run: str, reach: int) -> list[tuple[int, int]]:
    """(code-point index just past the key, action index) for every hit in `run`, scanned in overlapping chunks.

    Keys are CJK only, two bytes a character: a hit at an odd byte offset straddles characters and is dropped;
    characters beyond the BMP take two units, and are counted back out.
    """
    out: list[tuple[int, int]] = []
    it = auto.iter  # type: ignore[attr-defined]
    for base in range(0, len(run), CHUNK):
        piece = run[base : base + CHUNK + reach]
        astral = [m.start() + k for k, m in enumerate(_ASTRAL.finditer(piece))]  # their unit offsets
        for end, value in it(_units(piece)):
            if end % 2 == 0:
                continue
            unit = (end + 1) // 2
            stop = unit - bisect.bisect_left(astral, unit) if astral else unit
            if base and stop <= reach:
                continue  # inside the overlap: the previous chunk reported it
            out.append((base + stop, value))
    return out


def _contiguous(idx: Index, text: str, out: list) -> None:
    """Hits of a piece next to a replaced first or last character, and of explicit variants."""
    names = idx.names
    alike_only = idx.alike_only
    size_text = len(text)
    for stop, value in _char_hits(idx.contiguous, text, idx.reach):
        for act in _actions(idx.c_actions, value):
            if isinstance(act, int):
                eid, last = divmod(act, 4)
                s = names[eid]
                n = len(s)
                size = min(KEY, n - 1)
                if not last:  # s[1 : 1 + size] ends at stop: s[0] replaced
                    start = stop - size - 1
                    end = start + n
                    if start < 0 or text[start] == s[0] or text[stop:end] != s[1 + size :]:
                        continue
                    if not alike_only[eid] or similar.relation(text[start], s[0]):
                        out.append((start, end, eid, "substitute", 0))
                    continue
                start = stop - (n - 1)  # s[n-1-size : n-1] ends at stop: s[-1] replaced
                if start < 0 or stop >= size_text or text[stop] == s[-1]:
                    continue
                if text[start : stop - size] != s[: n - 1 - size]:
                    continue
                if not alike_only[eid] or similar.relation(text[stop], s[-1]):
                    out.append((start, stop + 1, eid, "substitute", n - 1))
                continue
            tag, eid, pos = act[0], act[1], act[2]
            s = names[eid]
            if tag == "C":
                out.append((stop - 2, stop, eid, "substitute", pos))
                continue
            kind, pos, tail = act[2], act[3], act[4]  # ("X", eid, kind, pos, characters up to the key's end)
            v = _variant(s, kind, pos)
            start = stop - tail
            if start >= 0 and text[start : start + len(v)] == v:
                out.append((start, start + len(v), eid, kind, pos))


def _gapped(idx: Index, text: str, out: list) -> None:
    """Hits of (a, b) two apart: a character between them replaced, added, or swapped with the one after b."""
    actions = idx.g_actions
    names = idx.names
    alike_only = idx.alike_only
    for parity in (0, 1):
        for at, value in _char_hits(idx.gapped, text[parity::2], 3):
            for code in _actions(actions, value):
                code, is_insert = divmod(code, 2)
                code, right = divmod(code, 2)
                eid, i = divmod(code, 64)
                t = parity + 2 * (at - 2 - right)  # the pair's first character in the text; the second is at t + 2
                between = text[t + 1 : t + 2]
                s = names[eid]
                start = t - i + 1
                if start < 0 or text[start:t] != s[: i - 1]:
                    continue
                if not is_insert:  # text[t] = s[i-1], text[t+1] stands for s[i], text[t+2] = s[i+1]
                    end = start + len(s)
                    if between != s[i] and text[t + 3 : end] == s[i + 2 :]:
                        if not alike_only[eid] or similar.relation(between, s[i]):
                            out.append((start, end, eid, "substitute", i))
                    continue
                # text[t] = s[i-1], text[t+2] = s[i]: text[t+1] added, or s[i] and s[i+1] swapped
                end = start + len(s)
                if text[t + 3 : end + 1] == s[i + 1 :]:
                    out.append((start, end + 1, eid, "insert", i))
                elif i + 1 < len(s) and between == s[i + 1] and text[t + 3 : end] == s[i + 2 :]:
                    out.append((start, end, eid, "transpose", i))


def candidates(text: str) -> list[tuple[int, int, str, str, str, int]]:
    """Every (start, end, canonical, set, kind, position) one edit away, before verification.

    Three-character strings give only sound- or shape-alike replacements of an end character (伊拉客): any other
    would be a candidate at every second word.
    """
    idx = index()
    spans: list = []
    _contiguous(idx, text, spans)
    _gapped(idx, text, spans)
    out = []
    seen = set()
    for start, end, eid, kind, pos in sorted(spans):
        key = (start, end, eid)
        if key not in seen:
            seen.add(key)
            out.append((start, end, idx.names[eid], idx.sets[eid], kind, pos))
    return out


# ---------------------------------------------------------------------------------------------------------------
# Verification, severity and message


class _Checker:
    """jieba's dictionary and segmentation, applied to one text's candidates."""

    def __init__(self, text: str):
        from errscan.verify import Segmenter
        from errscan.words import words

        self.text = text
        self.dt = words()
        self.seg = Segmenter(text)
        self.known = index().known

    def is_word(self, s: str) -> bool:
        return self.dt.is_word(s) or s in self.known

    def inside_longer(self, start: int, end: int) -> bool:
        """The span is part of a longer word or name written around it (赵乐际 in 赵乐际同志 is not)."""
        text = self.text
        for a in range(max(0, start - 3), start + 1):
            for b in range(end, min(len(text), end + 3) + 1):
                if (a, b) != (start, end) and self.is_word(text[a:b]):
                    return True
        return False

    def reads_as_words(self, start: int, end: int) -> bool:
        """As written, the span is whole dictionary words of two characters or more (我国 / 人民解放军)."""
        from errscan.verify import clause_bounds

        cuts = self.seg.boundaries(*clause_bounds(self.text, start, end))
        if start not in cuts or end not in cuts:
            return False
        inner = cuts[cuts.index(start) : cuts.index(end) + 1]
        return all(b - a >= 2 and self.is_word(self.text[a:b]) for a, b in itertools.pairwise(inner))

    def word_at(self, at: int) -> tuple[int, int]:
        """The token (start, end) that holds text[at], as written."""
        from errscan.verify import clause_bounds

        cuts = self.seg.boundaries(*clause_bounds(self.text, at, at + 1))
        i = bisect.bisect_right(cuts, at) - 1
        return cuts[i], cuts[i + 1] if i + 1 < len(cuts) else at + 1

    def logp(self, sentence: str) -> float:
        return self.dt.logp(sentence)

    def cuts(self, sentence: str) -> set[int]:
        cuts = {0}
        pos = 0
        for token in self.dt.cut(sentence):
            pos += len(token)
            cuts.add(pos)
        return cuts

    def reads_better(self, start: int, end: int, canonical: str, margin: float, alone: int | None = None) -> bool:
        """The clause reads better with the canonical form, which then sits on token boundaries.

        Probabilities are jieba's best route through a window of WINDOW characters around the span, as written
        and corrected. `alone`: a position in the span that must be a one-character token as written (a
        compound's slip breaks a word: 政务服务平合 = … 平 / 合; a real word there means another compound).
        """
        from errscan.verify import clause_bounds

        left, right = clause_bounds(self.text, start, end)
        if alone is not None:
            written = self.seg.boundaries(left, right)
            at = start + alone
            if at not in written or at + 1 not in written:
                return False
        lo, hi = max(left, start - WINDOW), min(right, end + WINDOW)
        clause = self.text[lo:hi]
        fixed = clause[: start - lo] + canonical + clause[end - lo :]
        if self.logp(fixed) - self.logp(clause) < margin:
            return False
        cuts = sorted(self.cuts(fixed))
        a, b = start - lo, start - lo + len(canonical)
        if a in cuts and b in cuts:
            return True
        i = bisect.bisect_right(cuts, a) - 1  # or inside one longer word (市政府)
        return i + 1 < len(cuts) and cuts[i + 1] >= b


def _detail(kind: str, written: str, canonical: str, pos: int, rel: str | None) -> str:
    if kind == "substitute":
        what = {"sound": "音近字", "shape": "形近字", "both": "音近形近字"}.get(rel or "", "")
        return f"第{pos + 1}字“{canonical[pos]}”误作{what}“{written[pos]}”"
    if kind == "omit":
        return f"漏“{canonical[pos]}”字"
    if kind == "insert":
        return f"多“{written[pos]}”字"
    if kind == "transpose":
        return f"“{canonical[pos:pos + 2]}”颠倒"
    return f"“{canonical[:pos]}”与“{canonical[pos:]}”前后颠倒"


def _grade(set_name: str, kind: str, canonical: str, rel: str | None) -> Severity:
    """Severity from the evidence: serious names are errors when the slip is a likely one; idioms and phrases
    are warnings only for a character both sound- and shape-alike, else uncertain (info)."""
    n = len(canonical)
    if not SETS[set_name][1]:
        return Severity.WARNING if kind == "substitute" and rel == "both" else Severity.INFO
    if kind == "substitute":
        if rel:
            return Severity.ERROR
        return Severity.WARNING if n >= 5 else Severity.INFO
    if kind in ("omit", "transpose", "swap"):
        return Severity.ERROR if n >= 4 else Severity.WARNING
    return Severity.WARNING if n >= 5 else Severity.INFO  # insert


def _message(severity: Severity, set_name: str, kind: str, written: str, canonical: str, pos: int,
             rel: str | None) -> str:
    detail = f"{SETS[set_name][0]}；{_detail(kind, written, canonical, pos, rel)}"
    if severity == Severity.ERROR:
        return f"“{written}”应为“{canonical}”（{detail}）"
    if severity == Severity.WARNING:
        return f"“{written}”似应为“{canonical}”（{detail}）"
    return f"“{written}”疑似“{canonical}”之误（{detail}）"


def _allowed(set_name: str, kind: str, canonical: str, pos: int, rel: str | None) -> bool:
    """The per-set rules: which edits are worth reporting at all."""
    n = len(canonical)
    if set_name == "division" and kind == "substitute" and pos == n - 1 and canonical[-1] in SUFFIX_CHARS:
        return False
    if set_name == "leader" or n <= 3:
        return (kind == "substitute" and rel is not None) or (kind == "transpose" and set_name != "leader")
    if SETS[set_name][1]:
        return True
    # idioms, phrases, terms: a dissimilar replacement or an added character is as often another phrasing
    if kind == "substitute":
        return rel is not None
    if kind == "transpose":
        return set_name == "idiom"
    return kind == "omit" and set_name != "compound" and n >= 5


def _evidence(kind: str, rel: str | None) -> str:
    if kind == "substitute":
        return "alike" if rel else "other"
    return "order" if kind in ("transpose", "swap") else "length"


PRIORITY = {name: i for i, name in enumerate(SETS)}  # serious sets first, mined compounds last


def _rank(near: Near) -> tuple:
    return (-near.severity, near.relation is None, PRIORITY[near.set], -(near.end - near.start), near.start)


def plausible(text: str, cand: tuple[int, int, str, str, str, int]) -> bool | str | None:
    """The checks that need no segmentation; False if the candidate fails them, else its relation (or None)."""
    start, end, canonical, set_name, kind, pos = cand
    written = text[start:end]
    if written == canonical or not _cjk3(written):
        return False
    rel = similar.relation(written[pos], canonical[pos]) if kind == "substitute" else None
    if kind in ("substitute", "insert") and written[pos] in FUNCTION:
        return False  # 财政都 is 财政 + 都, 祖国的和平统一 is grammar: a function character is not a slip
    if not _allowed(set_name, kind, canonical, pos, rel):
        return False
    pair = (written[pos], canonical[pos]) if kind == "substitute" else None
    if pair and (pair == JIEBA_SLIP or _variant_pair(written, canonical, pos)):
        return False  # 有效成份 / 有效成分: a variant form, the variant list's business
    if kind == "swap" and canonical in text[max(0, start - len(canonical)) : end + len(canonical)]:
        return False  # 精准扶贫精准脱贫: the canonical form is right there
    return rel


def _insert_is_other(checker: _Checker, written: str, pos: int) -> bool:
    """An added character that makes a word with a neighbour (中央宣传部部务), or doubles the first or last one."""
    if checker.is_word(written[pos - 1 : pos + 1]) or checker.is_word(written[pos : pos + 2]):
        return True
    return (pos == len(written) - 2 and written[pos] == written[-1]) or (pos == 1 and written[0] == written[1])


def _homophone(checker: _Checker, start: int, canonical: str, pos: int) -> bool:
    """The written word holding the change reads exactly as the canonical form's (主意 / 主义): an IME slip."""
    a, b = checker.word_at(start + pos)
    word, right = checker.text[a:b], canonical[a - start : b - start]
    if len(word) != len(right) or len(word) < 2:
        return False
    return all(
        {r.rstrip("012345") for r in similar.readings(x)} & {r.rstrip("012345") for r in similar.readings(y)}
        for x, y in zip(word, right, strict=True)
    )


def _variant_pair(written: str, canonical: str, pos: int) -> bool:
    for variant, standard, at in index().variants.get((written[pos], canonical[pos]), ()):
        a = pos - at
        if a >= 0 and written[a : a + len(variant)] == variant and canonical[a : a + len(standard)] == standard:
            return True
    return False


def find(text: str) -> list[Near]:
    """Near-misses of canonical names, divisions, idioms and set phrases in `text`, ordered by position."""
    cands = candidates(text)
    if not cands:
        return []
    checker: _Checker | None = None
    found: list[Near] = []
    for cand in cands:
        rel = plausible(text, cand)
        if rel is False:
            continue
        start, end, canonical, set_name, kind, pos = cand
        written = text[start:end]
        checker = checker or _Checker(text)
        if checker.is_word(written) or checker.inside_longer(start, end):
            continue
        if kind == "insert" and _insert_is_other(checker, written, pos):
            continue
        serious = SETS[set_name][1]
        words = checker.reads_as_words(start, end)
        if words and not serious and not (set_name == "term" and _homophone(checker, start, canonical, pos)):
            continue  # 进一步抬高, 丰年有余: real words in a row are another phrasing
        alone = pos if set_name == "compound" else None
        margin = SWAP_MARGIN if kind == "swap" else MARGIN[SETS[set_name][1], _evidence(kind, rel)]
        if not checker.reads_better(start, end, canonical, margin, alone):
            continue
        uncertain = words and kind == "substitute" and rel is None  # 我国人民解放军: words, and no likely slip
        sev = Severity.INFO if uncertain else _grade(set_name, kind, canonical, rel)
        msg = _message(sev, set_name, kind, written, canonical, pos, rel)
        found.append(Near(start, end, written, canonical, kind, set_name, sev, msg, rel))
    return _resolve(found)


def _resolve(found: list[Near]) -> list[Near]:
    """Where near-misses overlap, the most severe, then the longest, wins."""
    taken: list[Near] = []
    for near in sorted(found, key=_rank):
        if all(near.end <= t.start or t.end <= near.start for t in taken):
            taken.append(near)
    return sorted(taken)
