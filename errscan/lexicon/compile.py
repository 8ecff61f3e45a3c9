"""Merging lists into one Lexicon: one byte-keyed Aho-Corasick automaton, cached on disk.

The automaton's keys are the UTF-8 bytes of each match, carried as latin-1 strings: its alphabet is
then 256 bytes instead of thousands of characters, and it scans several times faster.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from errscan import __version__
from errscan.lexicon.load import list_files, load_list
from errscan.lexicon.schema import Entry, ListError, ListInfo, ListLoadError, WordList

CACHE_FORMAT = 1
KEEP = 8  # compiled lexicons kept in the cache (one per combination of lists in use)


def builtin_dir() -> Path:
    """The shipped lists: inside the installed package, or the source tree's top-level wordlists/."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "wordlists", here.parent / "wordlists"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("errscan's built-in word lists are missing from this installation")


@dataclass
class Lexicon:
    lists: tuple[ListInfo, ...]
    entries: tuple[Entry, ...]
    automaton: object  # ahocorasick.Automaton: key -> (index into entries, length in bytes)
    max_bytes: int  # longest match in UTF-8 bytes

    @property
    def empty(self) -> bool:
        return not self.entries


def _sources(user_lists: list[Path], builtin: bool) -> list[tuple[Path, bool]]:
    sources = [(p, True) for p in list_files(builtin_dir())] if builtin else []
    for path in user_lists:
        if not path.exists():
            raise ListLoadError([ListError(str(path), 0, "list file or directory does not exist")])
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
    cache_file = _cache_dir() / f"lexicon-{digest.hexdigest()[:32]}.pickle" if cache else None
    if cache_file is not None:
        try:
            with open(cache_file, "rb") as fh:
                lex = pickle.load(fh)
            return _with_paths(lex, sources)
        except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError):
            pass
    lex = compile_lists([load_list(path, builtin=b) for path, b in sources])
    if cache_file is not None:
        _write_cache(cache_file, lex)
    return lex


def _with_paths(lex: Lexicon, sources: list[tuple[Path, bool]]) -> Lexicon:
    """The cache is keyed on content; the same lists may sit at another path now."""
    paths = [str(p) for p, _ in sources]
    if [i.path for i in lex.lists] == paths:
        return lex
    infos = tuple(
        replace(i, path=p, source=i.source if i.source != i.path else p)
        for i, p in zip(lex.lists, paths, strict=True)
    )
    return Lexicon(infos, lex.entries, lex.automaton, lex.max_bytes)


def compile_lists(lists: list[WordList]) -> Lexicon:
    """Merge lists: conflicting built-in entries are an error; a user's entry overrides a built-in one."""
    import ahocorasick

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
                            f"{entry.match!r} conflicts with {prev_info.path}:{prev.line} "
                            f"(suggests {'/'.join(prev.suggest) or 'nothing'})",
                        ))
                    continue  # an identical duplicate: the first stands (the list lint reports it)
                if not wl.info.builtin and prev_info.builtin:
                    overrides[wl.info.path] = overrides.get(wl.info.path, 0) + 1
            chosen[entry.match] = entry
            origin[entry.match] = wl.info
    if errors:
        raise ListLoadError(errors)

    entries = tuple(chosen.values())
    automaton = ahocorasick.Automaton()
    max_bytes = 0
    for index, entry in enumerate(entries):
        key = entry.match.encode("utf-8").decode("latin-1")
        automaton.add_word(key, (index, len(key)))
        max_bytes = max(max_bytes, len(key))
    if entries:
        automaton.make_automaton()
    infos = tuple(replace(wl.info, overrides=overrides.get(wl.info.path, 0)) for wl in lists)
    return Lexicon(infos, entries, automaton, max_bytes)


def _cache_dir() -> Path:
    env = os.environ.get("ERRSCAN_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "errscan"


def _write_cache(cache_file: Path, lex: Lexicon) -> None:
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(lex, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, cache_file)
        stale = sorted(cache_file.parent.glob("lexicon-*.pickle"), key=lambda p: p.stat().st_mtime)[:-KEEP]
        for old in stale:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only home only costs the next start-up a rebuild
