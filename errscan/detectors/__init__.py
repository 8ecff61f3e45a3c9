"""Checks that are not list lookups, one module each: pure functions of the (width-folded) text.

Each detector exposes ``detect(text) -> list[Hit]`` (see :mod:`errscan.detectors.privacy` for ``Hit``),
sorted by position; the pipeline calls each one by name.
"""

from __future__ import annotations

from errscan.detectors.privacy import Hit

__all__ = ["Hit"]
