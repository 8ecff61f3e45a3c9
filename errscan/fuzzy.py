"""Approximate matching of what must be written exactly: near-misses of names, divisions and idioms.

The canonical strings are the protected lists (wordlists/protected-*.yaml, read from the installed lists), the
divisions to county level and jieba's idioms and set phrases (errscan/data/fuzzy.tsv, tools/build_fuzzy.py).
``find(text)`` reports every place where the text is one edit away from one of them — a character replaced by
any other, one left out or added inside, two neighbours swapped — or where a name's two halves are exchanged
(一路一带), and where the result is neither a word nor a name itself and the clause reads better corrected.

How it stays linear: a single edit in a string s leaves one of the pieces around it intact, and the pieces are
keys looked for at every position of the text. The contiguous keys are s[1:] and s[:-1] (a replaced end
character; up to KEY characters of them) and the few explicit variants (omissions, exchanged halves); the gapped
ones stand for an edit inside s: (s[i-1], s[i+1]) two apart in the text for a replaced s[i] (新家坡: 新_坡) and
(s[j-1], s[j]) for an added character or a swap. Each hit is verified by comparing the rest of the string in
place. The scan is compiled (errscan/_fuzzscan.c: the keys in a hash table, looked up at each code point of the
text, a gapped key as up to four of the string's characters around the edit). Without the extension, or with
ERRSCAN_PURE=1, two pyahocorasick automata find the same candidates in Python: keys as the text's UTF-16-LE code
units carried as latin-1 (two bytes a character make offsets a division), the gapped automaton over the text's
even and odd characters, where two characters two apart are neighbours. Candidates are then checked with jieba
(segmentation of the clause, word frequencies).

The index is made at first use (a few seconds) and cached under ERRSCAN_CACHE_DIR or the user cache directory:
a pickle of the strings and rules, and the compiled scan's tables in a file beside it, mapped rather than read
(the pure-Python scan's automata are made, and cached, only where it runs).
"""

from __future__ import annotations

import array
import bisect
import functools
import hashlib
import itertools
import mmap
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import errscan.similar as similar
from errscan.lexicon.generate import FUNCTION
from errscan.model import Severity

try:  # the compiled scan (errscan/_fuzzscan.c): the same candidates, some forty times faster
    import errscan._fuzzscan as _fuzzscan
except ImportError:  # no compiler at install: the pure-Python scan
    _fuzzscan = None

__all__ = ["SETS", "Near", "find"]

DATA = Path(__file__).resolve().parent / "data" / "fuzzy.tsv"
FORMAT = 12  # bump when the index layout or its rules change: part of the cache key
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
WORD_SLIP_SETS = ("term", "compound")  # the corpus-mined terms: their slips may read as words (find's words_slips)


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


_CJK = re.compile("[\u4e00-\u9fff]+")


def _cjk3(s: str) -> bool:
    """Every character takes three UTF-8 bytes and is a CJK ideograph: byte arithmetic holds."""
    return _CJK.fullmatch(s) is not None


class _Known:
    """Whether a string is a name of the index or one of its known words. A draft asks a few times: the joined
    names answer by a search (~0.3 ms each). Past LOOKS questions, the set is made (~12 ms)."""

    LOOKS = 16

    def __init__(self, joined: str, extra: tuple[str, ...]):
        self._joined, self._extra = joined, extra
        self._text: str | None = None
        self._set: frozenset[str] | None = None
        self._asked = 0

    def __contains__(self, s: object) -> bool:
        if self._set is None and self._asked >= self.LOOKS:
            self._set = frozenset(itertools.chain(self._extra, self._joined.split("\n") if self._joined else ()))
            self._text = None
        if self._set is not None:
            return s in self._set
        self._asked += 1
        if not isinstance(s, str) or not s or "\n" in s:
            return False  # names and words are non-empty lines
        if self._text is None:
            self._text = "\n".join(("", self._joined, *self._extra, ""))
        return f"\n{s}\n" in self._text


