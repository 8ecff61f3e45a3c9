"""A speed-up never changes what errscan finds (issue 19): the findings on the whole clean corpus and on the
generated benchmark-like texts equal tests/data/findings_golden.tsv, row for row.

The rows are computed by tools/findings_golden.py's own functions (one way to make them); when a change of
findings is intended, regenerate the file with `python tools/findings_golden.py` and review its diff.
"""

from __future__ import annotations

import importlib.util
from collections import Counter

import pytest
from helpers import DATA, REPO, SHARED

GOLDEN = DATA / "findings_golden.tsv"
SHOWN = 20  # differing rows shown in a failure


def _tool():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("findings_golden", REPO / "tools" / "findings_golden.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


golden = _tool()


@pytest.fixture(scope="module")
def checker():  # type: ignore[no-untyped-def]
    return golden.Checker()


def _order(row: tuple[str, str]) -> tuple[object, ...]:
    """By source, then offset as a number, then the rest; a removed row before the row that replaced it."""
    source, offset, rest = [*row[0].split("\t", 2), "", ""][:3]
    return source, int(offset) if offset.lstrip("-").isdigit() else 0, rest, row[1]


def _differences(want: list[str], got: list[str]) -> str:
    removed, added = Counter(want) - Counter(got), Counter(got) - Counter(want)
    rows = sorted([(r, "-") for r in removed.elements()] + [(r, "+") for r in added.elements()], key=_order)
    shown = "\n".join(f"{sign} {r}" for r, sign in rows[:SHOWN])
    more = f"\n… and {len(rows) - SHOWN} more" if len(rows) > SHOWN else ""
    return (
        f"findings changed: {sum(removed.values())} removed (-), {sum(added.values())} added (+) "
        f"(source, offset, length, rule, severity, text, suggestion); if intended, regenerate with "
        f"`python tools/findings_golden.py` and review the diff\n{shown}{more}"
    )


def _compare(want: list[str], got: list[str]) -> None:
    if got != want:
        pytest.fail(_differences(want, got) if Counter(got) != Counter(want) else "same rows, another order",
                    pytrace=False)


@pytest.mark.skipif(not (SHARED / "corpus" / "clean").is_dir(), reason="../shared/corpus is not beside this checkout")
def test_clean_corpus_findings_unchanged(checker) -> None:  # type: ignore[no-untyped-def]
    want, _ = golden.read_golden(GOLDEN)
    got = golden.lines(golden.clean_rows(SHARED, checker))
    assert len(got) > 0 or len(want) == 0
    _compare(want, got)


def test_generated_text_findings_unchanged(checker) -> None:  # type: ignore[no-untyped-def]
    _, want = golden.read_golden(GOLDEN)
    assert want, "the golden file holds no generated-text rows"
    _compare(want, golden.lines(golden.generated_rows(checker)))
