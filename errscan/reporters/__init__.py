"""One module per output format; each renders an immutable Report to a stream.

`REGISTRY` is the one list of formats (the CLI's choices are built from `FORMATS`). Each module is imported only
when its format is asked for: `FORMATS` and `render` cost nothing at start-up.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import IO, NamedTuple

from errscan.model import Report


class Renderer(NamedTuple):
    """Where a format's renderer is: errscan.reporters.<module>.<function>(report, out[, color])."""

    module: str
    function: str = "render"
    color: bool = False  # takes the colour choice as a third argument


REGISTRY: dict[str, Renderer] = {
    "pretty": Renderer("pretty", color=True),
    "json": Renderer("json"),
    "jsonl": Renderer("json", "render_lines"),
    "sarif": Renderer("sarif"),
    "csv": Renderer("csv"),
    "github": Renderer("github"),
}
FORMATS = tuple(REGISTRY)


def render(fmt: str, report: Report, out: IO[str], color: bool | None = None) -> None:
    where = REGISTRY.get(fmt)
    if where is None:
        raise ValueError(f"unknown format {fmt!r} ({', '.join(FORMATS)})")
    function = getattr(_module(where.module), where.function)
    if where.color:
        function(report, out, color)
    else:
        function(report, out)


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