class Index:
    """Canonical strings, the exempt set, and the keys that find their near-misses.

    Contiguous keys (over the text): for a string s of n characters, s[1:] and s[:-1] (a replaced first or last
    character), and explicit variants: s[1] s[0] s[2:], the internal omissions where allowed, exchanged halves.
    Gapped keys (over the text's even and odd characters, so two characters two apart are adjacent): the pair
    around each inner position (s[i-1], s[i+1]) for a replaced s[i], and each adjacent pair (s[j-1], s[j]) for a
    character added between them or for s[j], s[j+1] swapped.

    ``blob`` holds the keys and their actions for the compiled scan (errscan/_fuzzscan.c, made by `_tables`
    and _fuzzscan.compile); the pure-Python scan's two automata are made from `_keys` when first needed
    (`_automata`). Pickled, the names, sets and exempt strings are a few flat objects, unpacked when first asked
    for, and the blob is left out (index() keeps it in a file of its own).
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
        self._extra = tuple(sorted(known.difference(seen)))
        self._joined = "\n".join(self.names)
        self._set_names = tuple(dict.fromkeys(self.sets))
        codes = {name: i for i, name in enumerate(self._set_names)}
        self._set_codes = bytes(codes[t] for t in self.sets)
        # 1 where only a sound- or shape-alike replacement is reported (_allowed): checked as the hit is found
        self.alike_only = bytes(
            int(not SETS[t][1] or t == "leader" or len(s) <= 3) for t, s in zip(self.sets, self.names, strict=True)
        )
        self.reach = KEY
        # The compiled scan's tables (errscan/_fuzzscan.c) as one blob of bytes, made where the extension is
        # there (layout: its version; blob None if the index holds what it cannot). Cached in a file of its
        # own, which index() maps rather than reads.
        self.layout: int | None = None
        self.blob: bytes | mmap.mmap | None = None
        if _fuzzscan is not None:
            self.layout = _fuzzscan.LAYOUT
            tables = _tables(self.names, self.sets, self._keys(gapped=False)[0])
            if tables is not None:
                self.blob = _fuzzscan.compile(
                    names=self._joined, alike_only=self.alike_only, set_codes=self._set_codes, **tables
                )
        self.compiled = self.blob is not None
        self._runtime()

    def _runtime(self) -> None:
        self._scanner: object = None  # the compiled scanner, False where there is none
        self._auto: tuple | None = None  # the pure-Python scan's automata
        self.auto_path: Path | None = None  # where index() caches them

    def __getstate__(self) -> dict:
        return {
            "variants": self.variants, "alike_only": self.alike_only, "reach": self.reach, "layout": self.layout,
            "compiled": self.compiled,
            "_joined": self._joined, "_set_names": self._set_names, "_set_codes": self._set_codes,
            "_extra": self._extra,
        }

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.blob = None  # attach() maps it
        self._runtime()

    def attach(self, path: Path) -> bool:
        """Map the cached blob of an unpickled index; False if the index does not serve this build of the
        extension (made by another, or its blob missing or damaged)."""
        if _fuzzscan is None:
            return True
        if getattr(self, "layout", None) != _fuzzscan.LAYOUT:  # also a pickle of some other index's shape
            return False
        if not getattr(self, "compiled", False):
            return True  # the index holds what the scanner cannot: the pure-Python scan
        try:
            with open(path, "rb") as fh:
                blob = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            scanner = _fuzzscan.Scanner(blob, self._set_names, _KIND_ORDER)
        except (OSError, ValueError):  # missing, empty, or not a blob of this layout
            return False
        self.blob, self._scanner = blob, scanner
        return True

    @functools.cached_property
    def names(self) -> list[str]:
        return self._joined.split("\n") if self._joined else []

    @functools.cached_property
    def sets(self) -> list[str]:
        names = self._set_names
        return [names[c] for c in self._set_codes]

    @functools.cached_property
    def known(self) -> _Known:
        """The names and the known words (`s in index().known`)."""
        return _Known(self._joined, self._extra)

    def _keys(self, gapped: bool = True) -> tuple[dict[str, list[object]], dict[str, list[int]]]:
        """The contiguous and the gapped keys, each with its actions (see _contiguous and _gapped)."""
        contiguous: dict[str, list[object]] = {}
        gaps: dict[str, list[int]] = {}
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
            if gapped:
                for i, added in _gap_edits(set_name, n):
                    _gap(gaps, s, eid, i, added)
            if _omits(set_name, n):
                for i in range(1, n - 1):
                    if s[i] != s[i - 1]:
                        self._explicit(contiguous, eid, "omit", i, i)
            if SETS[set_name][1] and n >= 4:
                k = n // 2
                self._explicit(contiguous, eid, "swap", k, n - k)
        return contiguous, gaps

    def _explicit(self, keys: dict[str, list[object]], eid: int, kind: str, pos: int, focus: int) -> None:
        """Key a variant by up to KEY of its characters around `focus`; the hit is checked against all of it."""
        v = _variant(self.names[eid], kind, pos)
        if v == self.names[eid]:
            return
        size = min(KEY, len(v))
        a = max(0, min(focus - KEY // 2, len(v) - size))
        keys.setdefault(v[a : a + size], []).append(("X", eid, kind, pos, a + size))

    def scanner(self) -> object | None:
        """The compiled scanner over `blob` (errscan/_fuzzscan.c), or None without the extension."""
        got = self._scanner
        if got is None:
            got = False
            if _fuzzscan is not None and self.blob is not None and self.layout == _fuzzscan.LAYOUT:
                got = _fuzzscan.Scanner(self.blob, self._set_names, _KIND_ORDER)
            self._scanner = got
        return got or None


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


def _gap_edits(set_name: str, n: int) -> list[tuple[int, int]]:
    """The gapped keys' edits of a string of n >= 3 characters, (i, 0) for a replaced s[i] (s[i-1] and s[i+1] two
    apart in the text) and (j, 1) for a character added before s[j] or s[j], s[j+1] swapped (s[j-1] and s[j]
    two apart)."""
    edits = [(i, 0) for i in range(1, n - 1)]
    if _inserts(set_name, n):
        edits += [(j, 1) for j in range(1, n)]
    return edits


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


# The compiled scan's tables (errscan/_fuzzscan.c describes them): kinds numbered in the order of their names, so
# that the scanner's sort is candidates()' sort; action types; key shapes: contiguous, or (l, r) characters
# around a hole.
_KIND_ORDER = tuple(sorted(KINDS))
_KIND_CODE = {kind: i for i, kind in enumerate(_KIND_ORDER)}
_FIRST, _LAST, _CHAR2, _VARIANT, _HOLE_SUB, _HOLE_INS, _SWAP_AT = range(7)
_HOLES = {(1, 1): 1, (1, 2): 2, (2, 1): 3, (2, 2): 4, (1, 3): 5, (3, 1): 6}
_URO = 0x4E00  # U+4E00..U+9FFF: character id = offset + 1; other characters of keys follow
_URO_SPAN = 0x5200


def _hole_fit(left: int, right: int) -> tuple[int, int, int]:
    """(characters left, characters right, shape) of the key around a hole with `left` and `right` characters
    beside it: two on each side where there are, else up to three on the other."""
    before, after = min(left, 2), min(right, 2)
    if before < 2:
        after = min(right, 3)
    elif after < 2:
        before = min(left, 3)
    return before, after, _HOLES[before, after]


_HOLE_FIT = [[_hole_fit(a, b) if a and b else (0, 0, 0) for b in range(4)] for a in range(4)]


def _tables(names: list[str], sets: list[str], contiguous: dict[str, list]) -> dict[str, bytes] | None:
    """The actions (entry id | (type | position << 8 | a << 16 | b << 24) << 32) and the key of each (15-bit
    character ids, the last in the low bits, the shape in bits 60..63), the characters of keys that are not
    ideographs U+4E00..U+9FFF, and the alike pairs. None if the index holds what the scanner cannot hold (then
    the pure-Python scan runs)."""
    special = sorted({c for key in contiguous for c in key if not _cjk3(c)})
    if len(special) > 0x7FFF - _URO_SPAN - 1 or any(len(s) > 63 for s in names):
        return None
    ids = {c: _URO_SPAN + 1 + j for j, c in enumerate(special)}.get

    def pack(chars: str, shape: int) -> int:
        packed = 0
        for c in chars:
            packed = packed << 15 | (ids(c) or ord(c) - _URO + 1)
        return packed | shape << 60

    keys = array.array("Q")  # the key of each action
    acts = array.array("Q")
    for key, items in contiguous.items():
        if not 2 <= len(key) <= KEY:
            return None
        packed = pack(key, 0)
        for act in items:
            keys.append(packed)
            acts.append(_action(act))
    # The gapped keys' edits as the characters around a hole: s[i] replaced, a character added before s[i] (or,
    # keyed by the swapped string, s[i] and s[i+1] exchanged)
    for eid, s in enumerate(names):
        n = len(s)
        if n == 2:
            continue
        cid = [ids(c) or ord(c) - _URO + 1 for c in s]
        for i, is_insert in _gap_edits(sets[eid], n):
            after = i + 1 - is_insert  # the first character right of the hole
            left, r, shape = _HOLE_FIT[min(i, 3)][min(n - after, 3)]
            packed = 0
            for c in cid[i - left : i] + cid[after : after + r]:
                packed = packed << 15 | c
            keys.append(packed | shape << 60)
            acts.append(eid | ((_HOLE_INS if is_insert else _HOLE_SUB) | i << 8 | r << 16) << 32)
            if is_insert and i + 1 < n:  # the swapped string, up to KEY of its characters from s[i-1]
                size = min(KEY, n)
                a = max(0, min(i - 1, n - size))
                v = [*cid[:i], cid[i + 1], cid[i], *cid[i + 2 :]]
                packed = 0
                for c in v[a : a + size]:
                    packed = packed << 15 | c
                keys.append(packed)
                acts.append(eid | (_SWAP_AT | i << 8 | (a + size) << 24) << 32)
    pair_off, pair_chars = _alike_pairs()
    return {
        "keys": keys.tobytes(), "actions": acts.tobytes(), "pair_off": pair_off, "pair_chars": pair_chars,
        "special": array.array("I", map(ord, special)).tobytes(),
    }


def _action(act: object) -> int:
    """A contiguous key's action as _contiguous decodes it: entry id | (type | position << 8 | ...) << 32."""
    if isinstance(act, int):
        eid, last = divmod(act, 4)
        return eid | (_LAST if last else _FIRST) << 32
    if act[0] == "C":
        return act[1] | (_CHAR2 | act[2] << 8) << 32
    _, eid, kind, pos, tail = act
    return eid | (_VARIANT | pos << 8 | _KIND_CODE[kind] << 16 | tail << 24) << 32


