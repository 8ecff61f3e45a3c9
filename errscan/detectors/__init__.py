"""Checks that are not list lookups, one module each: pure functions of the (width-folded) text.

Each detector exposes ``detect(text) -> list[Hit]`` (see :mod:`errscan.detectors.privacy` for ``Hit``),
sorted by position. ``DETECTORS`` is the explicit registry, keyed by category.
"""

from __future__ import annotations

from collections.abc import Callable

from errscan.detectors import privacy
from errscan.detectors.privacy import Hit

DETECTORS: dict[str, Callable[[str], list[Hit]]] = {
    "privacy": privacy.detect,
}

__all__ = ["DETECTORS", "Hit"]
