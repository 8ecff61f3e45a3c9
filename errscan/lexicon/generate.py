"""Canonical names -> their likely one-character misspellings, as list entries.

A canonical list names what must be written exactly (the country, the Party, organs, divisions, leaders).
From each name this module makes the slips inspection bulletins cite: one character replaced by a
sound-alike (same pinyin) or a look-alike (same stroke pattern), one character left out, two adjacent
characters swapped. A variant is kept only if nothing correct can contain it:

- ``word``: it is a word of jieba's dictionary, a canonical name or another list's suggestion, or a part
  of one (家庄市 is inside 石家庄市);
- ``reads``: it can be read as ordinary words in a row (石家庄是 = 石家庄 + 是; 中华人民和国 = 中华人民 + 和 + 国…);
- ``excluded``: the canonical entry's ``exclude`` names it (found by the curation check on real text);
- ``ambiguous``: two canonical names make it;
- ``listed`` (in compile): a hand-written entry of any list has the same match; the hand-written one stands.

Only characters that are common (the 3,500 most frequent in jieba's dictionary) are substituted: an input
method offers frequent characters first, and rare ones would only bloat the automaton.

Run ``python -m errscan.lexicon.generate [--corpus DIR]`` for counts per list and reason, and for the
variants that occur in a corpus of correct text (each must go into its entry's ``exclude``).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from errscan.lexicon.load import builtin_dir, list_files, load_list
from errscan.lexicon.notes import KIND_ZH as KIND_ZH  # re-exported: it was defined here
from errscan.lexicon.notes import note
from errscan.lexicon.schema import Canonical, Entry, GenerateSpec, WordList

CONFUSION_DIR = Path(__file__).resolve().parent.parent / "data" / "confusion"
CONFUSION_FILES = ("same_pinyin.txt", "same_stroke.txt")
COMMON = 3500  # substitutes are drawn from this many most frequent characters
PER_POSITION = {"pinyin": 3, "stroke": 2}  # at most this many alikes per character, the most frequent first
RULES_VERSION = 2  # bump when the generation rules change: it is part of the cache key
# Single characters that glue to anything in running text: a variant that is words joined by one of
# these (中华人民 + 和 + 国际) can be correct text.
FUNCTION = frozenset(
    "了是在和有不的也为就这上中一到都等着对来与地还要又而之以得个后将那但从下把被于时只多过可并能会或由里"
    "用所向已其给很使前最再才便没让内及各至每"
)


@dataclass(frozen=True)
class Variant:
    match: str
    canonical: str
    method: str  # pinyin | stroke | omit | transpose | insert
    position: int  # 0-based index of the changed character in the canonical name
    char: str = ""  # the substituted character

    def note(self) -> str:
        return note(self.canonical, self.method, self.position, self.char)


@dataclass
class Result:
    entries: list[Entry] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    trace: dict[str, tuple[str, Variant]] = field(default_factory=dict)  # dropped variant -> (reason, how)


def confusion_digest() -> str:
    """Part of the cache key: the generated entries change with the confusion sets and jieba's dictionary."""
    h = hashlib.sha256(f"{RULES_VERSION}|{PER_POSITION}|{COMMON}".encode())
    for name in CONFUSION_FILES:
        try:
            h.update((CONFUSION_DIR / name).read_bytes())
        except OSError:
            h.update(b"missing")
    dict_path = jieba_dict_path()
    if dict_path is not None:
        st = dict_path.stat()
        h.update(f"{dict_path}|{st.st_size}|{st.st_mtime_ns}".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def jieba_dict_path() -> Path | None:
    """jieba's dict.txt, found without importing (and initialising) jieba."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / "dict.txt"
    return path if path.is_file() else None


class Words:
    """jieba's dictionary as plain sets, read once per build."""

    def __init__(self, extra: Iterable[str] = ()):
        words: dict[str, int] = {}
        path = jieba_dict_path()
        if path is not None:
            with open(path, encoding="utf-8") as fh:
                for line in fh:
                    parts = line.split(" ", 2)
                    if len(parts) >= 2 and parts[1].isdigit():
                        words[parts[0]] = int(parts[1])
        freq: Counter[str] = Counter()
        for w, f in words.items():
            for ch in w:
                freq[ch] += f
        self.common = frozenset(c for c, _ in freq.most_common(COMMON))
        self.char_freq = freq
        self.words = set(words)
        self.words.update(extra)
        self.prefixes: set[str] = set()
        self.suffixes: set[str] = set()
        for w in self.words:
            for k in range(2, len(w)):
                self.prefixes.add(w[:k])
                self.suffixes.add(w[-k:])
        self.prefixes |= self.words
        self.suffixes |= self.words

    def reads_as_words(self, v: str) -> bool:
        """True if `v` can be read as ordinary words in a row, so correct text may contain it.

        Pieces: a word's ending first, then whole words, then a word's beginning. A lone character at
        either end counts only next to a function character or a whole word (石家庄 + 是).
        """
        n = len(v)

        @functools.cache
        def rest(i: int, prev_function: bool) -> bool:  # can v[i:] be whole words then a word's beginning?
            if i == n:
                return True
            for j in range(i + 1, n + 1):
                piece = v[i:j]
                last = j == n
                if len(piece) == 1:
                    ok = piece in FUNCTION or (last and (prev_function or v[:i] in self.words))
                else:
                    ok = piece in self.words or (last and piece in self.prefixes)
                if ok and rest(j, len(piece) == 1 and piece in FUNCTION):
                    return True
            return False

        for j in range(1, n):
            head = v[:j]
            if len(head) == 1:
                ok = head in FUNCTION or v[1:] in self.words or v[1] in FUNCTION
            else:
                ok = head in self.suffixes
            if ok and rest(j, len(head) == 1 and head in FUNCTION):
                return True
        return False


class Confusion:
    """Sound-alike and look-alike characters, from the shipped pycorrector sets."""

    def __init__(self, common: frozenset[str], char_freq: Counter[str], directory: Path = CONFUSION_DIR):
        self.pinyin: dict[str, list[str]] = {}
        self.stroke: dict[str, list[str]] = {}
        with open(directory / "same_pinyin.txt", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("#") or not line.strip():
                    continue
                cols = line.rstrip("\n").split("\t")
                same_tone = [c for c in cols[1] if c in common] if len(cols) > 1 else []
                other_tone = [c for c in cols[2] if c in common] if len(cols) > 2 else []
                # same tone first, each group by frequency: an input method offers frequent characters first
                by_freq = char_freq.__getitem__
                ranked = sorted(same_tone, key=by_freq, reverse=True) + sorted(other_tone, key=by_freq, reverse=True)
                self.pinyin[cols[0]] = ranked[: PER_POSITION["pinyin"]]
        with open(directory / "same_stroke.txt", encoding="utf-8") as fh:
            for line in fh:
                chars = [c for c in line.split() if len(c) == 1]
                if len(chars) < 2:
                    continue
                key, alikes = chars[0], [c for c in chars[1:] if c in common]
                self.stroke.setdefault(key, []).extend(a for a in alikes if a not in self.stroke.get(key, []))
                for a in alikes:  # symmetric: 政 looks like 正 as much as 正 like 政
                    if key in common and key not in self.stroke.setdefault(a, []):
                        self.stroke[a].append(key)

        for key, alikes in self.stroke.items():
            self.stroke[key] = sorted(alikes, key=lambda c: -char_freq[c])[: PER_POSITION["stroke"]]

    def alikes(self, method: str, ch: str) -> list[str]:
        return (self.pinyin if method == "pinyin" else self.stroke).get(ch, [])


def variants(name: str, spec: GenerateSpec, confusion: Confusion) -> list[Variant]:
    """Every one-character slip of `name` the spec asks for (unfiltered, deduplicated)."""
    out: dict[str, Variant] = {}
    n = len(name)
    if n < spec.min_length:
        return []
    for method in spec.substitute:
        for i, ch in enumerate(name):
            for alike in confusion.alikes(method, ch):
                v = name[:i] + alike + name[i + 1 :]
                if alike != ch and v not in out:
                    out[v] = Variant(v, name, method, i, alike)
    if spec.omit and n >= spec.omit_min_length:
        for i in range(1, n - 1):  # dropping an end leaves a part of the name itself
            v = name[:i] + name[i + 1 :]
            if name[i] != name[i - 1] and v not in out:
                out[v] = Variant(v, name, "omit", i)
    if spec.transpose:
        for i in range(n - 1):
            if name[i] != name[i + 1]:
                v = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
                out.setdefault(v, Variant(v, name, "transpose", i))
    return list(out.values())


def insertions(canon: Canonical) -> list[Variant]:
    """The name with a word its `insert:` forbids written inside it (习近平总书记新时代中国特色社会主义思想)."""
    return [
        Variant(canon.name[:at] + word + canon.name[at:], canon.name, "insert", at, word)
        for at, words in canon.insert for word in words
    ]


def generate(lists: list[WordList], known: Iterable[str] = (), words: Words | None = None) -> dict[str, Result]:
    """Generated entries for every canonical list, keyed by list path, with drop counts by reason.

    `known`: strings that are correct text (other lists' suggestions); every canonical name is too.
    """
    canon_lists = [wl for wl in lists if wl.spec is not None]
    results = {wl.info.path: Result() for wl in canon_lists}
    if not canon_lists:
        return results
    names = {c.name for wl in canon_lists for c in wl.canonical}
    words = words or Words()
    words.words |= names | set(known)
    confusion = Confusion(words.common, words.char_freq)

    made: dict[str, list[tuple[WordList, Canonical, Variant]]] = {}
    for wl in canon_lists:
        for canon in wl.canonical:
            assert wl.spec is not None
            for var in variants(canon.name, canon.spec or wl.spec, confusion) + insertions(canon):
                made.setdefault(var.match, []).append((wl, canon, var))

    inside = _inside_correct(list(made), words.words)
    for match, origins in made.items():
        wl, canon, var = origins[0]
        result = results[wl.info.path]
        if len({c.name for _, c, _ in origins}) > 1:
            reason = "ambiguous"
        elif match in canon.exclude:
            reason = "excluded"
        elif var.method != "insert" and match in inside:  # an insertion is named by hand: never dropped as words
            reason = "word"
        elif var.method != "insert" and words.reads_as_words(match):
            reason = "reads"
        else:
            result.entries.append(Entry(
                match=match, suggest=(canon.name,), note=var.note(), severity=wl.info.severity,
                boundary=canon.boundary or wl.boundary, unless=(), list_id=wl.info.id, category=wl.info.category,
                line=canon.line, origin=canon.name, method=var.method, position=var.position, char=var.char,
            ))
            continue
        result.dropped[reason] += 1
        result.trace[match] = (reason, var)
    return results


def _inside_correct(candidates: list[str], correct: set[str]) -> set[str]:
    """The candidates that are a correct string or part of one."""
    import ahocorasick

    if not candidates:
        return set()
    auto = ahocorasick.Automaton()
    for c in candidates:
        auto.add_word(c, c)
    auto.make_automaton()
    return {c for _, c in auto.iter("\n".join(correct))}


def _main() -> None:  # pragma: no cover - a curation tool
    import argparse

    parser = argparse.ArgumentParser(description="Counts of generated variants; variants found in correct text.")
    parser.add_argument("--corpus", type=Path, help="a folder of correct .txt files to look for variants in")
    parser.add_argument("--show", action="store_true", help="print every kept variant")
    args = parser.parse_args()
    lists = [load_list(p, builtin=True) for p in list_files(builtin_dir())]
    known = {s for wl in lists for e in wl.entries for s in e.suggest}
    hand = {e.match for wl in lists for e in wl.entries}
    results = generate(lists, known)
    total: Counter[str] = Counter()
    kept_all = []
    for wl in lists:
        if wl.spec is None:
            continue
        res = results[wl.info.path]
        kept = [e for e in res.entries if e.match not in hand]
        kept_all += kept
        listed = len(res.entries) - len(kept)
        total.update(res.dropped)
        total["listed"] += listed
        drops = ", ".join(f"{k} {v}" for k, v in sorted(res.dropped.items()))
        print(f"{wl.info.id}: {len(wl.canonical)} names, {len(kept)} generated; dropped: {drops}, listed {listed}")
        if args.show:
            for e in kept:
                print(f"  {e.match}\t{e.note}")
    print(f"total: {len(kept_all)} generated; dropped: {dict(total)}")
    if args.corpus:
        import ahocorasick

        auto = ahocorasick.Automaton()
        for e in kept_all:
            auto.add_word(e.match, e)
        auto.make_automaton()
        for path in sorted(args.corpus.rglob("*.txt")):
            text = path.read_text(encoding="utf-8")
            for end, e in auto.iter(text):
                start = end + 1 - len(e.match)
                print(f"{path}:{start}: {e.match} ({e.note}) …{text[max(0, start - 8):end + 9]}…")


if __name__ == "__main__":  # pragma: no cover
    _main()