def _alike_pairs() -> tuple[bytes, bytes]:
    """similar.relation as a table: for each ideograph U+4E00 + r, the sorted code points written for it that are
    sound- or shape-alike (characters in rows [off[r], off[r + 1]))."""
    rows: list[list[int]] = [[] for _ in range(_URO_SPAN + 1)]
    known = similar.known
    for a in similar._get().rows:  # every character of the table
        code = ord(a)
        for b in similar.alikes(a):  # every b with relation(a, b), and characters outside the table
            if "\u4e00" <= b <= "\u9fff" and b != a and known(b):  # relation(a, b) is not None
                rows[ord(b) - _URO].append(code)
    off = array.array("I", [0])
    chars = array.array("I")
    for row in rows:
        chars.extend(sorted(set(row)))
        off.append(len(chars))
    return off.tobytes(), chars.tobytes()


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
    # What a hand-written list corrects is not a canonical form, even where jieba's dictionary has it as an idiom
    # (戮力同心: 勠 is the standard character since 2013): a slip is never "corrected" into it. An outdated name
    # was right in its time: a slip of it (国土资原部) is still one of 国土资源部, which the date then judges.
    corrected: set[str] = set()
    for path in sorted(builtin_dir().glob("*.yaml")):
        if path.stem in LIST_SETS:
            continue
        blobs.append(path.read_bytes())
        for entry in load_list(path, builtin=True).entries:
            suggested.extend(("phrase", s) for s in entry.suggest if len(s) >= 4)
            if entry.suggest and entry.category != "outdated":
                corrected.add(entry.match)
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
        elif s not in corrected:
            canon.append((set_name, s))
    return canon + suggested, known, variants, blobs


