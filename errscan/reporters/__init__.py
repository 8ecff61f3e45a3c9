"""One module per output format; each renders an immutable Report to a stream."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from errscan.model import Report


def render(fmt: str, report: Report, out: IO[str], color: bool | None = None) -> None:
    renderers: dict[str, Callable[[], None]] = {
        "json": lambda: _json().render(report, out),
        "jsonl": lambda: _json().render_lines(report, out),
        "pretty": lambda: _pretty().render(report, out, color),
    }
    renderers[fmt]()


def _json():
    from errscan.reporters import json as mod

    return mod


def _pretty():
    from errscan.reporters import pretty as mod

    return mod


FORMATS = ("pretty", "json", "jsonl")
