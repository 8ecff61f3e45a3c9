"""One module per output format; each renders an immutable Report to a stream.

Each module is imported only when its format is asked for: `FORMATS` and `render` cost nothing at start-up.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import IO

from errscan.model import Report

FORMATS = ("pretty", "json", "jsonl", "sarif", "csv", "github")


def render(fmt: str, report: Report, out: IO[str], color: bool | None = None) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} ({', '.join(FORMATS)})")
    if fmt == "pretty":
        _module("pretty").render(report, out, color)
    elif fmt == "jsonl":
        _module("json").render_lines(report, out)
    else:
        _module(fmt).render(report, out)


def write_report(fmt: str, report: Report, path: str | Path) -> None:
    """`-o FILE`: the report written atomically (a temporary file beside it, then os.replace), UTF-8.

    No newline translation: csv keeps its CRLF rows (and its BOM), the others their LF. No colour.
    A failure leaves any earlier file at `path` as it was. Raises OSError.
    """
    import secrets

    target = Path(path)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as for any new file
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            render(fmt, report, out, color=False)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _module(name: str):
    return importlib.import_module(f"errscan.reporters.{name}")
