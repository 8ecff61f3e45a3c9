"""Merging lists into one Lexicon: one byte-keyed Aho-Corasick automaton, cached on disk.

The automaton's keys are the UTF-8 bytes of each match, carried as latin-1 strings: its alphabet is
then 256 bytes instead of thousands of characters, and it scans several times faster. Its values are plain ints
(the entry's index; the key's length is in `sizes`): no tuple per key to unpickle, which takes a fresh process
3-4 ms off the built-in lists' ~17 ms load, paid by every start of `errscan check`.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from array import array
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from errscan._version import __version__
from errscan.lexicon.entries import Entries
from errscan.lexicon.load import builtin_dir, list_files, load_list
from errscan.lexicon.schema import Entry, ListError, ListInfo, ListLoadError, WordList
from errscan.normalize import fold

CACHE_FORMAT = 9
KEEP = 8  # compiled lexicons kept in the cache (one per combination of lists in use)


@dataclass
class Lexicon:
    lists: tuple[ListInfo, ...]
    entries: Sequence[Entry]  # an Entries: hand-written ones, then the generated ones
    automaton: object  # ahocorasick.Automaton (STORE_INTS): key -> index into entries
    max_bytes: int  # longest match in UTF-8 bytes
    sizes: Sequence[int]  # per entry index: its key's length in UTF-8 bytes
    canonical: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (list id, note)
    keep: frozenset[str] = frozenset()  # characters the text keeps unfolded (see _unfolded)
    # where not None, every scan adds the entry index of each hit (an audit worker records what a file met)
    seen: set[int] | None = field(default=None, compare=False)

    @property
    def empty(self) -> bool:
        return not self.entries


class DeferredEntries(Sequence[Entry]):
    """A cached lexicon's entries, unpickled on first use: a clean text needs only the automaton."""

    def __init__(self, path: Path, size: int, rebuild: Callable[[], Sequence[Entry]]):
        self._path, self._size, self._rebuild = path, size, rebuild
        self._real: Sequence[Entry] | None = None

    def _load(self) -> Sequence[Entry]:
        if self._real is None:
            got = read_pickle(self._path)
            self._real = got if got is not None else self._rebuild()  # pruned by another process: compile again
        return self._real

    def __len__(self) -> int:
        return self._size

    @property
    def cache_key(self) -> str:
        """The compile cache's key: a digest of the lists' content, errscan's version and Python's."""
        return self._path.stem

    def __getitem__(self, index):  # type: ignore[no-untyped-def, override]
        return self._load()[index]

    def __getattr__(self, name: str) -> object:  # Entries' own methods (matches, generated_count …)
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._load(), name)

    def __getstate__(self) -> Sequence[Entry]:  # crossing a process boundary: carry the real entries
        return self._load()

    def __setstate__(self, state: Sequence[Entry]) -> None:
        self._real, self._size, self._path = state, len(state), Path()


def _sources(user_lists: list[Path], builtin: bool) -> list[tuple[Path, bool]]:
    sources = [(p, True) for p in list_files(builtin_dir())] if builtin else []
    for path in user_lists:
        if not path.exists():
            raise ListLoadError([ListError(str(path), 0, "词表文件或目录不存在")])
        sources += [(p, False) for p in list_files(path)]
    return sources


