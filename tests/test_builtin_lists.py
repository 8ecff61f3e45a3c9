"""The shipped lists: their own examples, their lint, and the clean-corpus gate."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import yaml
from helpers import DATA, SHARED

from errscan import Scanner, Severity
from errscan.lexicon import builtin_dir, load_lexicon
from errscan.lexicon.load import list_files, load_list

CORPUS = SHARED / "corpus" / "clean"
MAX_PER_MILLION = 5  # findings at warning or above per million characters of clean official text


@pytest.fixture(scope="module")
def builtin_lists():
    return [load_list(p, builtin=True) for p in list_files(builtin_dir())]


def test_every_example_passes_through_the_real_pipeline() -> None:
    """A bad example is reported under its entry's rule, a good one is not, with all built-in lists loaded."""
    lex = load_lexicon([])
    scanner = Scanner(lexicon=lex)
    failures: list[str] = []
    checked = 0
    for entry in lex.entries:
        for text, bad in [(t, True) for t in entry.bad] + [(t, False) for t in entry.good]:
            checked += 1
            rules = [f.rule for f in scanner.scan_text(text)]
            if bad != (entry.rule in rules):
                failures.append(f"{entry.rule} (line {entry.line}): {'bad' if bad else 'good'} {text!r} -> {rules}")
    assert failures == []
    assert checked > 400


def test_headers_name_source_and_license(builtin_lists) -> None:
    for wl in builtin_lists:
        assert wl.info.source.strip() and wl.info.license.strip(), wl.info.path


def test_no_match_in_two_lists(builtin_lists) -> None:
    seen: dict[str, str] = {}
    clashes = []
    for wl in builtin_lists:
        for e in wl.entries:
            if e.match in seen:
                clashes.append(f"{e.match}: {seen[e.match]} and {wl.info.path}:{e.line}")
            seen[e.match] = f"{wl.info.path}:{e.line}"
    assert clashes == []


def test_a_suggestion_is_never_a_bare_listed_error(builtin_lists) -> None:
    """A suggested form that is itself flagged everywhere would send the clerk in a circle."""
    bare = {e.match for wl in builtin_lists for e in wl.entries if not e.has_context_rules and not e.since}
    circles = [
        f"{wl.info.path}:{e.line}: {e.match} -> {s}"
        for wl in builtin_lists for e in wl.entries for s in e.suggest if s in bare
    ]
    assert circles == []


def test_subtle_entries_carry_examples(builtin_lists) -> None:
    missing = [
        f"{wl.info.path}:{e.line}: {e.match}"
        for wl in builtin_lists for e in wl.entries
        if (e.has_context_rules or e.boundary != _list_boundary(wl)) and not (e.bad and e.good)
    ]
    assert missing == []


def _list_boundary(wl) -> str:
    with open(wl.info.path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("boundary:"):
                return line.split(":", 1)[1].strip()
            if line.startswith("entries:"):
                break
    return "default"


@pytest.mark.parametrize(
    ("category", "minimum"),
    [
        ("serious", 150), ("usage", 60), ("outdated", 40), ("typo", 1500), ("variant", 350),
        ("sensitive", 1), ("vulgar", 1),
    ],
)
def test_coverage(builtin_lists, category: str, minimum: int) -> None:
    assert sum(len(wl.entries) for wl in builtin_lists if wl.info.category == category) >= minimum


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside this checkout")
def test_clean_corpus_gate() -> None:
    scanner = Scanner()
    chars = 0
    found = set()
    per_category: Counter[str] = Counter()
    for path in sorted(CORPUS.rglob("*.txt")):
        text = path.read_text(encoding="utf-8")
        chars += len(text)
        for f in scanner.scan_text(text, path.relative_to(CORPUS).as_posix()):
            found.add((f.path, f.line, f.rule))
            if f.severity >= Severity.WARNING:
                per_category[f.category] += 1
    assert chars > 900_000
    with open(DATA / "corpus_expectations.yaml", encoding="utf-8") as fh:
        expected = {(e["file"], e["line"], e["rule"]) for e in yaml.safe_load(fh)}
    assert sorted(found - expected) == [], "new findings on clean official text: review them"
    assert sorted(expected - found) == [], "reviewed findings no longer occur: update the expectations"
    assert sum(per_category.values()) * 1_000_000 / chars <= MAX_PER_MILLION, per_category


def test_wordlists_readme_names_every_list() -> None:
    readme = (Path(builtin_dir()) / "README.md").read_text(encoding="utf-8")
    for path in list_files(builtin_dir()):
        assert path.name in readme


@pytest.mark.skipif(not (SHARED / "corpus" / "html").is_dir(), reason="../shared/corpus is not beside this checkout")
def test_clean_html_pages_gate() -> None:
    """gov.cn pages republishing old documents (a 2018 page date, a 1996 成文日期) keep their old names unflagged."""
    from errscan.readers import read

    scanner = Scanner()
    found = []
    for path in sorted((SHARED / "corpus" / "html").rglob("*.html")):
        doc = read(path.read_bytes(), path.name)
        found += [(path.name, f.rule) for f in scanner.scan_document(doc, path.name) if f.severity >= Severity.WARNING]
    assert found == []
