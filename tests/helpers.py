"""Shared paths and comparison helpers for the tests (tests/ is on sys.path under pytest)."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
CORE = DATA / "lists" / "core.yaml"
REPO = TESTS.parent
SHARED = REPO.parent / "shared"


def spans(findings) -> list[tuple[str, int, int]]:
    """(rule, line, column) of each finding: what the tests compare."""
    return [(f.rule, f.line, f.column) for f in findings]


def _needs_shared():
    import pytest

    return pytest.mark.skipif(not SHARED.is_dir(), reason="../shared (corpus and data) is not beside this checkout")


needs_shared = _needs_shared()