def load_lexicon(
    user_lists: list[Path] | None = None, *, builtin: bool = True, cache: bool = True
) -> Lexicon:
    """Load, validate and compile the lists; reuse the on-disk cache when nothing changed."""
    sources = _sources(list(user_lists or []), builtin)
    digest = hashlib.sha256(f"{CACHE_FORMAT}|{__version__}|{sys.version_info[:2]}".encode())
    blobs = []
    for path, is_builtin in sources:
        data = path.read_bytes()
        blobs.append(data)
        digest.update(f"|{path.name}|{is_builtin}|{len(data)}|".encode("utf-8", "surrogatepass"))
        digest.update(data)
    if any(b"\ngenerate:" in blob for blob in blobs):
        from errscan.lexicon.generate import confusion_digest

        digest.update(confusion_digest().encode())
    cache_file = _cache_dir() / f"lexicon-{digest.hexdigest()[:32]}.pickle" if cache else None
    got = read_pickle(cache_file) if cache_file is not None else None
    if isinstance(got, tuple) and len(got) == 2 and isinstance(got[0], Lexicon):
        lex, size = got
        rebuild = lambda: compile_lists([load_list(p, builtin=b) for p, b in sources]).entries  # noqa: E731
        lex.entries = DeferredEntries(cache_file.with_suffix(".entries"), size, rebuild)
        return _with_paths(lex, sources)
    if cache_file is not None and _interactive():  # a first run, or the lists changed: say why it takes a while
        sys.stderr.write("errscan：正在编译词表（首次运行或词表有改动时需要几秒，之后直接使用缓存）……\n")
        sys.stderr.flush()
    lex = compile_lists([load_list(path, builtin=b) for path, b in sources])
    if cache_file is not None:
        _write_cache(cache_file, lex)
    return lex


def key_automaton(matches: Iterable[str]) -> tuple[object, int, array]:
    """(the byte-keyed automaton of the matches, its longest key in bytes, each key's length): the i-th match's
    key holds i (a key two matches share, the later one's)."""
    import ahocorasick

    automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
    sizes = array("I")
    for index, match in enumerate(matches):
        key = match.encode("utf-8").decode("latin-1")
        automaton.add_word(key, index)
        sizes.append(len(key))
    if sizes:
        automaton.make_automaton()
    return automaton, max(sizes, default=0), sizes


def _interactive() -> bool:
    try:
        return os.isatty(sys.stderr.fileno())
    except (AttributeError, OSError, ValueError):
        return False


def _with_paths(lex: Lexicon, sources: list[tuple[Path, bool]]) -> Lexicon:
    """The cache is keyed on content; the same lists may sit at another path now."""
    paths = [str(p) for p, _ in sources]
    if [i.path for i in lex.lists] == paths:
        return lex
    infos = tuple(
        replace(i, path=p, source=i.source if i.source != i.path else p)
        for i, p in zip(lex.lists, paths, strict=True)
    )
    return Lexicon(infos, lex.entries, lex.automaton, lex.max_bytes, lex.sizes, lex.canonical, lex.keep)


def compile_lists(lists: list[WordList]) -> Lexicon:
    """Merge lists: conflicting built-in entries are an error; a user's entry overrides a built-in one."""
    chosen: dict[str, Entry] = {}
    origin: dict[str, ListInfo] = {}
    errors: list[ListError] = []
    overrides: dict[str, int] = {}
    for wl in lists:
        for entry in wl.entries:
            prev = chosen.get(entry.match)
            if prev is not None:
                prev_info = origin[entry.match]
                if wl.info.builtin and prev_info.builtin:
                    if set(prev.suggest) != set(entry.suggest):
                        errors.append(ListError(
                            wl.info.path, entry.line,
                            f"{entry.match!r} 与 {prev_info.path}:{prev.line} 冲突"
                            f"（那里建议 {'/'.join(prev.suggest) or '无'}）",
                        ))
                    continue  # an identical duplicate: the first stands (the list lint reports it)
                if not wl.info.builtin and prev_info.builtin:
                    overrides[wl.info.path] = overrides.get(wl.info.path, 0) + 1
            chosen[entry.match] = entry
            origin[entry.match] = wl.info
    canonical, made, generated = _generated(lists, chosen, origin, errors, overrides)
    if errors:
        raise ListLoadError(errors)

    entries = Entries(tuple(chosen.values()), made)
    keep = _unfolded(entries)
    # The text is folded before it is scanned (繁体, variants, full width): so are the keys, except
    # the characters that an entry flags as such, which the text keeps too.
    automaton, max_bytes, sizes = key_automaton(fold(match, keep) for match in entries.matches())
    infos = tuple(
        replace(wl.info, overrides=overrides.get(wl.info.path, 0), generated=generated.get(wl.info.path, 0))
        for wl in lists
    )
    return Lexicon(infos, entries, automaton, max_bytes, sizes, canonical, keep)