def _sources_digest() -> str:
    """The cache key: every file the index is made from (the built-in lists, fuzzy.tsv) by its path, size and
    time, as the model's bigram tables are keyed (lm.py): a cached index loads without reading a single list, nor
    1.5 MB of them to hash (2 ms of every start)."""
    from errscan.lexicon.compile import builtin_dir

    h = hashlib.sha256(f"{FORMAT}".encode())
    for path in [*sorted(builtin_dir().glob("*.yaml")), DATA]:
        st = path.stat()
        h.update(f"{path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode("utf-8", "surrogatepass"))
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
            if isinstance(idx, Index) and not idx.attach(path.with_suffix(".blob")):
                idx = None
            if not isinstance(idx, Index):
                canon, known, variants, _ = _read_sets()
                idx = Index(canon, known, variants)
                if cache:  # the blob first: whoever finds the pickle finds its blob
                    if idx.blob is not None and _write_blob(path.with_suffix(".blob"), idx.blob):
                        idx.attach(path.with_suffix(".blob"))  # the file's pages rather than a copy in memory
                    write_pickle(path, idx, keep=2)
            if cache:
                idx.auto_path = path.with_suffix(".automata")
            _index = idx
    return _index


def _write_blob(path: Path, blob: bytes) -> bool:
    """Write the compiled scan's blob atomically beside the index, keeping the two newest; whether it is there.
    A read-only cache is no error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(blob)
        os.replace(tmp, path)
        for old in sorted(path.parent.glob("fuzzy-*.blob"), key=lambda p: p.stat().st_mtime)[:-2]:
            old.unlink(missing_ok=True)
    except OSError:
        return path.is_file()
    return True


_auto_lock = threading.Lock()


def _automata(idx: Index) -> tuple[object, list[tuple], object, list[tuple]]:
    """The pure-Python scan's automata (contiguous, its action tuples, gapped, its action tuples): made from the
    index's keys when first needed, and cached beside the index."""
    got = idx._auto
    if got is None:
        with _auto_lock:
            got = idx._auto
            if got is None:
                from errscan.lexicon.compile import read_pickle, write_pickle

                path = idx.auto_path
                got = read_pickle(path) if path is not None else None
                if not (isinstance(got, tuple) and len(got) == 4):
                    contiguous, gapped = idx._keys()
                    got = (*_automaton(contiguous), *_automaton(gapped))
                    if path is not None:
                        write_pickle(path, got, keep=2)
                idx._auto = got
    return got


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
    auto, actions, _, _ = _automata(idx)
    for stop, value in _char_hits(auto, text, idx.reach):
        for act in _actions(actions, value):
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
    _, _, auto, actions = _automata(idx)
    names = idx.names
    alike_only = idx.alike_only
    for parity in (0, 1):
        for at, value in _char_hits(auto, text[parity::2], 3):
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
    would be a candidate at every second word. The compiled scanner gives the same list; ERRSCAN_PURE=1 (or no
    extension) runs the pure-Python scan.
    """
    idx = index()
    scanner = None if os.environ.get("ERRSCAN_PURE") else idx.scanner()
    if scanner is not None:
        return scanner.candidates(text)  # type: ignore[attr-defined]
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
        self._words: dict[str, bool] = {}  # the same strings come back: candidates overlap
        self._logp: dict[str, float] = {}

    def is_word(self, s: str) -> bool:
        got = self._words.get(s)
        if got is None:  # the exempt set is unpacked only if a string is no dictionary word
            got = self._words[s] = self.dt.is_word(s) or s in index().known
        return got

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
        got = self._logp.get(sentence)
        if got is None:  # candidates of different strings at one place compare the same clause
            got = self._logp[sentence] = self.dt.logp(sentence)
        return got

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


_relation = functools.lru_cache(maxsize=1 << 16)(similar.relation)


def plausible(text: str, cand: tuple[int, int, str, str, str, int]) -> bool | str | None:
    """The checks that need no segmentation; False if the candidate fails them, else its relation (or None)."""
    start, end, canonical, set_name, kind, pos = cand
    written = text[start:end]
    if written == canonical or not _cjk3(written):
        return False
    if (kind == "substitute" or kind == "insert") and written[pos] in FUNCTION:
        return False  # 财政都 is 财政 + 都, 祖国的和平统一 is grammar: a function character is not a slip
    rel = _relation(written[pos], canonical[pos]) if kind == "substitute" else None
    if not _allowed(set_name, kind, canonical, pos, rel):
        return False
    if kind == "substitute" and (
        (written[pos], canonical[pos]) == JIEBA_SLIP or _variant_pair(written, canonical, pos)
    ):
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
    return len(word) >= 2 and similar.read_alike(word, right)


def _variant_pair(written: str, canonical: str, pos: int) -> bool:
    for variant, standard, at in index().variants.get((written[pos], canonical[pos]), ()):
        a = pos - at
        if a >= 0 and written[a : a + len(variant)] == variant and canonical[a : a + len(standard)] == standard:
            return True
    return False


def find(text: str, words_slips: list[Near] | None = None) -> list[Near]:
    """Near-misses of canonical names, divisions, idioms and set phrases in `text`, ordered by position.

    `words_slips`, if given, receives the sound- or shape-alike slips of the official-text terms (term,
    compound: 机构编织 for 机构编制, 体制机智) that jieba's dictionary cannot judge — as written they read as
    ordinary words, and its unigram route barely prefers the term — for a language model to decide (info)."""
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
        if checker.is_word(written):
            continue
        if kind == "insert" and _insert_is_other(checker, written, pos):
            continue
        # The remaining tests all have to pass; the one that fails most often, and costs less than the
        # fifteen look-ups around the span, comes first.
        serious = SETS[set_name][1]
        alone = pos if set_name == "compound" else None
        margin = SWAP_MARGIN if kind == "swap" else MARGIN[serious, _evidence(kind, rel)]
        better = checker.reads_better(start, end, canonical, margin, alone)
        if better and checker.inside_longer(start, end):
            continue
        words = better and checker.reads_as_words(start, end)
        other = words and not serious and not (set_name == "term" and _homophone(checker, start, canonical, pos))
        if not better or other:  # other: 进一步抬高, 丰年有余 — real words in a row are another phrasing …
            # … unless a model of official text reads the term far better: the caller's judge decides
            if words_slips is not None and set_name in WORD_SLIP_SETS and kind == "substitute" and rel \
                    and (better or not checker.inside_longer(start, end)):
                msg = _message(Severity.INFO, set_name, kind, written, canonical, pos, rel)
                words_slips.append(Near(start, end, written, canonical, kind, set_name, Severity.INFO, msg, rel))
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