def _generated(
    lists: list[WordList], chosen: dict[str, Entry], origin: dict[str, ListInfo], errors: list[ListError],
    overrides: dict[str, int],
) -> tuple[dict[str, tuple[str, str]], list[Entry], dict[str, int]]:
    """The canonical names, the generated slips not already listed by hand, and their count per list.

    A canonical name that a built-in list flags is a curation error; a user's canonical name removes the
    built-in entry (the office says the name is correct).
    """
    canon_lists = [wl for wl in lists if wl.spec is not None]
    canonical: dict[str, tuple[str, str]] = {}
    generated: dict[str, int] = {}
    made: list[Entry] = []
    if not canon_lists:
        return canonical, made, generated
    from errscan.lexicon.generate import generate

    for wl in canon_lists:
        for c in wl.canonical:
            canonical.setdefault(c.name, (wl.info.id, c.note))
            prev = chosen.get(c.name)
            if prev is None:
                continue
            if origin[c.name].builtin and wl.info.builtin:
                errors.append(ListError(
                    wl.info.path, c.line, f"规范名称 {c.name!r} 被 {origin[c.name].path}:{prev.line} 报为错误"
                ))
            elif origin[c.name].builtin:
                del chosen[c.name]
                overrides[wl.info.path] = overrides.get(wl.info.path, 0) + 1
    known = {s for e in chosen.values() for s in e.suggest}
    results = generate(lists, known)
    for wl in canon_lists:
        count = 0
        for entry in results[wl.info.path].entries:
            if entry.match not in chosen:  # the hand-written entry has the better note
                made.append(entry)
                count += 1
        generated[wl.info.path] = count
    return canonical, made, generated


def _unfolded(entries: Sequence[Entry]) -> frozenset[str]:
    """Characters that must not be folded in the text: those of an entry whose folded form is its own
    suggestion (variant.yaml's 劳働 → 劳动, 水菓 → 水果). Folding them would turn the slip into the
    correct word before the automaton saw it. A traditional entry whose folded form is still wrong
    (國土資源部 → 自然资源部) is folded like the text instead."""
    keep: set[str] = set()
    for entry in entries.hand if hasattr(entries, "hand") else entries:
        folded = fold(entry.match)
        if folded != entry.match and folded in entry.suggest:
            keep.update(c for c in entry.match if fold(c) != c)
    return frozenset(keep)


def _cache_dir() -> Path:
    env = os.environ.get("ERRSCAN_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "errscan"


def read_pickle(path: Path) -> object | None:
    """A cached object, or None if it is missing or unreadable (then it is made again)."""
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError, ValueError):
        return None


def write_pickle(path: Path, obj: object, keep: int = 0) -> list[Path]:
    """Write a cached object atomically (a reader never sees half a file). With keep, only the newest `keep`
    files of its kind (the name up to the first "-", same suffix) stay; the ones removed are returned. A
    read-only cache is no error: it only costs the next start a rebuild."""
    removed: list[Path] = []
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
        if keep:
            kind = path.name.split("-", 1)[0]
            mine = sorted(path.parent.glob(f"{kind}-*{path.suffix}"), key=lambda p: p.stat().st_mtime)
            for old in mine[:-keep]:
                old.unlink(missing_ok=True)
                removed.append(old)
    except OSError:
        pass
    return removed


def _write_cache(cache_file: Path, lex: Lexicon) -> None:
    # Two files: the automaton (every run needs it) and the entries (only a run with candidates does).
    # The entries are written first, so a reader that finds the automaton finds its entries too.
    write_pickle(cache_file.with_suffix(".entries"), lex.entries)
    for stale in write_pickle(cache_file, (replace(lex, entries=()), len(lex.entries)), keep=KEEP):
        stale.with_suffix(".entries").unlink(missing_ok=True)
